using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>sys/ioctl.h</c>. The C function is variadic; on x86-64 a fixed third argument is passed in the same register,
/// so two overloads cover the by-pointer and by-value conventions.
/// </summary>
public static unsafe partial class LibC
{
    [LibraryImport(Libc, SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* argp);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, nuint arg);
}
