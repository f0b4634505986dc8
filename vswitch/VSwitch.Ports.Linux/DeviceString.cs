using VSwitch.Dataplane.Ports;

namespace VSwitch.Ports.Linux;

/// <summary>The Linux port backends a device string can name.</summary>
public enum LinuxPortKind
{
    /// <summary><c>tap:NAME[@NETNS]</c>: a TAP device the switch creates and owns.</summary>
    Tap,

    /// <summary><c>afpacket:IFNAME</c>: a packet socket on an interface that already exists.</summary>
    AfPacket,
}

/// <summary>
/// A parsed Linux device string: <c>tap:NAME[@NETNS]</c> or <c>afpacket:IFNAME</c>.
/// </summary>
/// <remarks>
/// What: the scheme, the interface name and, for TAP, the optional named network namespace (a file under
/// <c>/var/run/netns</c>, as <c>ip netns</c> creates).
/// Why: device strings come from operators and API clients, so every rejection names the string and the rule it breaks
/// instead of surfacing later as an <c>EINVAL</c> from an ioctl. Interface names follow the kernel's
/// <c>dev_valid_name</c> (1 to 15 bytes, not <c>.</c> or <c>..</c>) restricted further to letters, digits and
/// <c>- _ .</c>, which is what udev, libvirt and OpenStack generate; namespace names use the same characters and at
/// most 64 of them.
/// Thread-safety: immutable.
/// </remarks>
public readonly record struct DeviceString(LinuxPortKind Kind, string Name, string? Namespace)
{
    public const string TapScheme = "tap:";
    public const string AfPacketScheme = "afpacket:";

    /// <summary>Longest interface name the kernel accepts (<c>IFNAMSIZ</c> - 1).</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>Longest namespace name accepted here (the kernel allows a full file name; we keep them short).</summary>
    public const int MaxNamespaceNameLength = 64;

    /// <summary>True when <paramref name="device"/> uses a scheme this backend handles, well-formed or not.</summary>
    public static bool HasLinuxScheme(string device) =>
        device.StartsWith(TapScheme, StringComparison.Ordinal) || device.StartsWith(AfPacketScheme, StringComparison.Ordinal);

    /// <summary>Parses <paramref name="device"/> or throws a <see cref="PortException"/> that says what is wrong.</summary>
    public static DeviceString Parse(string device) =>
        TryParse(device, out var parsed, out var error) ? parsed : throw new PortException(error);

    /// <summary>Parses <paramref name="device"/>; on failure <paramref name="error"/> explains why.</summary>
    public static bool TryParse(string? device, out DeviceString parsed, out string error)
    {
        parsed = default;
        if (string.IsNullOrEmpty(device))
        {
            error = "empty device string: expected tap:NAME[@NETNS] or afpacket:IFNAME";
            return false;
        }

        LinuxPortKind kind;
        string rest;
        if (device.StartsWith(TapScheme, StringComparison.Ordinal))
        {
            kind = LinuxPortKind.Tap;
            rest = device[TapScheme.Length..];
        }
        else if (device.StartsWith(AfPacketScheme, StringComparison.Ordinal))
        {
            kind = LinuxPortKind.AfPacket;
            rest = device[AfPacketScheme.Length..];
        }
        else
        {
            error = $"device '{device}': unknown scheme, expected tap:NAME[@NETNS] or afpacket:IFNAME";
            return false;
        }

        string name = rest;
        string? ns = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            if (kind != LinuxPortKind.Tap)
            {
                error = $"device '{device}': afpacket ports take no namespace (the interface must be in the switch's namespace)";
                return false;
            }
            name = rest[..at];
            ns = rest[(at + 1)..];
            if (ns.Length == 0)
            {
                error = $"device '{device}': empty namespace name after '@'";
                return false;
            }
            if (ns.Length > MaxNamespaceNameLength)
            {
                error = $"device '{device}': namespace name '{ns}' is longer than {MaxNamespaceNameLength} characters";
                return false;
            }
            if (!IsValidName(ns, out var badNs))
            {
                error = $"device '{device}': namespace name '{ns}' {badNs}";
                return false;
            }
        }

        if (name.Length == 0)
        {
            error = $"device '{device}': empty interface name";
            return false;
        }
        if (name.Length > MaxInterfaceNameLength)
        {
            error = $"device '{device}': interface name '{name}' has {name.Length} characters, the kernel allows at most {MaxInterfaceNameLength}";
            return false;
        }
        if (!IsValidName(name, out var badName))
        {
            error = $"device '{device}': interface name '{name}' {badName}";
            return false;
        }

        parsed = new DeviceString(kind, name, ns);
        error = "";
        return true;
    }

    /// <summary>Letters, digits, '-', '_' and '.', and not '.' or '..'.</summary>
    private static bool IsValidName(string name, out string why)
    {
        if (name is "." or "..")
        {
            why = "is not a valid name";
            return false;
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                why = $"contains '{(char.IsControl(c) || char.IsWhiteSpace(c) ? $"\\u{(int)c:x4}" : c)}': only letters, digits, '-', '_' and '.' are allowed";
                return false;
            }
        }
        why = "";
        return true;
    }

    public override string ToString() => Kind switch
    {
        LinuxPortKind.Tap => Namespace is null ? $"{TapScheme}{Name}" : $"{TapScheme}{Name}@{Namespace}",
        _ => $"{AfPacketScheme}{Name}",
    };
}
