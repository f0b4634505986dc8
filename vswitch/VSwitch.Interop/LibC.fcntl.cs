using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>fcntl.h</c>: <c>open(2)</c> (control plane only: the path is marshalled as UTF-8) and <c>fcntl(2)</c>'s file status flags.</summary>
public static unsafe partial class LibC
{
    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_CREAT = 0x40;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string pathname, int flags, uint mode);

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);
}
