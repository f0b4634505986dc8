using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>sys/mman.h</c>: mapping packet rings, and the huge-page backed memory of the large data-path tables.</summary>
public static unsafe partial class LibC
{
    public const int PROT_NONE = 0x0;
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int MAP_SHARED = 0x01;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_ANONYMOUS = 0x20;
    public const int MAP_NORESERVE = 0x4000;
    public const int MAP_LOCKED = 0x2000;
    public const int MAP_POPULATE = 0x8000;
    public const int MADV_DONTNEED = 4;
    public const int MADV_HUGEPAGE = 14;
    public const int MADV_POPULATE_WRITE = 23;

    /// <summary><c>MAP_FAILED</c>, <c>(void*)-1</c>.</summary>
    public static readonly void* MAP_FAILED = (void*)-1;

    [LibraryImport(Libc, SetLastError = true)]
    public static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int munmap(void* addr, nuint length);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int madvise(void* addr, nuint length, int advice);

    public const uint MFD_CLOEXEC = 0x1;
    public const uint MFD_ALLOW_SEALING = 0x2;

    /// <summary>An anonymous file in memory (a VM's RAM as a vhost-user frontend shares it; tests).</summary>
    [LibraryImport(Libc, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);
}
