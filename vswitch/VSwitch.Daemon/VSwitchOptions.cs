using System.Net;

namespace VSwitch.Daemon;

/// <summary>The command-line options of <c>vswitchd</c> (ARCHITECTURE §3), parsed and checked.</summary>
public sealed record VSwitchOptions
{
    /// <summary>JSON configuration file; null: the embedded defaults.</summary>
    public string? ConfigFile { get; init; }

    /// <summary>Worker threads; null: the configuration file's value, else one per allowed CPU.</summary>
    public int? Workers { get; init; }

    /// <summary>Busy-poll window in microseconds (--busy-poll); null: the configuration's value.</summary>
    public int? BusyPollMicroseconds { get; init; }

    /// <summary>Where <c>/metrics</c> listens; null disables it.</summary>
    public IPEndPoint? MetricsListen { get; init; } = new(IPAddress.Loopback, 9477);

    /// <summary>The directory of the state database (<c>state.db</c>) and of the lock (<c>vswitchd.lock</c>); absolute.</summary>
    public string StateDir { get; init; } = "/var/lib/vswitch";

    /// <summary>The API's Unix socket, absolute; null disables it.</summary>
    public string? ApiSocket { get; init; } = "/run/vswitch/api.sock";

    /// <summary>The API's TCP endpoint (every request needs <c>X-Auth-Token</c>); null: none.</summary>
    public IPEndPoint? ApiListen { get; init; }

    /// <summary>The token TCP clients must present (read from <c>--api-token-file</c>); required with <see cref="ApiListen"/>.</summary>
    public VSwitch.Daemon.Api.ApiTokens? ApiToken { get; init; }

    /// <summary>Run the operator console on this terminal (the log then goes to <c>STATE_DIR/vswitchd.log</c>); needs <see cref="ApiSocket"/>.</summary>
    public bool Console { get; init; }

    /// <summary>
    /// An absolute path for <paramref name="text"/>, relative to the working directory: the daemon's messages, its lock
    /// record and Kestrel (which refuses a relative socket path) all see the same path.
    /// </summary>
    public static string ParsePath(string option, string text)
    {
        if (text.Length == 0 || text.Contains('\0'))
        {
            throw new FormatException($"{option}: '{text}' is not a path");
        }
        return Path.GetFullPath(text);
    }

    /// <summary>Parses <c>HOST:PORT</c> (IPv6 as <c>[::1]:PORT</c>); the error names the option.</summary>
    public static IPEndPoint ParseEndpoint(string option, string text)
    {
        if (IPEndPoint.TryParse(text, out var ep) && ep.Port != 0)
        {
            return ep;
        }
        if (text.LastIndexOf(':') is var colon and > 0 && text[..colon] == "localhost"
            && ushort.TryParse(text[(colon + 1)..], out var port) && port != 0)
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }
        throw new FormatException($"{option}: '{text}' is not HOST:PORT (for example 127.0.0.1:9477)");
    }
}
