using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;
using io_uring_sqe = Tmds.Linux.io_uring_sqe;
using io_uring_params = Tmds.Linux.io_uring_params;
using io_uring_cqe = Tmds.Linux.io_uring_cqe;
using size_t = Tmds.Linux.size_t;

namespace VSwitch.Ports.Linux;

/// <summary>
/// A minimal io_uring instance (raw system calls, no liburing): queue submission entries, submit them and wait for
/// their completions with one <c>io_uring_enter</c>, reap the completions.
/// </summary>
/// <remarks>
/// What: <c>io_uring_setup</c> with no flags, the submission ring, completion ring and SQE array mapped shared
/// (one mapping for both rings with <c>IORING_FEAT_SINGLE_MMAP</c>), and the SQ index array filled once with the
/// identity so SQE <c>i</c> is always slot <c>i</c> of the ring.
/// Protocol (the kernel is the other side of two single-producer rings): SQEs are written first and the SQ tail is
/// published with a release store; the CQ tail is read with an acquire load before the CQEs it covers, and the CQ head
/// is advanced with a release store after they were copied out. The SQ head is the kernel's, read with an acquire load.
/// The intended use is synchronous: queue at most <see cref="Entries"/> SQEs, <see cref="SubmitAndWait"/> for all of
/// them, reap them all. The CQ ring is twice the SQ ring, so it cannot overflow under that use.
/// Thread-safety: none; one thread owns a ring (a TAP queue's ring belongs to the worker of that queue).
/// </remarks>
internal sealed unsafe class IoUring : IDisposable
{
    private readonly int _fd;
    private readonly byte* _sqRing;
    private readonly nuint _sqRingSize;
    private readonly byte* _cqRing;
    private readonly nuint _cqRingSize;
    private readonly io_uring_sqe* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly io_uring_cqe* _cqes;

    /// <summary>SQ tail as queued here; published to the kernel by <see cref="SubmitAndWait"/>.</summary>
    private uint _sqeTail;
    private int _disposed;

    private IoUring(int fd, in io_uring_params p, byte* sqRing, nuint sqRingSize, byte* cqRing, nuint cqRingSize, io_uring_sqe* sqes, nuint sqesSize)
    {
        _fd = fd;
        _sqRing = sqRing;
        _sqRingSize = sqRingSize;
        _cqRing = cqRing;
        _cqRingSize = cqRingSize;
        _sqes = sqes;
        _sqesSize = sqesSize;
        _sqHead = (uint*)(sqRing + p.sq_off.head);
        _sqTail = (uint*)(sqRing + p.sq_off.tail);
        _sqMask = *(uint*)(sqRing + p.sq_off.ring_mask);
        _cqHead = (uint*)(cqRing + p.cq_off.head);
        _cqTail = (uint*)(cqRing + p.cq_off.tail);
        _cqMask = *(uint*)(cqRing + p.cq_off.ring_mask);
        _cqes = (io_uring_cqe*)(cqRing + p.cq_off.cqes);
        Entries = p.sq_entries;
        CompletionEntries = p.cq_entries;
        Features = p.features;
        _sqeTail = *_sqTail;
        var array = (uint*)(sqRing + p.sq_off.array);
        for (var i = 0u; i < p.sq_entries; i++)
        {
            array[i] = i;
        }
    }

    /// <summary>Submission entries (the kernel rounds the request up to a power of two).</summary>
    public uint Entries { get; }

    /// <summary>Completion entries (twice <see cref="Entries"/>).</summary>
    public uint CompletionEntries { get; }

    /// <summary>The kernel's <c>IORING_FEAT_*</c> bits.</summary>
    public uint Features { get; }

    /// <summary>SQEs queued and not yet handed to the kernel.</summary>
    public uint Queued => _sqeTail - Volatile.Read(ref *_sqHead);

    /// <summary>Completions waiting to be reaped.</summary>
    public uint Ready => Volatile.Read(ref *_cqTail) - *_cqHead;

