using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>unistd.h</c>: the reads and writes workers make per batch (the doorbell, TAP with <c>io=syscalls</c>), and what
/// Tmds.LibC does not bind as VSwitch calls it (UTF-8 string paths). <c>close</c> and <c>pipe2</c> come from Tmds.LibC.
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

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlink(string pathname);

    /// <summary>Makes <paramref name="newpath"/> a second name of <paramref name="oldpath"/>; fails with EEXIST rather than replace a file (control plane only: UTF-8 paths).</summary>
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int link(string oldpath, string newpath);
}

/// <summary><c>struct iovec</c> from <c>sys/uio.h</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct iovec
{
    public void* iov_base;
    public nuint iov_len;
}
