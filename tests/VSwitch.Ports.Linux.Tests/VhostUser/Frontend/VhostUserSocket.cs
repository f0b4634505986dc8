using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

/// <summary>
/// One connected vhost-user Unix stream socket: sends and receives whole <see cref="VhostUserMessage"/>s, with their
/// file descriptors as <c>SCM_RIGHTS</c> ancillary data on the message's first byte.
/// </summary>
internal sealed unsafe class VhostUserSocket : IDisposable
{
    private int _fd;

    private VhostUserSocket(int fd) => _fd = fd;

    public int Fd => _fd;

    public bool IsClosed => _fd < 0;

    /// <summary>Wraps a connected socket (from <c>accept4</c>); the wrapper owns it.</summary>
    public static VhostUserSocket FromConnectedFd(int fd) => new(fd);

    /// <summary>
    /// Connects to the back-end listening at <paramref name="path"/>, retrying while the socket does not exist yet or
    /// refuses (a back-end that is still starting), until <paramref name="timeout"/>.
    /// </summary>
    public static VhostUserSocket Connect(string path, TimeSpan timeout)
    {
        var address = Address(path);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var fd = Check(TmdsLibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket(AF_UNIX)");
            if (TmdsLibC.connect(fd, (Tmds.Linux.sockaddr*)&address, (uint)sizeof(sockaddr_un)) == 0)
            {
                return new VhostUserSocket(fd);
            }
            var errno = Marshal.GetLastPInvokeError();
            _ = TmdsLibC.close(fd);
            if ((errno != LibC.ENOENT && errno != LibC.ECONNREFUSED && errno != LibC.EAGAIN) || clock.Elapsed > timeout)
            {
                throw new IOException($"connect({path}) failed: {LibC.StrError(errno)} (after {clock.ElapsedMilliseconds} ms)");
            }
            Thread.Sleep(20); // the back-end's socket is not there (or not listening) yet: try again until the timeout
        }
    }