    /// <summary>
    /// Creates a ring with at least <paramref name="entries"/> submission entries; on failure <paramref name="error"/>
    /// says which call failed and why (io_uring may be disabled by <c>kernel.io_uring_disabled</c>, seccomp or age).
    /// </summary>
    public static bool TryCreate(uint entries, [NotNullWhen(true)] out IoUring? ring, out string error)
    {
        ring = null;
        var p = default(io_uring_params);
        var fd = TmdsLibC.io_uring_setup(entries, &p);
        if (fd < 0)
        {
            error = $"io_uring_setup: {LibC.StrError(Marshal.GetLastPInvokeError())}";
            return false;
        }

        var sqRingSize = p.sq_off.array + (p.sq_entries * (nuint)sizeof(uint));
        var cqRingSize = p.cq_off.cqes + (p.cq_entries * (nuint)sizeof(io_uring_cqe));
        var single = (p.features & LibC.IORING_FEAT_SINGLE_MMAP) != 0;
        if (single)
        {
            sqRingSize = cqRingSize = Math.Max(sqRingSize, cqRingSize);
        }
        var sqesSize = p.sq_entries * (nuint)sizeof(io_uring_sqe);
        const int Prot = LibC.PROT_READ | LibC.PROT_WRITE;
        const int Flags = LibC.MAP_SHARED | LibC.MAP_POPULATE;
        var sqRing = (byte*)TmdsLibC.mmap(null, (size_t)(ulong)sqRingSize, Prot, Flags, fd, LibC.IORING_OFF_SQ_RING);
        var cqRing = sqRing == LibC.MAP_FAILED || single
            ? sqRing
            : (byte*)TmdsLibC.mmap(null, (size_t)(ulong)cqRingSize, Prot, Flags, fd, LibC.IORING_OFF_CQ_RING);
        var sqes = sqRing == LibC.MAP_FAILED || cqRing == LibC.MAP_FAILED
            ? (io_uring_sqe*)LibC.MAP_FAILED
            : (io_uring_sqe*)TmdsLibC.mmap(null, (size_t)(ulong)sqesSize, Prot, Flags, fd, LibC.IORING_OFF_SQES);
        if (sqes == LibC.MAP_FAILED)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (sqRing != LibC.MAP_FAILED)
            {
                _ = TmdsLibC.munmap(sqRing, (size_t)(ulong)sqRingSize);
            }
            if (!single && cqRing != LibC.MAP_FAILED)
            {
                _ = TmdsLibC.munmap(cqRing, (size_t)(ulong)cqRingSize);
            }
            _ = TmdsLibC.close(fd);
            error = $"mmap of the io_uring rings: {LibC.StrError(errno)}";
            return false;
        }
        ring = new IoUring(fd, p, sqRing, sqRingSize, cqRing, single ? 0 : cqRingSize, sqes, sqesSize);
        error = "";
        return true;
    }

    /// <summary>
    /// The next submission entry, zeroed, for the caller to fill in. Entries are handed to the kernel in the order they
    /// were taken. Throws if more than <see cref="Entries"/> are queued (a caller bug, never a run-time condition).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public io_uring_sqe* NextSqe()
    {
        if (_sqeTail - Volatile.Read(ref *_sqHead) >= Entries)
        {
            ThrowFull();
        }
        var sqe = &_sqes[_sqeTail & _sqMask];
        *sqe = default;
        _sqeTail++;
        return sqe;
    }

    /// <summary>Queues a vectored read or write (<paramref name="opcode"/> READV/WRITEV) at the file's current position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void QueueVectored(byte opcode, int fd, iovec* iov, uint count, int rwFlags, ulong userData)
    {
        var sqe = NextSqe();
        sqe->opcode = opcode;
        sqe->fd = fd;
        sqe->off = ulong.MaxValue;   // -1: the current position, as readv/writev (ignored by streams such as TAP)
        sqe->addr = (ulong)iov;
        sqe->len = count;
        sqe->rw_flags = rwFlags;
        sqe->user_data = userData;
    }

    /// <summary>Attempts of one <see cref="SubmitAndWait"/> that may fail with a transient error before it gives up.</summary>
    public const int TransientRetries = 1000;

    /// <summary>
    /// Hands every queued SQE to the kernel and waits until at least <paramref name="wait"/> completions are in the
    /// ring, entering the kernel once in the normal case. Returns 0, or the errno of a failed <c>io_uring_enter</c>
    /// (entries not yet consumed stay queued). EINTR (a signal while waiting) is retried; so are the errors the
    /// kernel gives when it is short of memory for requests or has completions it could not post yet (EAGAIN, ENOMEM,
    /// EBUSY), after yielding the CPU, up to <see cref="TransientRetries"/> times: they pass, and failing the port for
    /// them would take a VM's NIC down for good.
    /// </summary>
    public int SubmitAndWait(uint wait)
    {
        // Release: the SQE contents written before are visible to the kernel before the tail that covers them.
        Volatile.Write(ref *_sqTail, _sqeTail);
        var transient = 0;
        while (true)
        {
            var toSubmit = Queued;
            if (toSubmit == 0 && Ready >= wait)
            {
                return 0;
            }
            var flags = wait > 0 ? LibC.IORING_ENTER_GETEVENTS : 0;
            if (LibC.io_uring_enter(_fd, toSubmit, wait, flags, null, 0) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR)
                {
                    continue;
                }
                if (errno is not (LibC.EAGAIN or LibC.ENOMEM or LibC.EBUSY) || ++transient > TransientRetries)
                {
                    return errno;
                }
                Thread.Yield();
            }
        }
    }

    /// <summary>Takes the oldest completion, if there is one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReap(out io_uring_cqe cqe)
    {
        var head = *_cqHead;
        // Acquire: the CQE the tail covers is read only after the tail.
        if (head == Volatile.Read(ref *_cqTail))
        {
            cqe = default;
            return false;
        }
        cqe = _cqes[head & _cqMask];
        // Release: the kernel may reuse the slot only after it was copied out.
        Volatile.Write(ref *_cqHead, head + 1);
        return true;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFull() => throw new InvalidOperationException("io_uring submission queue is full");

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _ = TmdsLibC.munmap(_sqes, (size_t)(ulong)_sqesSize);
        if (_cqRingSize != 0)
        {
            _ = TmdsLibC.munmap(_cqRing, (size_t)(ulong)_cqRingSize);
        }
        _ = TmdsLibC.munmap(_sqRing, (size_t)(ulong)_sqRingSize);
        _ = TmdsLibC.close(_fd);
    }
}
