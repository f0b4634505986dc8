using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>poll.h</c>.</summary>
public static unsafe partial class LibC
{
    public const short POLLIN = 0x001;
    public const short POLLPRI = 0x002;
    public const short POLLOUT = 0x004;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int poll(pollfd* fds, nuint nfds, int timeout);
}

/// <summary><c>struct pollfd</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct pollfd
{
    public int fd;
    public short events;
    public short revents;
}
