using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>sys/stat.h</c>: <c>statx(2)</c>, for a file's type (control plane only: the path is marshalled as UTF-8).</summary>
public static unsafe partial class LibC
{
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;

    public const uint STATX_TYPE = 0x1;

    public const int S_IFMT = 0xF000;
    public const int S_IFSOCK = 0xC000;

    [LibraryImport(Libc, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statx(int dirfd, string pathname, int flags, uint mask, statx* statxbuf);

    public const int AT_EMPTY_PATH = 0x1000;
    public const uint STATX_SIZE = 0x200;
}

/// <summary>
/// <c>struct statx</c>: 256 bytes on every architecture; only the leading fields the switch reads are declared (the
/// kernel gives later fields new meanings over time, and glibc and the kernel name the padding differently).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
public struct statx
{
    [FieldOffset(0)]
    public uint stx_mask;

    [FieldOffset(28)]
    public ushort stx_mode;

    [FieldOffset(40)]
    public ulong stx_size;
}
