using System.Net.Sockets;
using VSwitch.Daemon;
using VSwitch.Daemon.Api;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Api.Tests;

/// <summary>
/// The API's Unix socket as <see cref="ApiSocket.Bind"/> creates it: mode 0660 from the moment the path exists, a stale
/// socket replaced, and a live socket or a file that is not a socket refused and left alone.
/// </summary>
public sealed class ApiSocketTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vswitch-apisocket-").FullName;

    private string SocketPath => Path.Combine(_dir, "api.sock");

    /// <summary>How many sockets are created at least while an observer watches the path.</summary>
    private const int Rounds = 200;

    /// <summary>How many times the observer must have seen a socket (a loaded machine may not run it at first).</summary>
    private const int MinSightings = 50;

    [Fact]
    public void Bind_TheSocketNeverExistsWithAnotherModeThan0660()
    {
        // An observer stats the path as fast as it can while sockets are created and removed there. Binding in place
        // and changing the mode afterwards is caught here (the file exists with the umask's mode for a moment).
        var observed = new HashSet<string>();
        var seen = 0;
        using var done = new ManualResetEventSlim();
        var observer = new Thread(() =>
        {
            while (!done.IsSet)
            {
                if (Mode(SocketPath) is { } mode)
                {
                    observed.Add(Convert.ToString(mode, 8));
                    Interlocked.Increment(ref seen);
                }
            }
        });
        observer.Start();
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < Rounds || (Volatile.Read(ref seen) < MinSightings && clock.Elapsed < TimeSpan.FromSeconds(10)); i++)
            {
                using (ApiSocket.Bind(SocketPath))
                {
                }
                File.Delete(SocketPath);
            }
        }
        finally
        {
            done.Set();
            observer.Join();
        }
        Assert.True(seen > 0, "the observer never saw the socket: the test proves nothing");
        Assert.Equal(["660"], observed);
    }

    [Fact]
    public void Bind_ListensAtOnce_AndLeavesNoPrivateDirectory()
    {
        using var socket = ApiSocket.Bind(SocketPath);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(SocketPath));
        Assert.Equal(["api.sock"], Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Bind_CreatesTheDirectory()
    {
        var path = Path.Combine(_dir, "run", "vswitch", "api.sock");
        using var socket = ApiSocket.Bind(path);
        Assert.True(Accepts(path));
    }

    [Fact]
    public void Bind_ReplacesAStaleSocket()
    {
        // A socket file nobody listens on, as a daemon killed with SIGKILL leaves it.
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            var elsewhere = Path.Combine(_dir, "dead.sock");
            dead.Bind(new UnixDomainSocketEndPoint(elsewhere));
            File.Move(elsewhere, SocketPath);
        }
        Assert.True(ApiSocket.IsSocket(SocketPath));
        Assert.False(Accepts(SocketPath));

        using var socket = ApiSocket.Bind(SocketPath);
        Assert.True(Accepts(SocketPath));
    }

    [Fact]
    public void Bind_RefusesASocketAnotherProcessServes_NamingItsPid()
    {
        using var first = ApiSocket.Bind(SocketPath);

        var refused = Assert.Throws<StartupException>(() => ApiSocket.Bind(SocketPath));
        Assert.Equal($"--api-socket: {SocketPath} is served by another running process (pid {Environment.ProcessId})", refused.Message);
        Assert.True(Accepts(SocketPath), "the first socket was taken away");
    }

    [Fact]
    public void Bind_RefusesAFileThatIsNotASocket_AndLeavesIt()
    {
        File.WriteAllText(SocketPath, "precious");
        var refused = Assert.Throws<StartupException>(() => ApiSocket.Bind(SocketPath));
        Assert.StartsWith($"--api-socket: {SocketPath} exists and is not a socket", refused.Message);
        Assert.Equal("precious", File.ReadAllText(SocketPath));
    }

    [Fact]
    public void Bind_RefusesAPathTooLongForSockaddrUn()
    {
        var path = Path.Combine(_dir, new string('x', ApiSocket.MaxPathBytes) + ".sock");
        var refused = Assert.Throws<StartupException>(() => ApiSocket.Bind(path));
        Assert.StartsWith($"--api-socket: {path} is too long for a Unix socket", refused.Message);
    }

    /// <summary>Whether a process accepts connections on the socket at <paramref name="path"/>.</summary>
    internal static bool Accepts(string path)
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            client.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The permission bits of the file at <paramref name="path"/>, or null when there is none (no exception: the observer loops fast).</summary>
    private static unsafe int? Mode(string path)
    {
        using var name = new NativeUtf8String(path);
        Tmds.Linux.statx stat;
        return TmdsLibC.statx(LibC.AT_FDCWD, name.Pointer, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_TYPE, &stat) == 0 ? stat.stx_mode & 0x1FF : null;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
