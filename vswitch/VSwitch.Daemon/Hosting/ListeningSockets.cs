using System.Net;
using System.Net.Sockets;
using VSwitch.Daemon.Api;

namespace VSwitch.Daemon.Hosting;

/// <summary>
/// The daemon's listening sockets (the API's Unix socket, the API's TCP endpoint, the metrics endpoint), bound and
/// listening before the state is read or any port is touched, and handed to Kestrel when its servers start.
/// </summary>
/// <remarks>
/// <para><b>Why before.</b> Kestrel binds when its server starts, after the data path service has opened the stored
/// ports: an address in use or an API socket another daemon serves then stopped the daemon with ports already opened
/// (and, for some errors, a stack trace). Bound here, such a start fails before anything is applied, with one line
/// naming the option. A client that connects before Kestrel accepts waits in the listen backlog.</para>
/// <para><b>Ownership.</b> Kestrel takes each socket through <c>SocketTransportOptions.CreateBoundListenSocket</c>
/// (<see cref="Take"/>) and closes it when it stops. <see cref="Dispose"/> closes the ones it never took and removes the
/// API's socket file unless another process serves it by then (.NET removes a Unix socket's file when the socket is
/// closed, but looks for it where it was bound, in <see cref="ApiSocket"/>'s private directory).</para>
/// </remarks>
public sealed class ListeningSockets : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Socket> _untaken = [];
    private string? _apiSocketPath;

    private ListeningSockets()
    {
    }

    /// <summary>Binds every listener that is configured (null: none).</summary>
    /// <exception cref="StartupException">One cannot be bound; the message names its option. Nothing stays bound.</exception>
    public static ListeningSockets Bind(string? apiSocket, IPEndPoint? apiListen, IPEndPoint? metricsListen)
    {
        var listeners = new ListeningSockets();
        try
        {
            if (apiSocket is not null)
            {
                listeners._untaken.Add(UnixKey(apiSocket), ApiSocket.Bind(apiSocket));
                listeners._apiSocketPath = apiSocket;
            }
            if (apiListen is not null)
            {
                listeners._untaken.Add(Key(apiListen), BindTcp("--api-listen", apiListen));
            }
            if (metricsListen is not null)
            {
                listeners._untaken.Add(Key(metricsListen), BindTcp("--metrics-listen", metricsListen));
            }
            return listeners;
        }
        catch
        {
            listeners.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands the socket bound for <paramref name="endpoint"/> to its new owner (Kestrel's
    /// <c>CreateBoundListenSocket</c>); an endpoint that was not configured is a wiring error.
    /// </summary>
    public Socket Take(EndPoint endpoint)
    {
        lock (_lock)
        {
            return _untaken.Remove(Key(endpoint), out var socket)
                ? socket
                : throw new InvalidOperationException($"no listening socket was bound for {endpoint}");
        }
    }

    private static string Key(EndPoint endpoint) => endpoint is UnixDomainSocketEndPoint unix ? UnixKey(unix.ToString()) : "tcp:" + endpoint;

    private static string UnixKey(string path) => "unix:" + path;

    /// <summary>A TCP listener as Kestrel binds one (the IPv6 any-address also accepts IPv4).</summary>
    private static Socket BindTcp(string option, IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }
            socket.Bind(endpoint);
            socket.Listen();
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new StartupException($"{option} {endpoint}: {ex.Message}", ex);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var socket in _untaken.Values)
            {
                socket.Dispose();
            }
            _untaken.Clear();
        }
        if (_apiSocketPath is not null)
        {
            ApiSocket.RemoveIfUnserved(_apiSocketPath);
        }
    }
}
