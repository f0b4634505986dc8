using System.Net;
using System.Net.Sockets;
using VSwitch.Daemon;
using VSwitch.Daemon.Api;
using VSwitch.Daemon.Hosting;

namespace VSwitch.Api.Tests;

/// <summary>The daemon's listeners, bound before anything else: an address in use is one line naming the option, and nothing stays bound.</summary>
public sealed class ListeningSocketsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vswitch-listeners-").FullName;

    private string SocketPath => Path.Combine(_dir, "api.sock");

    [Fact]
    public void Bind_MetricsAddressInUse_NamesTheOption_AndReleasesTheOthers()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = (IPEndPoint)squatter.LocalEndpoint;

        var refused = Assert.Throws<StartupException>(() => ListeningSockets.Bind(SocketPath, apiListen: null, metricsListen: taken));
        Assert.StartsWith($"--metrics-listen {taken}: ", refused.Message);
        Assert.False(File.Exists(SocketPath), "the API socket stayed behind");
    }

    [Fact]
    public void Take_HandsOverEachSocketOnce_AndDisposeRemovesTheApiSocketFile()
    {
        var tcp = new IPEndPoint(IPAddress.Loopback, 0);
        using (var listeners = ListeningSockets.Bind(SocketPath, apiListen: null, metricsListen: null))
        {
            using var socket = listeners.Take(new UnixDomainSocketEndPoint(SocketPath));
            Assert.True(socket.IsBound);
            Assert.Throws<InvalidOperationException>(() => listeners.Take(new UnixDomainSocketEndPoint(SocketPath)));
            Assert.Throws<InvalidOperationException>(() => listeners.Take(tcp));
        }
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public void Dispose_LeavesASocketThatIsNoLongerItsOwn()
    {
        var listeners = ListeningSockets.Bind(SocketPath, apiListen: null, metricsListen: null);
        listeners.Take(new UnixDomainSocketEndPoint(SocketPath)).Dispose();
        File.Delete(SocketPath);
        using var successor = ApiSocket.Bind(SocketPath);

        listeners.Dispose();
        Assert.True(ApiSocketTests.Accepts(SocketPath), "a successor's socket was removed");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
