// Virtqueue: the device (back-end) side of one split virtqueue in the guest's memory.
//
// What
//   The three areas of a split ring (virtio 1.x §2.7): the descriptor table (16-byte vring_desc), the available
//   ring the driver fills (flags, idx, ring[num], used_event), and the used ring the device fills (flags, idx,
//   {id,len}[num], avail_event). The worker that owns the ring pops the heads of available chains, walks their
//   descriptors (DescriptorWalker, with indirect tables), returns chains to the used ring, publishes the used index
//   and notifies the driver through its call eventfd when the driver asked for it (EVENT_IDX's used_event, or the
//   avail flags' NO_INTERRUPT).
//
// Why this shape
//   Everything in these areas is written by the guest, concurrently, and may be wrong on purpose. Each field is read
//   once into a local and checked before use: a head or next index beyond the ring, an available index that moved by
//   more than the ring size, a chain longer than the ring (a loop), an indirect table inside an indirect table or of
//   a length that is not whole descriptors, or an address outside the guest's memory, all set Error and stop the
//   ring; the port then fails (its status says why) and the switch goes on. Nothing is trusted to stay the same
//   between two reads.
//   Memory ordering: the available index is read with acquire semantics before the ring entries it covers; used
//   entries are written before the used index is published with release semantics; a full fence separates publishing
//   from reading the driver's notification hints (store-then-load), as the virtio spec requires.
//
// Thread-safety
//   One worker at a time (the port's quiescence protocol guarantees it); the control thread touches a ring only
//   after the workers have let go of it.

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using VSwitch.Interop;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>The device side of one split virtqueue (see the file's header).</summary>
internal sealed unsafe class Virtqueue
{
    /// <summary>The largest ring the back-end accepts (the virtio limit).</summary>
    public const int MaxSize = 32768;

    private readonly GuestMemory _memory;
    private readonly vring_desc* _desc;
    private readonly ushort* _availFlags;
    private readonly ushort* _availIdx;
    private readonly ushort* _availRing;
    private readonly ushort* _usedEvent;
    private readonly ushort* _usedFlags;
    private readonly ushort* _usedIdx;
    private readonly vring_used_elem* _usedRing;
    private readonly ushort* _availEvent;
    private readonly int _mask;
    private readonly bool _eventIdx;
    private readonly bool _indirect;
    private readonly int _callFd;
    private ushort _lastAvail;
    private ushort _availShadow;
    private ushort _used;
    private ushort _usedPublished;

    /// <param name="index">The ring's index (2q: queue pair q's receive ring, the guest's RX; 2q+1 its transmit ring).</param>
    /// <param name="memory">The guest's memory the addresses refer to.</param>
    /// <param name="size">Entries (a power of two up to <see cref="MaxSize"/>).</param>
    /// <param name="addr">The ring's areas in the front-end's address space.</param>
    /// <param name="lastAvail">Where to start in the available ring (SET_VRING_BASE).</param>
    /// <param name="eventIdx">VIRTIO_RING_F_EVENT_IDX was negotiated.</param>
    /// <param name="indirect">VIRTIO_RING_F_INDIRECT_DESC was negotiated.</param>
    /// <param name="callFd">The driver's interrupt eventfd, or -1 for none (a polling driver).</param>
    /// <exception cref="VhostUserException">An area is not inside one memory region or is misaligned.</exception>
    public Virtqueue(int index, GuestMemory memory, int size, in vhost_vring_addr addr, ushort lastAvail, bool eventIdx, bool indirect, int callFd)
    {
        if (size is < 1 or > MaxSize || !BitOperations.IsPow2(size))
        {
            throw new VhostUserException($"ring {index}: size {size} is not a power of two up to {MaxSize}");
        }
        Index = index;
        Size = size;
        _memory = memory;
        _mask = size - 1;
        _eventIdx = eventIdx;
        _indirect = indirect;
        _callFd = callFd;
        var desc = Area(memory, index, "descriptor table", addr.desc_user_addr, (ulong)size * 16, 16);
        var avail = Area(memory, index, "available ring", addr.avail_user_addr, 6 + ((ulong)size * 2), 2);
        var used = Area(memory, index, "used ring", addr.used_user_addr, 6 + ((ulong)size * 8), 4);
        _desc = (vring_desc*)desc;
        _availFlags = (ushort*)avail;
        _availIdx = (ushort*)(avail + 2);
        _availRing = (ushort*)(avail + 4);
        _usedEvent = (ushort*)(avail + 4 + (size * 2));
        _usedFlags = (ushort*)used;
        _usedIdx = (ushort*)(used + 2);
        _usedRing = (vring_used_elem*)(used + 4);
        _availEvent = (ushort*)(used + 4 + (size * 8));
        // The device continues where the used ring stands (after a reconnect the driver has consumed it up to here).
        _used = Volatile.Read(ref *_usedIdx);
        _usedPublished = _used;
        // Every chain this back-end takes is returned before its ring stops, so the used index is also where the
        // available ring resumes. A base that says otherwise comes from a front-end that restarts running rings from 0
        // (DPDK's virtio-user after the switch reconnects) or from a back-end that died holding chains: as DPDK's
        // vhost library, trust the used index, which loses at most the chains that were in flight.
        if (lastAvail != _used)
        {
            RequestedBase = lastAvail;
            lastAvail = _used;
        }
        _lastAvail = lastAvail;
        _availShadow = lastAvail;
    }

    /// <summary>The base SET_VRING_BASE asked for when the ring started from its used index instead (null: as asked).</summary>
    public ushort? RequestedBase { get; }

    private static byte* Area(GuestMemory memory, int index, string what, ulong address, ulong length, ulong alignment)
    {
        if (address % alignment != 0)
        {
            throw new VhostUserException($"ring {index}: the {what} at {address:x} is not aligned to {alignment} bytes");
        }
        var p = memory.TranslateUser(address, length);
        return p != null ? p : throw new VhostUserException($"ring {index}: the {what} ({length} bytes at {address:x}) is not inside the guest's memory");
    }

    public int Index { get; }

    public int Size { get; }

    /// <summary>The guest's memory, for the walkers.</summary>
    public GuestMemory Memory => _memory;

    /// <summary>INDIRECT_DESC was negotiated.</summary>
    public bool IndirectAllowed => _indirect;

    /// <summary>Why the ring is broken (the guest's fault), or null.</summary>
    public string? Error { get; private set; }

    /// <summary>The next available entry the device will take (GET_VRING_BASE's answer).</summary>
    public ushort LastAvail => _lastAvail;

    /// <summary>Times the back-end signalled the call eventfd.</summary>
    public long Calls;

    internal vring_desc* Descriptors => _desc;

    /// <summary>
    /// The head of the next available chain, or -1 when the driver has none, or -2 when the ring is broken
    /// (<see cref="Error"/> says why).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Pop()
    {
        if (_lastAvail == _availShadow)
        {
            _availShadow = Volatile.Read(ref *_availIdx);
            if (_lastAvail == _availShadow)
            {
                return -1;
            }
            if ((ushort)(_availShadow - _lastAvail) > Size)
            {
                return Fail($"available index {_availShadow} is {(ushort)(_availShadow - _lastAvail)} entries ahead of {_lastAvail}, more than the ring's {Size}");
            }
        }
        var head = Volatile.Read(ref _availRing[_lastAvail & _mask]);
        if (head >= Size)
        {
            return Fail($"available entry {_lastAvail} names descriptor {head}, beyond the ring's {Size}");
        }
        _lastAvail++;
        return head;
    }

    /// <summary>
    /// Starts loading the first descriptor of each of the next <paramref name="count"/> available chains, then the
    /// buffer each names. The driver wrote all of it on another CPU a moment ago, so every one is a cache miss; issued
    /// together they overlap instead of stalling the copy one frame at a time. Only a hint: indices are kept inside
    /// the ring and addresses inside the guest's memory, and the walk that follows reads and checks everything again.
    /// </summary>
    public void Prefetch(int count)
    {
        if (!Sse.IsSupported)
        {
            return;
        }
        var ahead = (ushort)(Volatile.Read(ref *_availIdx) - _lastAvail);
        var n = Math.Min(count, Math.Min(ahead, Size));
        for (var i = 0; i < n; i++)
        {
            var head = _availRing[(_lastAvail + i) & _mask];
            if (head < Size)
            {
                Sse.Prefetch0(_desc + head);
            }
        }
        for (var i = 0; i < n; i++)
        {
            var head = _availRing[(_lastAvail + i) & _mask];
            if (head < Size)
            {
                var p = _memory.TranslateGuest(_desc[head].addr, out _);
                if (p != null)
                {
                    // The virtio-net header (10 or 12 bytes) before the frame puts a small frame across two lines.
                    Sse.Prefetch0(p);
                    Sse.Prefetch0(p + 64);
                }
            }
        }
    }

    /// <summary>Gives back the last <paramref name="count"/> popped chains (they were not used: no room for a frame).</summary>
    public void Unpop(int count) => _lastAvail -= (ushort)count;

    /// <summary>True when the driver has made chains available that the device has not taken.</summary>
    public bool HasAvailable()
    {
        _availShadow = Volatile.Read(ref *_availIdx);
        return _availShadow != _lastAvail;
    }

    /// <summary>Returns chain <paramref name="head"/> to the driver with <paramref name="written"/> bytes written into it (not published yet).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(int head, uint written)
    {
        ref var e = ref _usedRing[_used & _mask];
        e.id = (uint)head;
        e.len = written;
        _used++;
    }

    /// <summary>Publishes the pushed entries and signals the driver if it asked to be told.</summary>
    public void Publish()
    {
        var old = _usedPublished;
        var now = _used;
        if (old == now)
        {
            return;
        }
        Volatile.Write(ref *_usedIdx, now);
        _usedPublished = now;
        if (_callFd < 0)
        {
            return;
        }
        // The used index must be visible before the driver's hint is read (store, then load).
        Interlocked.MemoryBarrier();
        bool notify;
        if (_eventIdx)
        {
            var usedEvent = Volatile.Read(ref *_usedEvent);
            notify = (ushort)(now - usedEvent - 1) < (ushort)(now - old);
        }
        else
        {
            notify = (Volatile.Read(ref *_availFlags) & LibC.VRING_AVAIL_F_NO_INTERRUPT) == 0;
        }
        if (notify)
        {
            ulong one = 1;
            LibC.write(_callFd, &one, sizeof(ulong));
            Calls++;
        }
    }

    /// <summary>
    /// Asks the driver to kick for the next chain it makes available (EVENT_IDX's avail_event, or clears NO_NOTIFY),
    /// then looks again: true when chains arrived meanwhile (the caller must not wait for a kick for them).
    /// </summary>
    public bool ArmKick()
    {
        if (_eventIdx)
        {
            Volatile.Write(ref *_availEvent, _lastAvail);
        }
        else
        {
            Volatile.Write(ref *_usedFlags, 0);
        }
        Interlocked.MemoryBarrier();
        return HasAvailable();
    }

    private int _writer;

    /// <summary>
    /// Takes the ring for one worker when several write into it (the front-end runs fewer queue pairs than the switch
    /// has workers); a ring that one worker owns is never locked.
    /// </summary>
    public void EnterWriter()
    {
        if (Interlocked.CompareExchange(ref _writer, 1, 0) != 0)
        {
            var spin = default(SpinWait);
            do
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            while (Volatile.Read(ref _writer) != 0 || Interlocked.CompareExchange(ref _writer, 1, 0) != 0);
        }
    }

    public void ExitWriter() => Volatile.Write(ref _writer, 0);

    /// <summary>Marks the ring broken; returns -2 for <see cref="Pop"/>.</summary>
    public int Fail(string why)
    {
        Error ??= $"ring {Index}: {why}";
        return -2;
    }
}

/// <summary>
/// Walks one descriptor chain of a <see cref="Virtqueue"/>, through an indirect table when a descriptor points to one,
/// checking every index and length the guest wrote, and bounding the walk so a loop ends.
/// </summary>
[StructLayout(LayoutKind.Auto)]
internal unsafe struct DescriptorWalker
{
    private vring_desc* _table;
    private uint _tableSize;
    private uint _next;
    private uint _budget;
    private bool _inIndirect;
    private bool _done;

    /// <summary>Starts at chain <paramref name="head"/> (already checked to be inside the ring).</summary>
    public DescriptorWalker(Virtqueue ring, int head)
    {
        _table = ring.Descriptors;
        _tableSize = (uint)ring.Size;
        _next = (uint)head;
        _budget = (uint)ring.Size;
        _inIndirect = false;
        _done = false;
    }

    /// <summary>
    /// The next buffer of the chain: guest-physical address, length and whether the device may write it. False at the
    /// end of the chain, or with <paramref name="error"/> set when the guest wrote something invalid.
    /// </summary>
    public bool Next(Virtqueue ring, out ulong address, out uint length, out bool writable, out string? error)
    {
        address = 0;
        length = 0;
        writable = false;
        error = null;
        while (!_done)
        {
            if (_budget == 0)
            {
                error = _inIndirect ? "an indirect table's chain is longer than the table (a loop)" : "a chain is longer than the ring (a loop)";
                return false;
            }
            _budget--;
            // One read of the descriptor: the guest may change it under us.
            var d = _table[_next];
            if ((d.flags & LibC.VRING_DESC_F_INDIRECT) != 0)
            {
                if (_inIndirect || !ring.IndirectAllowed || (d.flags & LibC.VRING_DESC_F_NEXT) != 0)
                {
                    error = _inIndirect ? "an indirect table inside an indirect table"
                        : !ring.IndirectAllowed ? "an indirect descriptor, but INDIRECT_DESC was not negotiated"
                        : "an indirect descriptor that also has NEXT";
                    return false;
                }
                if (d.len == 0 || d.len % 16 != 0 || d.len / 16 > Virtqueue.MaxSize)
                {
                    error = $"an indirect table of {d.len} bytes (not whole descriptors, or more than {Virtqueue.MaxSize})";
                    return false;
                }
                var table = ring.Memory.TranslateGuest(d.addr, out var contiguous);
                if (table == null || contiguous < d.len || d.addr % 8 != 0)
                {
                    error = $"an indirect table of {d.len} bytes at {d.addr:x} outside the guest's memory";
                    return false;
                }
                _table = (vring_desc*)table;
                _tableSize = d.len / 16;
                _budget = _tableSize;
                _next = 0;
                _inIndirect = true;
                continue;
            }
            address = d.addr;
            length = d.len;
            writable = (d.flags & LibC.VRING_DESC_F_WRITE) != 0;
            if ((d.flags & LibC.VRING_DESC_F_NEXT) != 0)
            {
                if (d.next >= _tableSize)
                {
                    error = $"descriptor {_next} points to {d.next}, beyond the {(_inIndirect ? "indirect table's" : "ring's")} {_tableSize}";
                    return false;
                }
                _next = d.next;
            }
            else
            {
                _done = true;
            }
            return true;
        }
        return false;
    }
}
