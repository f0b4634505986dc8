using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;

namespace VSwitch.Ports.Linux;

/// <summary>
/// The io_uring I/O path of one TAP queue (<c>tap:NAME?io=uring</c>): a batch of reads or writes per
/// <c>io_uring_enter</c> instead of one <c>readv</c>/<c>writev</c> system call per frame.
/// </summary>
/// <remarks>
/// Why: system calls are expensive here (a PVM guest: ~1.1 µs for a null call), and the system-call path pays one per
/// frame plus a final EAGAIN read per receive call.
/// What: receive queues one <c>READV</c> per batch slot (the virtio-net header, the slot's buffer and one overflow
/// byte, the same iovecs as <c>readv</c>), submits them all and waits for all their completions in one enter, then compacts the slots
/// that got a frame to the front, in submission order (descriptors are swapped, no bytes copied). Transmit queues one
/// <c>WRITEV</c> per frame the same way and counts the completions that succeeded.
/// Every request carries <c>RWF_NOWAIT</c>: io_uring ignores <c>O_NONBLOCK</c> on a file it can poll (it arms a poll
/// and completes the read when a frame arrives, which would block the enter that waits for all completions), whereas
/// with <c>RWF_NOWAIT</c> an empty queue completes at once with -EAGAIN. Because the TAP driver must support that flag
/// (<c>FMODE_NOWAIT</c>), <see cref="TryCreate"/> checks it once with a write the driver rejects (1 byte, shorter than
/// the virtio-net header: -EINVAL from the driver, which sends and counts nothing; -EOPNOTSUPP means no support).
/// Reads per receive call adapt: an empty READV costs ~0.3 µs in the kernel (measured here: one enter with 32 reads
/// of an empty queue 11.4 µs, with one 2.6 µs), so a call starts with twice the frames the last one got plus
/// <see cref="MinReads"/> (a full batch after a full one), and a trickle costs a few reads, not 32; when every read of
/// that first round gets a frame, a second round fills the rest of the batch in the same call.
/// Errors are handled as on the system-call path; the caller (<see cref="TapPort"/>) turns the hard ones it is handed
/// into the port's failure. <see cref="IoUring.SubmitAndWait"/> retries the transient failures of
/// <c>io_uring_enter</c> (EINTR; EAGAIN, ENOMEM, EBUSY after a yield); any other failure, or a transient one that
/// does not pass, is a hard error too: entries that point at this call's buffers may still be queued, so the ring must
/// never be entered again (the completion ring, twice the submission ring, cannot overflow).
/// Measured (2-core PVM guest, Debug build, one thread relaying TAP→TAP, trafgen flooding 60-byte frames; a
/// throw-away harness, not a test): ~680k frames/s relayed with io=uring, ~200k with io=syscalls.
/// Thread-safety: none; the worker of the queue owns it (receive and transmit never overlap: each waits for all its
/// completions before it returns, so the iovec and header arrays are reused).
/// </remarks>
internal sealed unsafe class TapUringQueue : IDisposable
{
    /// <summary>Fewest reads a receive call queues.</summary>
    public const int MinReads = 4;

    private const int Slots = PacketBatch.MaxSize;

    /// <summary>iovecs per slot: the virtio-net header, the frame buffer, and (reads) one overflow byte.</summary>
    private const int IovPerSlot = 3;

    private readonly IoUring _ring;
    private readonly int _fd;
    private readonly iovec* _iov;
    private readonly VirtioNetHeader* _vnet;

    /// <summary>Where a read puts the first byte past the buffer: its content is never read, only that it was written.</summary>
    private readonly byte* _overflow;
    private int _reads = Slots;
    private int _disposed;

    private TapUringQueue(IoUring ring, int fd)
    {
        _ring = ring;
        _fd = fd;
        _iov = (iovec*)NativeMemory.AlignedAlloc((nuint)(IovPerSlot * Slots * sizeof(iovec)), 64);
        _vnet = (VirtioNetHeader*)NativeMemory.AlignedAlloc((nuint)(Slots * sizeof(VirtioNetHeader)), 64);
        _overflow = (byte*)NativeMemory.AlignedAlloc(64, 64);
    }

