using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>sys/socket.h</c>: the constants and structs VSwitch passes, and the calls made per batch or per message
/// (<c>send</c>/<c>recv</c>, <c>recvmsg</c>/<c>sendmsg</c> with file-descriptor passing (<c>SCM_RIGHTS</c>) for
/// vhost-user's Unix socket, and the batched <c>sendmmsg(2)</c>, which Tmds.LibC 0.5.0 lacks). Setting a socket up
/// (<c>socket</c>, <c>socketpair</c>, <c>bind</c>, <c>listen</c>, <c>accept4</c>, <c>connect</c>, <c>shutdown</c>,
/// <c>setsockopt</c>, <c>getsockopt</c>) goes through Tmds.LibC.
/// </summary>
public static unsafe partial class LibC
{
    public const int AF_UNSPEC = 0;
    public const int AF_UNIX = 1;
    public const int AF_NETLINK = 16;
    public const int AF_PACKET = 17;

    public const int SOCK_STREAM = 1;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;

    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int SO_SNDBUF = 7;
    public const int SO_RCVBUF = 8;
    public const int SO_PEERCRED = 17;
    public const int SO_SNDBUFFORCE = 32;
    public const int SO_RCVBUFFORCE = 33;

    public const int MSG_PEEK = 0x2;
    public const int MSG_CTRUNC = 0x8;
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_WAITALL = 0x100;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    public const int SCM_RIGHTS = 1;
    public const int SHUT_RDWR = 2;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint send(int sockfd, void* buf, nuint len, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint recv(int sockfd, void* buf, nuint len, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint recvmsg(int sockfd, msghdr* msg, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint sendmsg(int sockfd, msghdr* msg, int flags);

    /// <summary><c>sendmmsg(2)</c>: up to <paramref name="vlen"/> datagrams in one system call.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    public static partial int sendmmsg(int sockfd, mmsghdr* msgvec, uint vlen, int flags);
}

/// <summary><c>struct msghdr</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct msghdr
{
    public void* msg_name;
    public uint msg_namelen;
    public iovec* msg_iov;
    public nuint msg_iovlen;
    public void* msg_control;
    public nuint msg_controllen;
    public int msg_flags;
}

/// <summary><c>struct mmsghdr</c>: one datagram of <c>sendmmsg</c>; <see cref="msg_len"/> is the bytes sent.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct mmsghdr
{
    public msghdr msg_hdr;
    public uint msg_len;
}

/// <summary>
/// <c>struct cmsghdr</c>: the header of one control message (ancillary data) of <c>sendmsg</c>/<c>recvmsg</c>; its data
/// follows at <see cref="LibC.CMSG_DATA"/>, and <c>SCM_RIGHTS</c> data is an array of file descriptors.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct cmsghdr
{
    public nuint cmsg_len;
    public int cmsg_level;
    public int cmsg_type;
}

public static unsafe partial class LibC
{
    /// <summary><c>CMSG_ALIGN</c>: control message lengths are padded to <c>size_t</c>.</summary>
    public static nuint CMSG_ALIGN(nuint length) => (length + (nuint)sizeof(nuint) - 1) & ~((nuint)sizeof(nuint) - 1);

    /// <summary><c>CMSG_SPACE</c>: the bytes a control message with <paramref name="length"/> bytes of data takes.</summary>
    public static nuint CMSG_SPACE(nuint length) => CMSG_ALIGN(length) + CMSG_ALIGN((nuint)sizeof(cmsghdr));

    /// <summary><c>CMSG_LEN</c>: the <c>cmsg_len</c> of a control message with <paramref name="length"/> bytes of data.</summary>
    public static nuint CMSG_LEN(nuint length) => CMSG_ALIGN((nuint)sizeof(cmsghdr)) + length;

    /// <summary><c>CMSG_DATA</c>: where a control message's data starts.</summary>
    public static byte* CMSG_DATA(cmsghdr* header) => (byte*)header + CMSG_ALIGN((nuint)sizeof(cmsghdr));
}
