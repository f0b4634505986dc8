using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>sys/epoll.h</c>: <c>epoll_wait</c>, which a worker calls per batch; <c>epoll_create1</c> and <c>epoll_ctl</c>
/// come from Tmds.LibC, whose <c>epoll_event</c> has this one's layout (checked by <c>InteropLayoutTests</c>).
/// </summary>
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
    public static partial int epoll_wait(int epfd, epoll_event* events, int maxevents, int timeout);
}

/// <summary><c>struct epoll_event</c>: packed on x86-64 (12 bytes), as the kernel declares it.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct epoll_event
{
    public uint events;
    public ulong data;
}
