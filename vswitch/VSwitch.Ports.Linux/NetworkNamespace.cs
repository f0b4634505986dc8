using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux;

/// <summary>
/// A named network namespace (<c>/var/run/netns/NAME</c>, as <c>ip netns add</c> creates) and a way to run work inside it.
/// </summary>
/// <remarks>
/// What: holds an open descriptor of the namespace and runs a delegate on a dedicated thread that has entered it with
/// <c>setns(fd, CLONE_NEWNET)</c>, then returns the thread to the namespace it started in.
/// Why: the namespace a socket, a <c>/dev/net/tun</c> queue or a netlink socket works in is fixed when it is opened,
/// from the opening thread's namespace. So the TAP backend opens its queues and its netlink socket inside the VM's
/// namespace and then uses them from any thread. <c>setns</c> changes only the calling thread: doing it on a
/// thread-pool thread would leave that thread (and whatever runs on it next) in the wrong namespace, so each call gets
/// its own short-lived thread, which exits afterwards even if switching back failed.
/// The descriptor is also what <c>RTM_NEWLINK</c> with <c>IFLA_NET_NS_FD</c> wants to move an interface in.
/// Thread-safety: <see cref="Run{T}"/> may be called from any thread; each call is independent.
/// Measured: a Run costs one thread start (~100 µs); it is used only when a port is opened or deleted.
/// </remarks>
public sealed class NetworkNamespace : IDisposable
{
    /// <summary>Where <c>ip netns</c> keeps named namespaces.</summary>
    public const string RunDirectory = "/var/run/netns";

    private int _fd;

    private NetworkNamespace(string name, int fd)
    {
        Name = name;
        _fd = fd;
    }

    /// <summary>The namespace's name.</summary>
    public string Name { get; }

    /// <summary>An open descriptor of the namespace (for <c>setns</c> and <c>IFLA_NET_NS_FD</c>).</summary>
    public int Fd => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(NetworkNamespace));

    /// <summary>True when <c>/var/run/netns/<paramref name="name"/></c> exists.</summary>
    public static bool Exists(string name) => File.Exists(Path.Combine(RunDirectory, name));

    /// <summary>Opens the named namespace, or throws a <see cref="PortException"/> when it does not exist.</summary>
    public static NetworkNamespace Open(string name)
    {
        var path = Path.Combine(RunDirectory, name);
        var fd = OpenReadOnly(path);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new PortException(errno == LibC.ENOENT
                ? $"network namespace '{name}' does not exist ({path} not found; create it with 'ip netns add {name}')"
                : $"network namespace '{name}': cannot open {path}: {LibC.StrError(errno)}");
        }
        return new NetworkNamespace(name, fd);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a new thread inside this namespace and returns its result; exceptions propagate.
    /// </summary>
    public T Run<T>(Func<T> work)
    {
        var nsFd = Fd;
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = RunInside(nsFd, Name, work);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = $"netns {Name}",
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>Runs <paramref name="work"/> inside this namespace (see <see cref="Run{T}"/>).</summary>
    public void Run(Action work) => Run(() =>
    {
        work();
        return 0;
    });

    /// <summary>Enters the namespace on the current (dedicated) thread, runs the work and switches back.</summary>
    private static T RunInside<T>(int nsFd, string name, Func<T> work)
    {
        var home = OpenReadOnly("/proc/thread-self/ns/net");
        if (home < 0)
        {
            throw new PortException($"network namespace '{name}': cannot open this thread's namespace: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        try
        {
            if (TmdsLibC.setns(nsFd, TmdsLibC.CLONE_NEWNET) != 0)
            {
                throw new PortException($"network namespace '{name}': setns failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
            }
            try
            {
                return work();
            }
            finally
            {
                // The thread ends right after this, so a failure here cannot leak the namespace to other work.
                _ = TmdsLibC.setns(home, TmdsLibC.CLONE_NEWNET);
            }
        }
        finally
        {
            _ = TmdsLibC.close(home);
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = TmdsLibC.close(fd);
        }
    }

    private static unsafe int OpenReadOnly(string path)
    {
        using var name = new NativeUtf8String(path);
        return TmdsLibC.open(name.Pointer, LibC.O_RDONLY | LibC.O_CLOEXEC);
    }
}
