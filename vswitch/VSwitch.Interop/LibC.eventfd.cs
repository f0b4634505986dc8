using System.Runtime.InteropServices;

namespace VSwitch.Interop;

public static partial class LibC
{
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_SEMAPHORE = 0x1;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);
}
