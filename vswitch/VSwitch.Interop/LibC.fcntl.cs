namespace VSwitch.Interop;

/// <summary><c>fcntl.h</c>: the flags of <c>open(2)</c> and <c>fcntl(2)</c>, which come from Tmds.LibC.</summary>
public static unsafe partial class LibC
{
    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_CREAT = 0x40;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
}
