namespace VSwitch.Interop;

/// <summary>
/// Linux libc and kernel ABI, one partial file per C header (<c>LibC.epoll.cs</c> for <c>sys/epoll.h</c>, ...).
/// </summary>
/// <remarks>
/// Names are the C names, so that a man page maps straight onto the code (as Tmds.LibC does). Every import is a
/// source-generated <c>[LibraryImport]</c> with <c>SetLastError = true</c>; read the error with
/// <see cref="System.Runtime.InteropServices.Marshal.GetLastPInvokeError"/>. Struct sizes, field offsets and constants
/// are checked against the kernel headers by <c>InteropLayoutTests</c>, which compiles a C probe with gcc.
/// </remarks>
public static unsafe partial class LibC
{
    /// <summary>The C library every import binds to.</summary>
    public const string Libc = "libc";
}
