using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>linux/io_uring.h</c> and its two system calls: submitting a batch of reads or writes with one kernel entry.
/// </summary>
/// <remarks>
/// glibc has no wrappers for <c>io_uring_setup</c>/<c>io_uring_enter</c>, so they go through libc's
/// <c>syscall(2)</c>, declared here with a fixed argument list. That is sound although <c>syscall</c> is variadic:
/// on x86-64 (System V) and Linux AArch64 integer variadic arguments travel in the same registers and stack slots as
/// named ones, and the vector-register count in <c>%al</c> is read only by callees that <c>va_start</c> floating-point
/// arguments, which glibc's assembly <c>syscall</c> does not. Every argument is passed as a full 64-bit word so no
/// register carries an undefined upper half. The numbers 425 and 426 are the same on every architecture.
/// </remarks>
public static unsafe partial class LibC
{
    public const int SYS_io_uring_setup = 425;
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
    /// <c>RWF_NOWAIT</c> (<c>linux/fs.h</c>), for <see cref="io_uring_sqe.rw_flags"/>: fail with EAGAIN instead of
    /// waiting. io_uring ignores <c>O_NONBLOCK</c> on files that can be polled and waits for readiness instead.
    /// </summary>
    public const int RWF_NOWAIT = 0x8;

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint syscall2(nint number, nint arg1, nint arg2);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint syscall6(nint number, nint arg1, nint arg2, nint arg3, nint arg4, nint arg5, nint arg6);

    /// <summary>Creates a ring of at least <paramref name="entries"/> submission entries; returns its fd or -1 (errno).</summary>
    public static int io_uring_setup(uint entries, io_uring_params* p) =>
        (int)syscall2(SYS_io_uring_setup, (nint)entries, (nint)p);

    /// <summary>
    /// Submits <paramref name="to_submit"/> queued entries and, with <see cref="IORING_ENTER_GETEVENTS"/>, waits until
    /// at least <paramref name="min_complete"/> completions are in the ring; returns the number submitted or -1 (errno).
    /// </summary>
    public static int io_uring_enter(int fd, uint to_submit, uint min_complete, uint flags, void* sig, nuint sigsz) =>
        (int)syscall6(SYS_io_uring_enter, fd, (nint)to_submit, (nint)min_complete, (nint)flags, (nint)sig, (nint)sigsz);
}

/// <summary><c>struct io_sqring_offsets</c>: where the submission ring's fields are in its mapping.</summary>
/// <remarks>
/// The last 8 bytes (<c>resv2</c>, named <c>user_addr</c> since Linux 6.5) are unused here and left out by name, so the
/// layout test compiles against old and new headers alike; <c>Size</c> keeps the struct at the kernel's 40 bytes.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = 40)]
public struct io_sqring_offsets
{
    public uint head;
    public uint tail;
    public uint ring_mask;
    public uint ring_entries;
    public uint flags;
    public uint dropped;
    public uint array;
    public uint resv1;
}

/// <summary><c>struct io_cqring_offsets</c>: where the completion ring's fields are in its mapping (last 8 bytes as above).</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
public struct io_cqring_offsets
{
    public uint head;
    public uint tail;
    public uint ring_mask;
    public uint ring_entries;
    public uint overflow;
    public uint cqes;
    public uint flags;
    public uint resv1;
}

/// <summary><c>struct io_uring_params</c>: filled in by <c>io_uring_setup</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct io_uring_params
{
    public uint sq_entries;
    public uint cq_entries;
    public uint flags;
    public uint sq_thread_cpu;
    public uint sq_thread_idle;
    public uint features;
    public uint wq_fd;
    public fixed uint resv[3];
    public io_sqring_offsets sq_off;
    public io_cqring_offsets cq_off;
}

/// <summary>
/// <c>struct io_uring_sqe</c> (64 bytes). The C struct is mostly unions; each is declared here by the member this
/// switch uses (<c>off</c>, <c>addr</c>, <c>rw_flags</c>, <c>buf_index</c>, <c>splice_fd_in</c>, <c>addr3</c>).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct io_uring_sqe
{
    public byte opcode;
    public byte flags;
    public ushort ioprio;
    public int fd;
    public ulong off;
    public ulong addr;
    public uint len;
    public int rw_flags;
    public ulong user_data;
    public ushort buf_index;
    public ushort personality;
    public int splice_fd_in;
    public ulong addr3;
    public ulong __pad2;
}

/// <summary><c>struct io_uring_cqe</c> (16 bytes; without <c>IORING_SETUP_CQE32</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct io_uring_cqe
{
    public ulong user_data;
    public int res;
    public uint flags;
}
