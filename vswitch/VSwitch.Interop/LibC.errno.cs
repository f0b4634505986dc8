namespace VSwitch.Interop;

public static partial class LibC
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int ENXIO = 6;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EWOULDBLOCK = 11;
    public const int ENOMEM = 12;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int EMSGSIZE = 90;
    public const int ENOBUFS = 105;
    public const int ENETDOWN = 100;
    public const int EBADFD = 77;
    public const int EFAULT = 14;
    public const int EACCES = 13;
    public const int ENOPROTOOPT = 92;
    public const int EOPNOTSUPP = 95;
    public const int EADDRINUSE = 98;
    public const int ENOTSUP = 95;
    public const int EPIPE = 32;
    public const int ECONNRESET = 104;
    public const int ECONNREFUSED = 111;

    /// <summary>Describes an errno value as <c>strerror</c> would, for log and error messages (never per packet).</summary>
    public static string StrError(int errno) => System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno);
}
