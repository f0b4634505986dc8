using VSwitch.Dataplane.Ports;

namespace VSwitch.Ports.Linux;

/// <summary>The Linux port backends a device string can name.</summary>
public enum LinuxPortKind
{
    /// <summary><c>tap:NAME[@NETNS][?io=uring|syscalls]</c>: a TAP device the switch creates and owns.</summary>
    Tap,

    /// <summary><c>afpacket:IFNAME[?rx=v2|v3]</c>: a packet socket on an interface that already exists.</summary>
    AfPacket,
}

/// <summary>The receive ring of an <c>afpacket:</c> port, chosen with the device string option <c>rx=</c>.</summary>
public enum AfPacketRx
{
    /// <summary><c>rx=v2</c>: a TPACKET_V2 ring of fixed frames; the kernel hands over and wakes per frame (low latency).</summary>
    V2,

    /// <summary><c>rx=v3</c>: a TPACKET_V3 ring of blocks; a block is handed over when full or after a 1 ms timeout.</summary>
    V3,
}

/// <summary>How a <c>tap:</c> port reads and writes frames, chosen with the device string option <c>io=</c>.</summary>
public enum TapIo
{
    /// <summary><c>io=syscalls</c>: one <c>readv</c> per received frame (and one that finds the queue empty), one <c>writev</c> per sent frame.</summary>
    Syscalls,

    /// <summary><c>io=uring</c>: a batch of reads or writes per <c>io_uring_enter</c> (<see cref="TapUringQueue"/>).</summary>
    Uring,
}

