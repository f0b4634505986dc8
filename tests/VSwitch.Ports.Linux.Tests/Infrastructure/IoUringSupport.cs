using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests;

/// <summary>
/// Whether this kernel offers io_uring: tests of the io_uring path skip, with the reason, where the kernel lacks it
/// (not built in: ENOSYS; switched off by <c>kernel.io_uring_disabled</c> or a seccomp filter: EPERM). Any other
/// failure of <c>io_uring_setup</c> is left to fail the tests.
/// </summary>
internal static unsafe class IoUringSupport
{
    private static readonly Lazy<string?> s_missing = new(Probe);

    /// <summary>Null where io_uring works, otherwise why the kernel does not offer it.</summary>
    public static string? Missing => s_missing.Value;

    /// <summary>Skips the running test (a <c>SkippableFact</c> or <c>SkippableTheory</c>) where the kernel lacks io_uring.</summary>
    public static void SkipIfMissing() =>
        Skip.If(Missing is not null, $"the kernel does not offer io_uring ({Missing}): the io_uring path cannot be tested here");

    /// <summary><see cref="SkipIfMissing()"/> for a test whose I/O path is <paramref name="io"/>.</summary>
    public static void SkipIfMissing(string? io)
    {
        if (io == "uring")
        {
            SkipIfMissing();
        }
    }

    private static string? Probe()
    {
        var p = default(Tmds.Linux.io_uring_params);
        var fd = TmdsLibC.io_uring_setup(2, &p);
        if (fd >= 0)
        {
            _ = TmdsLibC.close(fd);
            return null;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno is LibC.ENOSYS or LibC.EPERM ? $"io_uring_setup: {LibC.StrError(errno)}" : null;
    }
}
