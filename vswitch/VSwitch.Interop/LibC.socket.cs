using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>sys/socket.h</c>: sockets, options, <c>recvmsg(2)</c> and the batched <c>sendmmsg(2)</c>.</summary>
public static unsafe partial class LibC
{
    public const int AF_UNSPEC = 0;
    public const int AF_UNIX = 1;
    public const int AF_NETLINK = 16;
    public const int AF_PACKET = 17;

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
    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int bind(int sockfd, void* addr, uint addrlen);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int setsockopt(int sockfd, int level, int optname, void* optval, uint optlen);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int getsockopt(int sockfd, int level, int optname, void* optval, uint* optlen);

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