    /// <summary>Reads the next receive call will queue.</summary>
    public int NextReads => _reads;

    /// <summary>
    /// Creates a ring per queue fd and checks that the TAP driver completes <c>RWF_NOWAIT</c> requests at once; on
    /// failure everything created is released and <paramref name="error"/> says why.
    /// </summary>
    public static bool TryCreate(ReadOnlySpan<int> fds, [NotNullWhen(true)] out TapUringQueue[]? queues, out string error)
    {
        var created = new TapUringQueue[fds.Length];
        var count = 0;
        try
        {
            for (; count < fds.Length; count++)
            {
                if (!IoUring.TryCreate(Slots, out var ring, out error))
                {
                    queues = null;
                    return false;
                }
                created[count] = new TapUringQueue(ring, fds[count]);
            }
            if (count > 0 && !created[0].ProbeNowait(out error))
            {
                queues = null;
                return false;
            }
            queues = created;
            count = 0;   // handed over
            error = "";
            return true;
        }
        finally
        {
            for (var i = 0; i < count; i++)
            {
                created[i].Dispose();
            }
        }
    }

    /// <summary>Submits a 1-byte RWF_NOWAIT write, which a TAP queue with virtio-net headers rejects as too short.</summary>
    private bool ProbeNowait(out string error)
    {
        byte one = 0;
        var iov = new iovec { iov_base = &one, iov_len = 1 };
        _ring.QueueVectored(LibC.IORING_OP_WRITEV, _fd, &iov, 1, LibC.RWF_NOWAIT, 0);
        var errno = _ring.SubmitAndWait(1);
        if (errno != 0)
        {
            error = $"io_uring_enter: {LibC.StrError(errno)}";
            return false;
        }
        if (!_ring.TryReap(out var cqe) || cqe.res == -LibC.EOPNOTSUPP)
        {
            error = $"the kernel's TAP driver does not take non-blocking (RWF_NOWAIT) requests through io_uring ({LibC.StrError(-cqe.res)})";
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>
    /// Receives up to a batch, with the readv path's error handling: EAGAIN is no frame, reads that fail otherwise or
    /// return too little or too much are counted in <paramref name="errors"/>, and an error after which the queue can
    /// never work again (<see cref="TapPort.IsHardError"/>, or a failed <c>io_uring_enter</c>) is returned in
    /// <paramref name="hardErrno"/> (else 0) with the failed call in <paramref name="hardOperation"/>.
    /// </summary>
    public int Receive(PacketBatch batch, ref PortErrors errors, out int hardErrno, out string hardOperation)
    {
        hardErrno = 0;
        hardOperation = "";
        var count = ReceiveRound(batch, 0, _reads, ref errors, ref hardErrno, ref hardOperation);
        var requested = _reads;
        if (count == _reads && count < Slots && hardErrno == 0)
        {
            // Every read of a short round got a frame: more are likely waiting. Fill the batch now rather than return a
            // short one, which the worker takes for "drained" and answers with an epoll_wait first.
            count += ReceiveRound(batch, count, Slots - count, ref errors, ref hardErrno, ref hardOperation);
            requested = Slots;
        }
        _reads = count == requested ? Slots : Math.Min(Slots, (2 * count) + MinReads);
        batch.Count = count;
        return count;
    }

    /// <summary>
    /// Queues <paramref name="n"/> reads into slots <paramref name="first"/> onwards (all free), submits them in one
    /// enter, and compacts the slots that got a frame to the front of that range; returns how many did.
    /// </summary>
    private int ReceiveRound(PacketBatch batch, int first, int n, ref PortErrors errors, ref int hardErrno, ref string hardOperation)
    {
        var capacity = (nuint)batch.BufferSize;
        for (var i = first; i < first + n; i++)
        {
            var iov = _iov + (IovPerSlot * i);
            iov[0].iov_base = _vnet + i;
            iov[0].iov_len = VirtioNetHeader.Size;
            iov[1].iov_base = batch[i].Data;
            iov[1].iov_len = capacity;
            iov[2].iov_base = _overflow;
            iov[2].iov_len = 1;
            _ring.QueueVectored(LibC.IORING_OP_READV, _fd, iov, IovPerSlot, LibC.RWF_NOWAIT, (ulong)i);
        }
        var enterErrno = _ring.SubmitAndWait((uint)n);

        var results = stackalloc int[Slots];
        for (var i = first; i < first + n; i++)
        {
            results[i] = -LibC.EAGAIN;
        }
        while (_ring.TryReap(out var cqe))
        {
            if (cqe.user_data < Slots)
            {
                results[(int)cqe.user_data] = cqe.res;
            }
        }

        var count = first;
        for (var i = first; i < first + n; i++)
        {
            var res = results[i];
            if (res < 0)
            {
                var errno = -res;
                if (errno is LibC.EAGAIN or LibC.EINTR)
                {
                    continue;
                }
                if (TapPort.IsHardError(errno, receiving: true))
                {
                    (hardErrno, hardOperation) = (errno, "read");
                }
                else
                {
                    errors.RxErrors++;
                }
                continue;
            }
            var length = res - VirtioNetHeader.Size;
            if (length <= 0 || (nuint)length > capacity)
            {
                // Reached the overflow byte: too long, and cut by the kernel (see TapPort.Receive).
                errors.RxErrors++;
                continue;
            }
            if (i != count)
            {
                // Move the frame to the first free slot; swapping the buffers leaves every slot one of its own.
                var data = batch[i].Data;
                batch[i].Data = batch[count].Data;
                batch[count].Data = data;
            }
            ref var frame = ref batch[count];
            frame.Length = length;
            frame.Vnet = _vnet[i];
            count++;
        }
        if (enterErrno != 0)
        {
            (hardErrno, hardOperation) = (enterErrno, "io_uring_enter");
        }
        return count - first;
    }

    /// <summary>
    /// Writes the batch and returns the frames the kernel took, with the writev path's error handling: EAGAIN and
    /// ENOBUFS are frames not taken, other failures are counted in <paramref name="errors"/>, and errors as for
    /// <see cref="Receive"/> are returned in <paramref name="hardErrno"/> and <paramref name="hardOperation"/>.
    /// </summary>
    public int Transmit(PacketBatch batch, ref PortErrors errors, out int hardErrno, out string hardOperation)
    {
        hardErrno = 0;
        hardOperation = "";
        var n = batch.Count;
        if (n == 0)
        {
            return 0;
        }
        for (var i = 0; i < n; i++)
        {
            ref var frame = ref batch[i];
            _vnet[i] = frame.Vnet;
            var iov = _iov + (IovPerSlot * i);
            iov[0].iov_base = _vnet + i;
            iov[0].iov_len = VirtioNetHeader.Size;
            iov[1].iov_base = frame.Data;
            iov[1].iov_len = (nuint)frame.Length;
            _ring.QueueVectored(LibC.IORING_OP_WRITEV, _fd, iov, 2, LibC.RWF_NOWAIT, (ulong)i);
        }
        var enterErrno = _ring.SubmitAndWait((uint)n);

        var sent = 0;
        while (_ring.TryReap(out var cqe))
        {
            if (cqe.res >= 0)
            {
                sent++;
                continue;
            }
            var errno = -cqe.res;
            if (errno is LibC.EAGAIN or LibC.ENOBUFS or LibC.EINTR)
            {
                continue;
            }
            if (TapPort.IsHardError(errno, receiving: false))
            {
                (hardErrno, hardOperation) = (errno, "write");
            }
            else
            {
                // A frame the kernel rejects (bad offload header, too large): count it and go on.
                errors.TxErrors++;
            }
        }
        if (enterErrno != 0)
        {
            (hardErrno, hardOperation) = (enterErrno, "io_uring_enter");
        }
        return sent;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _ring.Dispose();
        NativeMemory.AlignedFree(_iov);
        NativeMemory.AlignedFree(_overflow);
        NativeMemory.AlignedFree(_vnet);
    }
}
