using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>unistd.h</c> and <c>sys/uio.h</c>: the reads and writes workers make per batch (the doorbell, TAP with
/// <c>io=syscalls</c>). <c>close</c>, <c>pipe2</c>, <c>ftruncate</c>, <c>unlink</c> and <c>link</c> come from Tmds.LibC.
/// </summary>
public static unsafe partial class LibC
{
    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint read(int fd, void* buf, nuint count);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint write(int fd, void* buf, nuint count);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint readv(int fd, iovec* iov, int iovcnt);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial nint writev(int fd, iovec* iov, int iovcnt);

    [LibraryImport(Libc)]
    public static partial int gettid();
}

/// <summary><c>struct iovec</c> from <c>sys/uio.h</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct iovec
{
    public void* iov_base;
    public nuint iov_len;
}
