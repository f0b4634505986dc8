using System.Runtime.InteropServices;

namespace VSwitch.Interop;

public static unsafe partial class LibC
{
    /// <summary>Namespace type for <see cref="setns"/>: the network namespace.</summary>
    public const int CLONE_NEWNET = 0x40000000;

    /// <summary>
    /// <c>setns(2)</c>: moves the calling thread (only that thread) into the namespace <paramref name="fd"/> refers to.
    /// </summary>
    [LibraryImport(Libc, SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    /// <summary><c>sched_setaffinity(2)</c>; pid 0 is the calling thread. The mask is a <c>cpu_set_t</c> bit array.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    public static partial int sched_setaffinity(int pid, nuint cpusetsize, ulong* mask);

    [LibraryImport(Libc, SetLastError = true)]
    public static partial int sched_getaffinity(int pid, nuint cpusetsize, ulong* mask);
}
