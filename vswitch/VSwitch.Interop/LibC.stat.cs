namespace VSwitch.Interop;

/// <summary><c>sys/stat.h</c>: the flags of <c>statx(2)</c>, which comes from Tmds.LibC with its <c>struct statx</c> (control plane only).</summary>
public static unsafe partial class LibC
{
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_EMPTY_PATH = 0x1000;

    public const uint STATX_TYPE = 0x1;
    public const uint STATX_SIZE = 0x200;

    public const int S_IFMT = 0xF000;
    public const int S_IFSOCK = 0xC000;
}
