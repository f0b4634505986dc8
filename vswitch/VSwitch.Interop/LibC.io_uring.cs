using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>linux/io_uring.h</c>'s constants and <c>io_uring_enter</c>, which a worker calls per batch: submitting a batch
/// of reads or writes with one kernel entry. <c>io_uring_setup</c> and the structs (<c>io_uring_params</c> with its
/// ring offsets, <c>io_uring_sqe</c>, <c>io_uring_cqe</c>) come from Tmds.LibC, checked by <c>InteropLayoutTests</c>.
/// </summary>
/// <remarks>
/// glibc has no wrapper for <c>io_uring_enter</c>, so it goes through libc's <c>syscall(2)</c>, declared here with a
/// fixed argument list. That is sound although <c>syscall</c> is variadic:
/// on x86-64 (System V) and Linux AArch64 integer variadic arguments travel in the same registers and stack slots as
/// named ones, and the vector-register count in <c>%al</c> is read only by callees that <c>va_start</c> floating-point
/// arguments, which glibc's assembly <c>syscall</c> does not. Every argument is passed as a full 64-bit word so no
/// register carries an undefined upper half. The numbers 425 and 426 are the same on every architecture. Tmds.LibC's
/// <c>io_uring_enter</c> reaches the same call through a <c>DllImport</c> stub, which costs more per call.
/// </remarks>
public static unsafe partial class LibC
{
    public const int SYS_io_uring_enter = 426;

    // mmap offsets of the three shared regions.
    public const long IORING_OFF_SQ_RING = 0;
    public const long IORING_OFF_CQ_RING = 0x8000000;
    public const long IORING_OFF_SQES = 0x10000000;

    // io_uring_params.features.
    public const uint IORING_FEAT_SINGLE_MMAP = 1u << 0;
    public const uint IORING_FEAT_NODROP = 1u << 1;

    // io_uring_enter flags.
    public const uint IORING_ENTER_GETEVENTS = 1u << 0;

    // io_uring_sqe.opcode (enum io_uring_op).
    public const byte IORING_OP_READV = 1;
    public const byte IORING_OP_WRITEV = 2;

    /// <summary>
    /// <c>RWF_NOWAIT</c> (<c>linux/fs.h</c>), for <c>io_uring_sqe.rw_flags</c>: fail with EAGAIN instead of
    /// waiting. io_uring ignores <c>O_NONBLOCK</c> on files that can be polled and waits for readiness instead.
    /// </summary>
    public const int RWF_NOWAIT = 0x8;

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint syscall6(nint number, nint arg1, nint arg2, nint arg3, nint arg4, nint arg5, nint arg6);

    /// <summary>
    /// Submits <paramref name="to_submit"/> queued entries and, with <see cref="IORING_ENTER_GETEVENTS"/>, waits until
    /// at least <paramref name="min_complete"/> completions are in the ring; returns the number submitted or -1 (errno).
    /// </summary>
    public static int io_uring_enter(int fd, uint to_submit, uint min_complete, uint flags, void* sig, nuint sigsz) =>
        (int)syscall6(SYS_io_uring_enter, fd, (nint)to_submit, (nint)min_complete, (nint)flags, (nint)sig, (nint)sigsz);
}