    /// <summary>Two connected sockets (<c>socketpair</c>): the unit tests play the back-end on the second.</summary>
    public static (VhostUserSocket Frontend, VhostUserSocket Backend) Pair()
    {
        var fds = stackalloc int[2];
        Check(TmdsLibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, fds), "socketpair(AF_UNIX)");
        return (new VhostUserSocket(fds[0]), new VhostUserSocket(fds[1]));
    }

    /// <summary>A <c>sockaddr_un</c> for <paramref name="path"/>; throws when the path does not fit in <c>sun_path</c>.</summary>
    public static sockaddr_un Address(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        var address = new sockaddr_un { sun_family = LibC.AF_UNIX };
        if (bytes.Length is 0 or >= 108)
        {
            throw new ArgumentException($"a Unix socket path has 1 to 107 bytes, '{path}' has {bytes.Length}", nameof(path));
        }
        bytes.CopyTo(new Span<byte>(address.sun_path, 108));
        return address;
    }

    /// <summary>Sends <paramref name="message"/> and its fds; throws <see cref="IOException"/> when the peer has gone.</summary>
    public void Send(VhostUserMessage message)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        var bytes = message.Encode();
        var fdCount = message.Fds.Length;
        var controlLength = fdCount > 0 ? (int)LibC.CMSG_SPACE((nuint)(fdCount * sizeof(int))) : 0;
        var control = stackalloc byte[Math.Max(controlLength, 1)];
        new Span<byte>(control, Math.Max(controlLength, 1)).Clear();
        var sent = 0;
        fixed (byte* data = bytes)
        {
            while (sent < bytes.Length)
            {
                var iov = new iovec { iov_base = data + sent, iov_len = (nuint)(bytes.Length - sent) };
                var header = new msghdr { msg_iov = &iov, msg_iovlen = 1 };
                if (sent == 0 && fdCount > 0)
                {
                    var cmsg = (cmsghdr*)control;
                    cmsg->cmsg_len = LibC.CMSG_LEN((nuint)(fdCount * sizeof(int)));
                    cmsg->cmsg_level = LibC.SOL_SOCKET;
                    cmsg->cmsg_type = LibC.SCM_RIGHTS;
                    var slots = (int*)LibC.CMSG_DATA(cmsg);
                    for (var i = 0; i < fdCount; i++)
                    {
                        slots[i] = message.Fds[i];
                    }
                    header.msg_control = control;
                    header.msg_controllen = (nuint)controlLength;
                }
                var n = LibC.sendmsg(_fd, &header, LibC.MSG_NOSIGNAL);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }
                    throw new IOException($"sending {message.Request} failed: {LibC.StrError(errno)} (the back-end closed the connection?)");
                }
                sent += (int)n;
            }
        }
    }

    /// <summary>
    /// Receives one whole message, or null when the peer closed the connection between messages. Throws
    /// <see cref="TimeoutException"/> when nothing arrives within <paramref name="timeout"/>, and
    /// <see cref="IOException"/> when the peer closes in the middle of a message.
    /// </summary>
    public VhostUserMessage? Receive(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var header = new byte[VhostUserFlags.HeaderSize];
        var fds = new List<int>();
        try
        {
            var got = ReceiveWithFds(header, fds, deadline);
            if (got == 0)
            {
                return null;
            }
            ReceiveExactly(header.AsSpan(got), deadline, "header");
            var (request, flags, size) = VhostUserMessage.DecodeHeader(header);
            var payload = new byte[size];
            ReceiveExactly(payload, deadline, $"{request}'s payload");
            var message = new VhostUserMessage(request, flags, payload, [.. fds]);
            fds.Clear();
            return message;
        }
        finally
        {
            foreach (var fd in fds)
            {
                _ = TmdsLibC.close(fd);
            }
        }
    }

    /// <summary>Waits until the socket is readable (a message, or the peer's close); false on timeout.</summary>
    public bool WaitReadable(TimeSpan timeout)
    {
        var p = new pollfd { fd = _fd, events = LibC.POLLIN };
        var ms = (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
        int n;
        do
        {
            n = LibC.poll(&p, 1, ms);
        }
        while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
        return n > 0;
    }

    /// <summary>Closes the socket: the back-end sees the front-end go, as when a VM stops.</summary>
    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            // shutdown first: it wakes a thread of this process that is polling the socket, which close alone does not.
            _ = TmdsLibC.shutdown(fd, LibC.SHUT_RDWR);
            _ = TmdsLibC.close(fd);
        }
    }

    /// <summary>The first bytes of a message, with any fds that came with them; 0 at end of stream.</summary>
    private int ReceiveWithFds(Span<byte> buffer, List<int> fds, long deadline)
    {
        var controlLength = (int)LibC.CMSG_SPACE((nuint)(VhostUserFlags.MaxRegions * sizeof(int)));
        var control = stackalloc byte[controlLength];
        while (true)
        {
            WaitOrThrow(deadline, "a message");
            new Span<byte>(control, controlLength).Clear();
            fixed (byte* data = buffer)
            {
                var iov = new iovec { iov_base = data, iov_len = (nuint)buffer.Length };
                var header = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = (nuint)controlLength };
                var n = LibC.recvmsg(_fd, &header, LibC.MSG_CMSG_CLOEXEC | LibC.MSG_DONTWAIT);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is LibC.EINTR or LibC.EAGAIN)
                    {
                        continue;
                    }
                    if (errno == LibC.ECONNRESET)
                    {
                        return 0;
                    }
                    throw new IOException($"recvmsg on the vhost-user socket failed: {LibC.StrError(errno)}");
                }
                for (var c = header.msg_controllen >= (nuint)sizeof(cmsghdr) ? (cmsghdr*)control : null; c != null; c = NextHeader(&header, c))
                {
                    if (c->cmsg_level == LibC.SOL_SOCKET && c->cmsg_type == LibC.SCM_RIGHTS)
                    {
                        var count = (int)((c->cmsg_len - LibC.CMSG_LEN(0)) / sizeof(int));
                        var slots = (int*)LibC.CMSG_DATA(c);
                        for (var i = 0; i < count; i++)
                        {
                            fds.Add(slots[i]);
                        }
                    }
                }
                if ((header.msg_flags & LibC.MSG_CTRUNC) != 0)
                {
                    throw new InvalidDataException($"a vhost-user message came with more than {VhostUserFlags.MaxRegions} fds");
                }
                return (int)n;
            }
        }
    }

    private static cmsghdr* NextHeader(msghdr* header, cmsghdr* current)
    {
        var next = (byte*)current + LibC.CMSG_ALIGN(current->cmsg_len);
        var end = (byte*)header->msg_control + header->msg_controllen;
        return next + sizeof(cmsghdr) > end ? null : (cmsghdr*)next;
    }

    private void ReceiveExactly(Span<byte> buffer, long deadline, string what)
    {
        var got = 0;
        while (got < buffer.Length)
        {
            WaitOrThrow(deadline, what);
            fixed (byte* data = buffer)
            {
                var n = LibC.recv(_fd, data + got, (nuint)(buffer.Length - got), LibC.MSG_DONTWAIT);
                if (n == 0)
                {
                    throw new IOException($"the peer closed the vhost-user connection in the middle of {what}");
                }
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is LibC.EINTR or LibC.EAGAIN)
                    {
                        continue;
                    }
                    throw new IOException($"recv on the vhost-user socket failed: {LibC.StrError(errno)}");
                }
                got += (int)n;
            }
        }
    }

    private void WaitOrThrow(long deadline, string what)
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
        if (left < TimeSpan.Zero || !WaitReadable(left))
        {
            throw new TimeoutException($"no {what} from the vhost-user peer in time");
        }
    }

    private static int Check(int result, string what)
    {
        if (result < 0)
        {
            throw new IOException($"{what} failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        return result;
    }
}
