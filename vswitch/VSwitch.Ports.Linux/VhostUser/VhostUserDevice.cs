using System.Text;
using VSwitch.Dataplane.Ports;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>Who listens on a vhost-user port's socket.</summary>
public enum VhostUserMode
{
    /// <summary><c>mode=server</c> (the default): the switch listens on the path, the VM's frontend connects (QEMU's plain <c>-chardev socket,path=</c>).</summary>
    Server,

    /// <summary>
    /// <c>mode=client</c>: the frontend listens (QEMU's <c>server=on</c>) and the switch connects, and reconnects after
    /// either side restarts, so a switch restart does not need a VM restart (Open vSwitch's <c>dpdkvhostuserclient</c>).
    /// </summary>
    Client,
}

/// <summary>A parsed <c>vhostuser:PATH[?mode=server|client]</c> device string.</summary>
/// <remarks>
/// PATH is an absolute path (a relative one would depend on the daemon's working directory) that fits a Unix socket
/// address (<c>sun_path</c>: 107 bytes and a terminating NUL), without <c>?</c> and without control characters or
/// blanks; <c>.</c> and <c>..</c> components are refused rather than resolved, so one socket has one spelling.
/// </remarks>
public sealed record VhostUserDevice(string Path, VhostUserMode Mode)
{
    public const string Scheme = "vhostuser:";

    public const string Syntax = "vhostuser:PATH[?mode=server|client]";

    /// <summary>The longest path a Unix socket address holds (108 bytes with the terminating NUL).</summary>
    public const int MaxPathBytes = 107;

    /// <summary>Parses <paramref name="device"/> or throws a <see cref="PortException"/> naming the rule it breaks.</summary>
    public static VhostUserDevice Parse(string device)
    {
        if (!device.StartsWith(Scheme, StringComparison.Ordinal))
        {
            throw new PortException($"device '{device}': expected {Syntax}");
        }
        var rest = device[Scheme.Length..];
        var mode = VhostUserMode.Server;
        var question = rest.IndexOf('?');
        if (question >= 0)
        {
            mode = rest[(question + 1)..] switch
            {
                "mode=server" => VhostUserMode.Server,
                "mode=client" => VhostUserMode.Client,
                var options => throw new PortException($"device '{device}': unknown option '{options}' (vhostuser options: mode=server|client)"),
            };
            rest = rest[..question];
        }
        if (!rest.StartsWith('/'))
        {
            throw new PortException($"device '{device}': the socket path must be absolute (start with '/')");
        }
        if (Encoding.UTF8.GetByteCount(rest) > MaxPathBytes)
        {
            throw new PortException($"device '{device}': the socket path is longer than {MaxPathBytes} bytes (a Unix socket address)");
        }
        if (rest.EndsWith('/') || rest.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw new PortException($"device '{device}': the socket path must name a file, without blanks or control characters");
        }
        if (rest.Split('/').Any(part => part is "." or ".."))
        {
            throw new PortException($"device '{device}': the socket path must not contain '.' or '..' components");
        }
        return new VhostUserDevice(rest.Replace("//", "/", StringComparison.Ordinal), mode);
    }

    public override string ToString() => $"{Scheme}{Path}{(Mode == VhostUserMode.Client ? "?mode=client" : "")}";
}
