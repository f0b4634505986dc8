using System.Runtime.InteropServices;

namespace VSwitch.Interop;

public static unsafe partial class LibC
{
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, epoll_event* ev);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout);
}

/// <summary><c>struct epoll_event</c>: packed on x86-64 (12 bytes), as the kernel declares it.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct epoll_event
{
    public uint events;
    public ulong data;
}
