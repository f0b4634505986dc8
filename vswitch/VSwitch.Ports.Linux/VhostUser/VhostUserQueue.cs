// VhostUserQueue: one worker's share of a vhost-user port, and the data path through the guest's rings.
//
// What
//   Worker w owns queue pair w: it receives what the guest sends on ring 2w+1 (the guest's TX virtqueue) and
//   transmits into ring 2w (the guest's RX virtqueue). When the front-end runs fewer queue pairs than the switch has
//   workers, the workers beyond them transmit into a pair that exists, shared, under that ring's lock (the one place
//   this port locks, and only in that configuration, as Open vSwitch's dynamic transmit queues do).
//   Receive copies each available chain (virtio-net header, then the frame, over any number of descriptors, direct or
//   indirect) into the worker's batch and returns the chain; Transmit writes the header and the frame into the guest's
//   receive chains, over several chains with mergeable buffers, and completes checksums and cuts TSO frames when the
//   guest did not negotiate taking them.
//   The epoll descriptor the worker waits on holds the transmit ring's kick eventfd; a receive that drains the ring
//   clears the kick and asks for the next one (Virtqueue.ArmKick), looking again so that a chain made available in
//   between is not left waiting.
//
// Why
//   No packet crosses the kernel: the only system calls on the path are the kick's read when the ring drains and the
//   guest's interrupt when it asked for one. Copies keep the pipeline's batches whole and the guest's memory out of
//   everything but this file and Virtqueue.
//
// Thread-safety
//   The session (control thread) swaps a queue's view (its rings and the negotiated offloads) and then waits until
//   the worker is not inside Receive or Transmit (WaitIdle) before it changes or unmaps what the old view pointed to.
//   The worker announces itself with an interlocked exchange (a full fence, Dekker-style against the session's swap
//   and fence); nothing else is shared.

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using VSwitch.Packets.Offloads;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>The rings and offloads one worker uses, swapped whole by the session.</summary>
/// <param name="Tx">Ring 2w+1, the guest's transmit ring (frames into the switch), or null.</param>
/// <param name="Rx">The guest receive ring this worker writes into (2w, or a shared one), or null.</param>
/// <param name="RxShared">Another worker writes into <paramref name="Rx"/> too: take its lock.</param>
/// <param name="KickFd">The transmit ring's kick eventfd (non-blocking), or -1.</param>
/// <param name="Offloads">What the front-end negotiated.</param>
internal sealed record QueueView(Virtqueue? Tx, Virtqueue? Rx, bool RxShared, int KickFd, VirtioNetOffloads Offloads);

/// <summary>One worker's queue of a <see cref="VhostUserPort"/> (see the file's header).</summary>
internal sealed unsafe class VhostUserQueue : IDisposable
{
    /// <summary>Chains one frame may take in the guest's receive ring (a 64 KiB frame in 1,500-byte mergeable buffers is 44).</summary>
    private const int MaxChainsPerFrame = 64;

    /// <summary>Bytes of the buffer segments and checksum-completed frames are built in.</summary>
    private const int ScratchSize = PacketBatch.DefaultBufferSize;

    private BusyFlag _busy;
    private QueueView? _view;
    private readonly byte* _scratch;
    private int _registeredKick = -1;

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct BusyFlag
    {
        [FieldOffset(64)] public int Value;
    }

    private enum Delivery
    {
        Delivered,
        NoRoom,
        Broken,
    }

