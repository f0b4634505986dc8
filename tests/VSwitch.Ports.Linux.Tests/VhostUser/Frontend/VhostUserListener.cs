using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

/// <summary>
/// A listening vhost-user socket, as QEMU's <c>-chardev socket,server=on</c>: the back-end (in client mode) connects to
/// it. Binding replaces a stale socket file; disposing closes the socket and removes the file.
/// </summary>
internal sealed unsafe class VhostUserListener : IDisposable
{
    private int _fd;

    private VhostUserListener(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    public string Path { get; }

    public static VhostUserListener Listen(string path)
    {
        var address = VhostUserSocket.Address(path);
        // A socket file left by an earlier listener would make bind fail with EADDRINUSE.
        Unlink(path);
        var fd = TmdsLibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new IOException($"socket(AF_UNIX) failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        if (TmdsLibC.bind(fd, (Tmds.Linux.sockaddr*)&address, (uint)sizeof(sockaddr_un)) < 0 || TmdsLibC.listen(fd, 4) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = TmdsLibC.close(fd);
            throw new IOException($"listening at {path} failed: {LibC.StrError(errno)}");
        }
        return new VhostUserListener(fd, path);
    }

    /// <summary>Accepts the next connection, or throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public VhostUserSocket Accept(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        var p = new pollfd { fd = _fd, events = LibC.POLLIN };
        var ms = (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
        int ready;
        do
        {
            ready = LibC.poll(&p, 1, ms);
        }
        while (ready < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
        if (ready <= 0)
        {
            throw new TimeoutException($"no vhost-user back-end connected to {Path} within {timeout.TotalSeconds:0.#} s");
        }
        var fd = TmdsLibC.accept4(_fd, null, null, LibC.SOCK_CLOEXEC);
        if (fd < 0)
        {
            throw new IOException($"accept4 on {Path} failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        return VhostUserSocket.FromConnectedFd(fd);
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = TmdsLibC.close(fd);
            Unlink(Path);
        }
    }

    private static unsafe void Unlink(string path)
    {
        using var name = new NativeUtf8String(path);
        _ = TmdsLibC.unlink(name.Pointer);
    }
}
