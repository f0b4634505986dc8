using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>sys/file.h</c>: <c>flock(2)</c>, the advisory whole-file lock (control plane only).</summary>
/// <remarks>
/// An <c>flock</c> lock belongs to the open file description, not to the process: it lasts until the last descriptor
/// of that description is closed, which the kernel does when the process dies (also on SIGKILL), so it cannot go
/// stale. Unlike <c>fcntl</c> record locks, closing some other descriptor of the same file does not drop it.
/// </remarks>
public static unsafe partial class LibC
{
    public const int LOCK_SH = 1;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;
    public const int LOCK_UN = 8;

    /// <summary>Takes or releases the lock on <paramref name="fd"/>; with <see cref="LOCK_NB"/> a held lock fails with EWOULDBLOCK (= EAGAIN).</summary>
    [LibraryImport(Libc, SetLastError = true)]
    public static partial int flock(int fd, int operation);
}