    public VhostUserQueue(int index)
    {
        Index = index;
        EpollFd = TmdsLibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (EpollFd < 0)
        {
            throw new PortException($"vhost-user queue {index}: epoll_create1: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        _scratch = (byte*)NativeMemory.AlignedAlloc(ScratchSize, 64);
    }

    public int Index { get; }

    /// <summary>What the worker waits on: readable when the guest kicked the transmit ring.</summary>
    public int EpollFd { get; }

    /// <summary>Frames dropped because the guest had no receive buffer for them (its ring was full).</summary>
    public long RingFull;

    private long _fullSince;

    /// <summary>
    /// Since when (<see cref="Environment.TickCount64"/>) every frame for the guest found its receive ring full and
    /// none went in; 0 while frames go in. Read by the control thread to tell a guest that stopped taking frames.
    /// </summary>
    public long FullSince => Volatile.Read(ref _fullSince);

    /// <summary>The view the worker uses now (the session's reference).</summary>
    public QueueView? View => Volatile.Read(ref _view);

    // ---- control thread ------------------------------------------------------------------------------------------

    /// <summary>Gives the worker a new view and waits on its kick; the old view stays valid until <see cref="WaitIdle"/>.</summary>
    public void Install(QueueView? view)
    {
        Volatile.Write(ref _fullSince, 0);
        Volatile.Write(ref _view, view);
        Interlocked.MemoryBarrier();
        var kick = view?.Tx is not null ? view.KickFd : -1;
        if (kick == _registeredKick)
        {
            return;
        }
        epoll_event ev = default;
        if (_registeredKick >= 0)
        {
            TmdsLibC.epoll_ctl(EpollFd, LibC.EPOLL_CTL_DEL, _registeredKick, (Tmds.Linux.epoll_event*)&ev);
        }
        _registeredKick = -1;
        if (kick >= 0)
        {
            ev.events = LibC.EPOLLIN;
            ev.data = (ulong)Index;
            if (TmdsLibC.epoll_ctl(EpollFd, LibC.EPOLL_CTL_ADD, kick, (Tmds.Linux.epoll_event*)&ev) == 0)
            {
                _registeredKick = kick;
            }
        }
    }

    /// <summary>Waits until the worker is outside <see cref="Receive"/> and <see cref="Transmit"/> (it then sees the installed view).</summary>
    public void WaitIdle()
    {
        var spin = default(SpinWait);
        while (Volatile.Read(ref _busy.Value) != 0)
        {
            spin.SpinOnce();
        }
    }

    // ---- worker ----------------------------------------------------------------------------------------------------

    /// <summary>Takes up to a batch of frames the guest sent; a broken ring sets <paramref name="failure"/>.</summary>
    public int Receive(PacketBatch batch, ref PortErrors errors, out string? failure)
    {
        failure = null;
        Interlocked.Exchange(ref _busy.Value, 1);
        try
        {
            var view = Volatile.Read(ref _view);
            var ring = view?.Tx;
            if (ring is null)
            {
                return 0;
            }
            ring.Prefetch(PacketBatch.MaxSize);
            var offloads = view!.Offloads;
            var headerSize = offloads.HeaderSize;
            Span<byte> header = stackalloc byte[12];
            var n = 0;
            while (n < PacketBatch.MaxSize)
            {
                var head = ring.Pop();
                if (head < 0)
                {
                    failure = head == -2 ? ring.Error : null;
                    break;
                }
                ref var frame = ref batch[n];
                header.Clear();
                var length = CopyOut(ring, head, headerSize, header, frame.Data, batch.BufferSize, out var error);
                if (error is not null)
                {
                    ring.Fail(error);
                    failure = ring.Error;
                    break;
                }
                ring.Push(head, 0);
                var vnet = MemoryMarshal.Read<VirtioNetHeader>(header);
                if (length < 14 || length > batch.BufferSize || !Acceptable(in vnet, offloads))
                {
                    errors.RxErrors++;
                    continue;
                }
                frame.Length = (int)length;
                frame.Vnet = vnet;
                n++;
            }
            ring.Publish();
            batch.Count = n;
            if (n < PacketBatch.MaxSize && failure is null && view.KickFd >= 0)
            {
                // Drained: clear the kick, ask for the next, and look again (ArmKick).
                ulong value;
                LibC.read(view.KickFd, &value, sizeof(ulong));
                if (ring.ArmKick())
                {
                    value = 1;
                    LibC.write(view.KickFd, &value, sizeof(ulong));
                }
            }
            return n;
        }
        finally
        {
            Volatile.Write(ref _busy.Value, 0);
        }
    }

    /// <summary>
    /// Copies chain <paramref name="head"/> out: the first <paramref name="headerSize"/> bytes into
    /// <paramref name="header"/>, the rest to <paramref name="destination"/>. Returns the frame's length (more than
    /// <paramref name="capacity"/> when it did not fit: nothing past capacity is written), -1 when the header was
    /// incomplete, or sets <paramref name="error"/> for a chain the guest broke.
    /// </summary>
    private static long CopyOut(Virtqueue ring, int head, int headerSize, Span<byte> header, byte* destination, int capacity, out string? error)
    {
        var walker = new DescriptorWalker(ring, head);
        var headerGot = 0;
        long length = 0;
        while (walker.Next(ring, out var address, out var remaining, out var writable, out error))
        {
            if (writable)
            {
                error = $"transmit chain {head} has a device-writable buffer";
                return -1;
            }
            while (remaining > 0)
            {
                var p = ring.Memory.TranslateGuest(address, out var contiguous);
                if (p == null)
                {
                    error = $"transmit chain {head} has a buffer at {address:x} outside the guest's memory";
                    return -1;
                }
                var chunk = (uint)Math.Min(remaining, contiguous);
                var offset = 0u;
                if (headerGot < headerSize)
                {
                    offset = Math.Min(chunk, (uint)(headerSize - headerGot));
                    new ReadOnlySpan<byte>(p, (int)offset).CopyTo(header.Slice(headerGot));
                    headerGot += (int)offset;
                }
                var rest = chunk - offset;
                if (rest > 0)
                {
                    if (length + rest <= capacity)
                    {
                        Buffer.MemoryCopy(p + offset, destination + length, capacity - length, rest);
                    }
                    length += rest;
                }
                address += chunk;
                remaining -= chunk;
            }
        }
        if (error is not null)
        {
            return -1;
        }
        return headerGot < headerSize ? -1 : length;
    }

    /// <summary>A guest's offload request the back-end agreed to (GSO and partial checksums only when negotiated).</summary>
    private static bool Acceptable(in VirtioNetHeader vnet, VirtioNetOffloads offloads)
    {
        if ((vnet.Flags & VirtioNetHeader.NeedsChecksum) != 0 && !offloads.HostChecksum)
        {
            return false;
        }
        if (!vnet.IsGso)
        {
            return true;
        }
        var type = vnet.GsoType & ~VirtioNetHeader.GsoEcn;
        return vnet.GsoSize != 0 && ((type == VirtioNetHeader.GsoTcpV4 && offloads.HostTso4) || (type == VirtioNetHeader.GsoTcpV6 && offloads.HostTso6));
    }

    /// <summary>
    /// Writes the batch's frames into the guest's receive ring. Returns how many went in; the others found no room (a
    /// full ring, a frame too large for non-mergeable buffers) or, with no ring, count as <see cref="PortErrors.TxLinkDown"/>.
    /// </summary>
    public int Transmit(PacketBatch batch, ref PortErrors errors, out string? failure)
    {
        failure = null;
        Interlocked.Exchange(ref _busy.Value, 1);
        try
        {
            var view = Volatile.Read(ref _view);
            var ring = view?.Rx;
            if (ring is null)
            {
                errors.TxLinkDown += batch.Count;
                return 0;
            }
            if (view!.RxShared)
            {
                ring.EnterWriter();
            }
            try
            {
                ring.Prefetch(batch.Count);
                var sent = 0;
                for (var i = 0; i < batch.Count; i++)
                {
                    ref var frame = ref batch[i];
                    var result = Deliver(ring, view.Offloads, new ReadOnlySpan<byte>(frame.Data, frame.Length), in frame.Vnet);
                    if (result == Delivery.Delivered)
                    {
                        sent++;
                    }
                    else if (result == Delivery.Broken)
                    {
                        failure = ring.Error;
                        break;
                    }
                    else
                    {
                        RingFull++;
                    }
                }
                ring.Publish();
                // A ring left without a buffer that takes nothing starts (or continues) a stall; one frame in ends
                // it. Only these two transitions write the field, so a flowing ring costs a read.
                if (sent > 0)
                {
                    if (_fullSince != 0)
                    {
                        Volatile.Write(ref _fullSince, 0);
                    }
                }
                else if (failure is null && batch.Count > 0 && _fullSince == 0 && !ring.HasAvailable())
                {
                    Volatile.Write(ref _fullSince, Math.Max(1, Environment.TickCount64));
                }
                return sent;
            }
            finally
            {
                if (view.RxShared)
                {
                    ring.ExitWriter();
                }
            }
        }
        finally
        {
            Volatile.Write(ref _busy.Value, 0);
        }
    }

    /// <summary>One frame to the guest: as it is when the guest takes its offloads, else checksummed or cut into segments.</summary>
    private Delivery Deliver(Virtqueue ring, VirtioNetOffloads offloads, ReadOnlySpan<byte> frame, in VirtioNetHeader vnet)
    {
        var scratch = new Span<byte>(_scratch, ScratchSize);
        if (vnet.IsGso)
        {
            var type = vnet.GsoType & ~VirtioNetHeader.GsoEcn;
            var whole = ((type == VirtioNetHeader.GsoTcpV4 && offloads.GuestTso4) || (type == VirtioNetHeader.GsoTcpV6 && offloads.GuestTso6))
                && ((vnet.GsoType & VirtioNetHeader.GsoEcn) == 0 || offloads.GuestEcn)
                && ((vnet.Flags & VirtioNetHeader.NeedsChecksum) == 0 || offloads.GuestChecksum);
            if (whole)
            {
                return Put(ring, offloads, frame, vnet);
            }
            if (!TcpSegmenter.Start(frame, in vnet, out var segmenter))
            {
                return Delivery.NoRoom;
            }
            while (segmenter.HasNext)
            {
                var length = segmenter.Next(scratch);
                if (length == 0)
                {
                    return Delivery.NoRoom;
                }
                var result = Put(ring, offloads, scratch.Slice(0, length), default);
                if (result != Delivery.Delivered)
                {
                    return result;
                }
            }
            return Delivery.Delivered;
        }
        var header = vnet;
        if (!offloads.GuestChecksum)
        {
            // A guest that did not negotiate GUEST_CSUM gets complete checksums and no flags.
            header = default;
            if ((vnet.Flags & VirtioNetHeader.NeedsChecksum) != 0)
            {
                if (frame.Length > scratch.Length)
                {
                    return Delivery.NoRoom;
                }
                frame.CopyTo(scratch);
                if (!InternetChecksum.Complete(scratch.Slice(0, frame.Length), vnet.ChecksumStart, vnet.ChecksumOffset))
                {
                    return Delivery.NoRoom;
                }
                frame = scratch.Slice(0, frame.Length);
            }
        }
        else
        {
            header.GsoType = VirtioNetHeader.GsoNone;
            header.GsoSize = 0;
            header.HeaderLength = 0;
        }
        return Put(ring, offloads, frame, header);
    }

    /// <summary>
    /// Writes the virtio-net header and <paramref name="data"/> into the guest's next receive chain, or chains with
    /// mergeable buffers (num_buffers tells the guest how many). A frame that does not fit gives every chain back.
    /// </summary>
    [SkipLocalsInit]
    private static Delivery Put(Virtqueue ring, VirtioNetOffloads offloads, ReadOnlySpan<byte> data, in VirtioNetHeader vnet)
    {
        Span<byte> header = stackalloc byte[12];
        MemoryMarshal.Write(header, in vnet);
        header[10] = 1;
        header[11] = 0;
        var headerBytes = header.Slice(0, offloads.HeaderSize);
        Span<int> heads = stackalloc int[MaxChainsPerFrame];
        Span<uint> lengths = stackalloc uint[MaxChainsPerFrame];
        var chains = 0;
        byte* numBuffersLow = null;
        byte* numBuffersHigh = null;

        var head = ring.Pop();
        if (head < 0)
        {
            return head == -2 ? Delivery.Broken : Delivery.NoRoom;
        }
        var walker = new DescriptorWalker(ring, head);
        uint written = 0;
        byte* segment = null;
        ulong segmentLeft = 0;
        ulong descriptorAddress = 0;
        ulong descriptorLeft = 0;
        for (var part = 0; part < 2; part++)
        {
            var source = part == 0 ? headerBytes : data;
            var position = 0;
            while (position < source.Length)
            {
                if (segmentLeft == 0)
                {
                    if (descriptorLeft == 0)
                    {
                        if (!walker.Next(ring, out descriptorAddress, out var length, out var writable, out var error))
                        {
                            if (error is not null)
                            {
                                ring.Fail(error);
                                return Delivery.Broken;
                            }
                            // This chain is full: with mergeable buffers go on in the next one.
                            if (!offloads.Mergeable || chains + 1 == MaxChainsPerFrame)
                            {
                                ring.Unpop(chains + 1);
                                return Delivery.NoRoom;
                            }
                            heads[chains] = head;
                            lengths[chains] = written;
                            chains++;
                            head = ring.Pop();
                            if (head < 0)
                            {
                                if (head == -2)
                                {
                                    return Delivery.Broken;
                                }
                                ring.Unpop(chains);
                                return Delivery.NoRoom;
                            }
                            walker = new DescriptorWalker(ring, head);
                            written = 0;
                            continue;
                        }
                        if (!writable)
                        {
                            ring.Fail($"receive chain {head} has a device-readable buffer");
                            return Delivery.Broken;
                        }
                        descriptorLeft = length;
                        if (descriptorLeft == 0)
                        {
                            continue;
                        }
                    }
                    segment = ring.Memory.TranslateGuest(descriptorAddress, out var contiguous);
                    if (segment == null)
                    {
                        ring.Fail($"receive chain {head} has a buffer at {descriptorAddress:x} outside the guest's memory");
                        return Delivery.Broken;
                    }
                    segmentLeft = Math.Min(descriptorLeft, contiguous);
                }
                var n = (int)Math.Min(segmentLeft, (ulong)(source.Length - position));
                if (part == 0)
                {
                    // Remember where num_buffers lands: it is known only when the frame is written.
                    if (position <= 10 && 10 < position + n)
                    {
                        numBuffersLow = segment + (10 - position);
                    }
                    if (position <= 11 && 11 < position + n)
                    {
                        numBuffersHigh = segment + (11 - position);
                    }
                }
                source.Slice(position, n).CopyTo(new Span<byte>(segment, n));
                segment += n;
                segmentLeft -= (ulong)n;
                descriptorAddress += (ulong)n;
                descriptorLeft -= (ulong)n;
                position += n;
                written += (uint)n;
            }
        }
        heads[chains] = head;
        lengths[chains] = written;
        chains++;
        if (chains > 1 && numBuffersLow != null && numBuffersHigh != null)
        {
            *numBuffersLow = (byte)chains;
            *numBuffersHigh = (byte)(chains >> 8);
        }
        for (var c = 0; c < chains; c++)
        {
            ring.Push(heads[c], lengths[c]);
        }
        return Delivery.Delivered;
    }

    public void Dispose()
    {
        TmdsLibC.close(EpollFd);
        NativeMemory.AlignedFree(_scratch);
    }
}