/// <summary>
/// A parsed Linux device string: <c>tap:NAME[@NETNS][?io=uring|syscalls]</c> or <c>afpacket:IFNAME[?rx=v2|v3]</c>.
/// </summary>
/// <remarks>
/// What: the scheme, the interface name, for TAP the optional named network namespace (a file under
/// <c>/var/run/netns</c>, as <c>ip netns</c> creates), and the options after <c>?</c> (<c>KEY=VALUE</c> pairs joined
/// by <c>&amp;</c>): for AF_PACKET <c>rx</c>, the receive ring, <see cref="Rx"/> (null when not given: the port uses
/// <see cref="AfPacketPort.DefaultRx"/>); for TAP <c>io</c>, the I/O path, <see cref="Io"/> (null when not given: the
/// port uses io_uring if it can be set up, else the system calls; see <see cref="TapPort.IoFallbackReason"/>).
/// Why: device strings come from operators and API clients, so every rejection names the string and the rule it breaks
/// instead of surfacing later as an <c>EINVAL</c> from an ioctl. Interface names follow the kernel's
/// <c>dev_valid_name</c> (1 to 15 bytes, not <c>.</c> or <c>..</c>) restricted further to letters, digits and
/// <c>- _ .</c>, which is what udev, libvirt and OpenStack generate; namespace names use the same characters and at
/// most 64 of them.
/// Thread-safety: immutable.
/// </remarks>
public readonly record struct DeviceString(LinuxPortKind Kind, string Name, string? Namespace, AfPacketRx? Rx = null, TapIo? Io = null)
{
    public const string TapScheme = "tap:";
    public const string AfPacketScheme = "afpacket:";

    /// <summary>The tap syntax, for messages.</summary>
    public const string TapSyntax = "tap:NAME[@NETNS][?io=uring|syscalls]";

    /// <summary>The afpacket syntax, for messages.</summary>
    public const string AfPacketSyntax = "afpacket:IFNAME[?rx=v2|v3]";

    /// <summary>Longest interface name the kernel accepts (<c>IFNAMSIZ</c> - 1).</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>Longest namespace name accepted here (the kernel allows a full file name; we keep them short).</summary>
    public const int MaxNamespaceNameLength = 64;

    /// <summary>Parses <paramref name="device"/> or throws a <see cref="PortException"/> that says what is wrong.</summary>
    public static DeviceString Parse(string device) =>
        TryParse(device, out var parsed, out var error) ? parsed : throw new PortException(error);

    /// <summary>Parses <paramref name="device"/>; on failure <paramref name="error"/> explains why.</summary>
    public static bool TryParse(string? device, out DeviceString parsed, out string error)
    {
        parsed = default;
        if (string.IsNullOrEmpty(device))
        {
            error = $"empty device string: expected {TapSyntax} or {AfPacketSyntax}";
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
            error = $"device '{device}': unknown scheme, expected {TapSyntax} or {AfPacketSyntax}";
            return false;
        }

        AfPacketRx? rx = null;
        TapIo? io = null;
        var question = rest.IndexOf('?');
        if (question >= 0)
        {
            var ok = kind == LinuxPortKind.AfPacket
                ? TryParseAfPacketOptions(device, rest[(question + 1)..], out rx, out error)
                : TryParseTapOptions(device, rest[(question + 1)..], out io, out error);
            if (!ok)
            {
                return false;
            }
            rest = rest[..question];
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

        parsed = new DeviceString(kind, name, ns, rx, io);
        error = "";
        return true;
    }

    /// <summary>Parses the options of an afpacket device string (the part after <c>?</c>): <c>rx=v2|v3</c>.</summary>
    private static bool TryParseAfPacketOptions(string device, string options, out AfPacketRx? rx, out string error)
    {
        rx = null;
        if (!TryParseOnlyOption(device, options, "afpacket", "rx", "rx=v2|v3", out var value, out error))
        {
            return false;
        }
        rx = value switch
        {
            "v2" => AfPacketRx.V2,
            "v3" => AfPacketRx.V3,
            _ => null,
        };
        if (rx is null)
        {
            error = $"device '{device}': rx='{value}' is not a receive ring: expected rx=v2 (TPACKET_V2) or rx=v3 (TPACKET_V3)";
            return false;
        }
        return true;
    }

    /// <summary>Parses the options of a tap device string (the part after <c>?</c>): <c>io=uring|syscalls</c>.</summary>
    private static bool TryParseTapOptions(string device, string options, out TapIo? io, out string error)
    {
        io = null;
        if (!TryParseOnlyOption(device, options, "tap", "io", "io=uring|syscalls", out var value, out error))
        {
            return false;
        }
        io = value switch
        {
            "uring" => TapIo.Uring,
            "syscalls" => TapIo.Syscalls,
            _ => null,
        };
        if (io is null)
        {
            error = $"device '{device}': io='{value}' is not an I/O path: expected io=uring (batched through io_uring) or io=syscalls (readv/writev)";
            return false;
        }
        return true;
    }

    /// <summary>
    /// Parses <c>KEY=VALUE&amp;...</c> where <paramref name="key"/> is the one option the scheme has (given at most
    /// once); <paramref name="value"/> is its value, "" for a bare key.
    /// </summary>
    private static bool TryParseOnlyOption(string device, string options, string scheme, string key, string syntax, out string value, out string error)
    {
        value = "";
        if (options.Length == 0)
        {
            error = $"device '{device}': empty option list after '?' ({scheme} options: {syntax})";
            return false;
        }
        var given = false;
        foreach (var option in options.Split('&'))
        {
            var eq = option.IndexOf('=');
            var name = eq < 0 ? option : option[..eq];
            if (name != key)
            {
                error = name.Length == 0
                    ? $"device '{device}': empty option name ({scheme} options: {syntax})"
                    : $"device '{device}': unknown option '{name}' ({scheme} options: {syntax})";
                return false;
            }
            if (given)
            {
                error = $"device '{device}': option '{key}' is given twice";
                return false;
            }
            given = true;
            value = eq < 0 ? "" : option[(eq + 1)..];
        }
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

    /// <summary>The device string's word for an I/O path: the value of <c>io=</c>.</summary>
    public static string OptionValue(TapIo io) => io == TapIo.Uring ? "uring" : "syscalls";

    /// <summary>The device string's word for a receive ring: the value of <c>rx=</c>.</summary>
    public static string OptionValue(AfPacketRx rx) => rx == AfPacketRx.V3 ? "v3" : "v2";

    public override string ToString() => Kind switch
    {
        LinuxPortKind.Tap => $"{TapScheme}{Name}{(Namespace is null ? "" : "@" + Namespace)}{(Io is { } io ? "?io=" + OptionValue(io) : "")}",
        _ => $"{AfPacketScheme}{Name}{(Rx is { } rx ? "?rx=" + OptionValue(rx) : "")}",
    };
}
