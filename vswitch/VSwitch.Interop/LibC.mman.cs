namespace VSwitch.Interop;

/// <summary>
/// <c>sys/mman.h</c>'s flags, for mapping packet rings, io_uring rings, a guest's memory and the huge-page backed
/// memory of the large data-path tables; <c>mmap</c>, <c>munmap</c>, <c>madvise</c> and <c>memfd_create</c> come
/// from Tmds.LibC.
/// </summary>
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

    public const uint MFD_CLOEXEC = 0x1;
    public const uint MFD_ALLOW_SEALING = 0x2;
}
