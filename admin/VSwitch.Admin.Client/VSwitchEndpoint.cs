using System.Net.Sockets;

namespace VSwitch.Admin.Client;

/// <summary>
/// Where the API is: the daemon's Unix socket (no token; access is the socket file's mode, 0660) or a URL of its TCP
/// listener with the token every request there must carry in <c>X-Auth-Token</c>.
/// </summary>
public sealed record VSwitchEndpoint
{
    /// <summary>The daemon's default socket (<c>vswitchd --api-socket</c>).</summary>
    public const string DefaultSocket = "/run/vswitch/api.sock";

    private VSwitchEndpoint(string? socketPath, Uri? url, string? token)
    {
        SocketPath = socketPath;
        Url = url;
        Token = token;
    }

    public string? SocketPath { get; }

    public Uri? Url { get; }

    public string? Token { get; }

    public static VSwitchEndpoint Socket(string path) => new(path, null, null);

    public static VSwitchEndpoint Tcp(Uri url, string? token) => new(null, url, token);

    /// <summary>For messages: <c>unix:/run/vswitch/api.sock</c> or the URL.</summary>
    public override string ToString() => SocketPath is not null ? $"unix:{SocketPath}" : Url!.ToString();

    /// <summary>A handler that connects to this endpoint (the socket, or plain TCP for a URL).</summary>
    public HttpMessageHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10), UseProxy = false };
        if (SocketPath is { } path)
        {
            handler.ConnectCallback = async (_, cancellation) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        return handler;
    }

    /// <summary>The base address requests are relative to (a socket needs a syntactically valid host only).</summary>
    public Uri BaseAddress => Url is { } url
        ? new Uri(url.AbsoluteUri.EndsWith('/') ? url.AbsoluteUri : url.AbsoluteUri + "/")
        : new Uri("http://vswitch/");
}
