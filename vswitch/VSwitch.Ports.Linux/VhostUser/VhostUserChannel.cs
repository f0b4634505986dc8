using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>A front-end broke the protocol (or went away mid-message); the connection is dropped, the switch goes on.</summary>
public sealed class VhostUserException(string message) : Exception(message);

/// <summary>
/// One connection's messages: a header and payload read whole, with the file descriptors the message carries
/// (<c>SCM_RIGHTS</c>), and replies written back.
/// </summary>
/// <remarks>
/// Blocking I/O on the port's control thread. Every length the front-end sends is checked before it is used: a
/// payload above <see cref="VhostUserProtocol.MaxPayloadSize"/> or more descriptors than
/// <see cref="VhostUserProtocol.MaxFds"/> (a truncated control message) is a protocol error. Descriptors received with a
/// message are the caller's to close, also when it refuses the message.
/// </remarks>
internal sealed unsafe class VhostUserChannel : IDisposable
{
    private int _fd;

    public VhostUserChannel(int fd)
    {
        _fd = fd;
    }

    /// <summary>
    /// Reads the next message. False when the front-end closed the connection between messages. The payload goes to
    /// <paramref name="payload"/> (at least <see cref="VhostUserProtocol.MaxPayloadSize"/> bytes), the descriptors to
    /// <paramref name="fds"/> (at least <see cref="VhostUserProtocol.MaxFds"/>).
    /// </summary>
    /// <exception cref="VhostUserException">A malformed message, or the connection broke inside one.</exception>
    public bool TryReceive(out VhostUserHeader header, Span<byte> payload, out int payloadLength, Span<int> fds, out int fdCount)
    {
        header = default;
        payloadLength = 0;
        fdCount = 0;
        var control = stackalloc byte[256];
        VhostUserHeader h;
        var iov = new iovec { iov_base = &h, iov_len = (nuint)sizeof(VhostUserHeader) };
        var msg = new msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = 256 };
        nint n;
        do
        {
            n = LibC.recvmsg(_fd, &msg, LibC.MSG_CMSG_CLOEXEC | LibC.MSG_WAITALL);
        }
        while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
        if (n == 0)
        {
            return false;
        }
        if (n < 0)
        {
            throw new VhostUserException($"recvmsg: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        // Collect the descriptors first: they are ours to close whatever happens next.
        for (var c = (cmsghdr*)msg.msg_control; c != null && msg.msg_controllen >= (nuint)sizeof(cmsghdr);)
        {
            if (c->cmsg_level == LibC.SOL_SOCKET && c->cmsg_type == LibC.SCM_RIGHTS)
            {
                var count = (int)((c->cmsg_len - LibC.CMSG_LEN(0)) / sizeof(int));
                var data = (int*)LibC.CMSG_DATA(c);
                for (var i = 0; i < count; i++)
                {
                    if (fdCount < fds.Length)
                    {
                        fds[fdCount++] = data[i];
                    }
                    else
                    {
                        TmdsLibC.close(data[i]);
                    }
                }
            }
            var next = (byte*)c + LibC.CMSG_ALIGN(c->cmsg_len);
            c = next + sizeof(cmsghdr) <= control + msg.msg_controllen && c->cmsg_len != 0 ? (cmsghdr*)next : null;
        }
        if (n != sizeof(VhostUserHeader))
        {
            throw new VhostUserException($"the connection closed inside a message header ({n} of {sizeof(VhostUserHeader)} bytes)");
        }
        if ((msg.msg_flags & LibC.MSG_CTRUNC) != 0 || fdCount > VhostUserProtocol.MaxFds)
        {
            throw new VhostUserException($"request {h.Request} carries more than {VhostUserProtocol.MaxFds} file descriptors");
        }
        if ((h.Flags & VhostUserProtocol.VersionMask) != VhostUserProtocol.Version)
        {
            throw new VhostUserException($"request {h.Request}: protocol version {h.Flags & VhostUserProtocol.VersionMask}, expected {VhostUserProtocol.Version}");
        }
        if (h.Size > VhostUserProtocol.MaxPayloadSize || h.Size > (uint)payload.Length)
        {
            throw new VhostUserException($"request {h.Request}: payload of {h.Size} bytes is larger than {VhostUserProtocol.MaxPayloadSize}");
        }
        fixed (byte* p = payload)
        {
            var read = 0;
            while (read < (int)h.Size)
            {
                var r = LibC.recv(_fd, p + read, (nuint)((int)h.Size - read), LibC.MSG_WAITALL);
                if (r < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
                {
                    continue;
                }
                if (r <= 0)
                {
                    throw new VhostUserException($"request {h.Request}: the connection closed inside a payload ({read} of {h.Size} bytes)");
                }
                read += (int)r;
            }
        }
        header = h;
        payloadLength = (int)h.Size;
        return true;
    }

    /// <summary>Sends the reply to <paramref name="request"/> with <paramref name="payload"/>.</summary>
    public void Reply(uint request, ReadOnlySpan<byte> payload)
    {
        Span<byte> message = stackalloc byte[VhostUserProtocol.HeaderSize + payload.Length];
        MemoryMarshal.Write(message, new VhostUserHeader
        {
            Request = request,
            Flags = VhostUserProtocol.Version | VhostUserProtocol.ReplyFlag,
            Size = (uint)payload.Length,
        });
        payload.CopyTo(message.Slice(VhostUserProtocol.HeaderSize));
        fixed (byte* p = message)
        {
            var sent = 0;
            while (sent < message.Length)
            {
                var n = LibC.send(_fd, p + sent, (nuint)(message.Length - sent), LibC.MSG_NOSIGNAL);
                if (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR)
                {
                    continue;
                }
                if (n <= 0)
                {
                    throw new VhostUserException($"reply to request {request}: {LibC.StrError(Marshal.GetLastPInvokeError())}");
                }
                sent += (int)n;
            }
        }
    }

    /// <summary>Sends a u64 reply.</summary>
    public void Reply(uint request, ulong value)
    {
        Span<byte> payload = stackalloc byte[8];
        MemoryMarshal.Write(payload, value);
        Reply(request, payload);
    }

    /// <summary>Unblocks a read in progress on another thread (the port is closing).</summary>
    public void Shutdown()
    {
        var fd = Volatile.Read(ref _fd);
        if (fd >= 0)
        {
            TmdsLibC.shutdown(fd, LibC.SHUT_RDWR);
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            TmdsLibC.close(fd);
        }
    }
}
