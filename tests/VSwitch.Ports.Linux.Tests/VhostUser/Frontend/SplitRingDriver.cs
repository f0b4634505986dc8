using System.Diagnostics;
using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

/// <summary>One element of a buffer: guest-physical address, length, and whether the device writes it (virtio 2.7.5).</summary>
internal readonly record struct BufferElement(ulong Address, uint Length, bool Writable);

/// <summary>A chain the driver made available, as the driver remembers it until the device returns it.</summary>
internal sealed class PostedChain(ushort head, ushort[] descriptors, BufferElement[] elements, ulong indirectTable, object? tag)
{
    public ushort Head { get; } = head;

    /// <summary>The descriptor-table entries the chain holds (one when it is indirect).</summary>
    public ushort[] Descriptors { get; } = descriptors;

    public BufferElement[] Elements { get; } = elements;

    /// <summary>The guest-physical address of its indirect table, or 0.</summary>
    public ulong IndirectTable { get; } = indirectTable;

    /// <summary>What the owner of the ring attached (the frontend's buffer bookkeeping).</summary>
    public object? Tag { get; } = tag;

    public uint WritableCapacity => (uint)Elements.Where(e => e.Writable).Sum(e => e.Length);
}

/// <summary>A used-ring entry the driver has taken back, with the chain it refers to.</summary>
internal readonly record struct UsedChain(PostedChain Chain, uint Length);

/// <summary>
/// The driver side of one split virtqueue (virtio 1.x, 2.7): the descriptor table, available ring and used ring in
/// guest memory, the free-descriptor accounting, posting chains (direct or through an indirect table), notification
/// suppression both ways (<c>VRING_USED_F_NO_NOTIFY</c>, or <c>avail_event</c>/<c>used_event</c> with EVENT_IDX), the kick
/// and call eventfds, and taking used chains back with checks that the device returned what it was given.
/// </summary>
/// <remarks>
/// Raw access (<see cref="Descriptors"/>, <see cref="PostRaw"/>, <see cref="AvailIdx"/>) lets a test post what no
/// driver should: such heads are tracked apart, and their used entries land in <see cref="RawCompletions"/>.
/// </remarks>
internal sealed unsafe class SplitRingDriver : IDisposable
{
    private readonly GuestMemoryView _memory;
    private readonly PostedChain?[] _chains;
    private readonly Queue<ushort> _free = new();
    private readonly HashSet<ushort> _rawHeads = [];
    private readonly List<vring_used_elem> _rawCompletions = [];
    private readonly vring_desc* _desc;
    private readonly ushort* _avail;
    private readonly ushort* _used;
    private ushort _nextAvail;
    private ushort _lastUsed;
    private int _kickFd;
    private int _callFd;

    /// <param name="memory">The guest RAM the ring's three parts are allocated in.</param>
    /// <param name="index">The ring's index in the device (2q RX, 2q+1 TX for virtio-net).</param>
    /// <param name="size">Entries: a power of 2 up to 32768.</param>
    /// <param name="eventIdx">VIRTIO_RING_F_EVENT_IDX was negotiated.</param>
    /// <param name="indirect">VIRTIO_RING_F_INDIRECT_DESC was negotiated (chains may then go through a table).</param>
    /// <param name="checkUsedLength">Refuse a used length beyond the chain's device-writable bytes; off for a legacy
    /// device's transmit queue, whose used length the driver should ignore (virtio 5.1.6, legacy interface).</param>
    public SplitRingDriver(GuestMemoryView memory, int index, int size, bool eventIdx, bool indirect, bool checkUsedLength = true)
    {
        if (size is < 1 or > 32768 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "a split virtqueue's size is a power of 2 up to 32768");
        }
        _memory = memory;
        Index = index;
        Size = size;
        EventIdx = eventIdx;
        IndirectAllowed = indirect;
        CheckUsedLength = checkUsedLength;
        _chains = new PostedChain?[size];

        // Three allocations, so that with several regions the parts usually land in different ones (virtio 2.7 only
        // asks each part to be contiguous, with alignments 16, 2 and 4).
        DescriptorTableAddress = memory.Allocate(16 * size, 16);
        AvailAddress = memory.Allocate(6 + (2 * size), 2);
        UsedAddress = memory.Allocate(6 + (8 * size), 4);
        _desc = (vring_desc*)memory.Host(DescriptorTableAddress, (ulong)(16 * size));
        _avail = (ushort*)memory.Host(AvailAddress, (ulong)(6 + (2 * size)));
        _used = (ushort*)memory.Host(UsedAddress, (ulong)(6 + (8 * size)));
        new Span<byte>(_desc, 16 * size).Clear();
        new Span<byte>(_avail, 6 + (2 * size)).Clear();
        new Span<byte>(_used, 6 + (8 * size)).Clear();
        for (var i = 0; i < size; i++)
        {
            _free.Enqueue((ushort)i);
        }

        _kickFd = Tmds.Linux.LibC.eventfd(0, Tmds.Linux.LibC.EFD_CLOEXEC | Tmds.Linux.LibC.EFD_NONBLOCK);
        _callFd = Tmds.Linux.LibC.eventfd(0, Tmds.Linux.LibC.EFD_CLOEXEC | Tmds.Linux.LibC.EFD_NONBLOCK);
        if (_kickFd < 0 || _callFd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Dispose();
            throw new IOException($"eventfd failed: {LibC.StrError(errno)}");
        }
    }

    public int Index { get; }

    public int Size { get; }

    public bool EventIdx { get; }

    public bool IndirectAllowed { get; }

    public bool CheckUsedLength { get; }

    /// <summary>The eventfd the driver writes to notify the device (sent with <c>SET_VRING_KICK</c>).</summary>
    public int KickFd => _kickFd;

    /// <summary>The eventfd the device writes to notify the driver (sent with <c>SET_VRING_CALL</c>).</summary>
    public int CallFd => _callFd;

    public ulong DescriptorTableAddress { get; }

    public ulong AvailAddress { get; }

    public ulong UsedAddress { get; }

    /// <summary>The <c>SET_VRING_ADDR</c> payload: the three parts in the front-end's address space.</summary>
    public vhost_vring_addr VringAddress => new()
    {
        index = (uint)Index,
        flags = 0,
        desc_user_addr = _memory.UserAddress(DescriptorTableAddress),
        avail_user_addr = _memory.UserAddress(AvailAddress),
        used_user_addr = _memory.UserAddress(UsedAddress),
        log_guest_addr = 0,
    };

    /// <summary>The descriptor table in guest memory (raw: the driver's own chains live here too).</summary>
    public Span<vring_desc> Descriptors => new(_desc, Size);

    /// <summary><c>avail->flags</c> (<c>VRING_AVAIL_F_NO_INTERRUPT</c>; must stay 0 with EVENT_IDX).</summary>
    public ushort AvailFlags
    {
        get => Volatile.Read(ref _avail[0]);
        set => Volatile.Write(ref _avail[0], value);
    }

    /// <summary><c>avail->idx</c> as the device sees it; setting it moves it raw (the driver's next index follows).</summary>
    public ushort AvailIdx
    {
        get => Volatile.Read(ref _avail[1]);
        set
        {
            Volatile.Write(ref _avail[1], value);
            _nextAvail = value;
        }
    }

    /// <summary><c>avail->ring[]</c>.</summary>
    public Span<ushort> AvailRing => new(_avail + 2, Size);

    /// <summary><c>used_event</c>, after the available ring (meaningful with EVENT_IDX).</summary>
    public ushort UsedEvent
    {
        get => Volatile.Read(ref _avail[2 + Size]);
        set => Volatile.Write(ref _avail[2 + Size], value);
    }

    /// <summary><c>used->flags</c> (<c>VRING_USED_F_NO_NOTIFY</c>).</summary>
    public ushort UsedFlags => Volatile.Read(ref _used[0]);

    /// <summary><c>used->idx</c>.</summary>
    public ushort UsedIdx => Volatile.Read(ref _used[1]);

    /// <summary><c>used->ring[]</c>.</summary>
    public ReadOnlySpan<vring_used_elem> UsedRing => new(_used + 2, Size);

    /// <summary><c>avail_event</c>, after the used ring (meaningful with EVENT_IDX).</summary>
    public ushort AvailEvent => Volatile.Read(ref *(ushort*)((byte*)_used + 4 + (8 * Size)));

    /// <summary>The used index up to which the driver has taken chains back.</summary>
    public ushort LastUsedIdx => _lastUsed;

    public int FreeDescriptors => _free.Count;

    /// <summary>Chains the driver posted that the device has not returned yet.</summary>
    public int Outstanding { get; private set; }

    /// <summary>Notifications the driver sent (eventfd writes).</summary>
    public long Kicks { get; private set; }

    /// <summary>Notifications the driver skipped because the device asked for none.</summary>
    public long SuppressedKicks { get; private set; }

    /// <summary>Notifications the device sent, as far as <see cref="DrainCalls"/> has read them.</summary>
    public long Calls { get; private set; }

    /// <summary>Used entries for heads posted with <see cref="PostRaw"/>.</summary>
    public IReadOnlyList<vring_used_elem> RawCompletions => _rawCompletions;

    /// <summary>
    /// Writes <paramref name="elements"/> as one chain (device-readable ones first, as virtio 2.7.4.2 requires) and
    /// places its head in the available ring without publishing it; false when too few descriptors are free.
    /// </summary>
    public bool TryPost(ReadOnlySpan<BufferElement> elements, bool indirect, object? tag, out PostedChain chain)
    {
        chain = null!;
        if (elements.Length == 0 || elements.Length > Size)
        {
            throw new ArgumentException($"a chain has 1 to {Size} elements, not {elements.Length}", nameof(elements));
        }
        for (var i = 1; i < elements.Length; i++)
        {
            if (elements[i - 1].Writable && !elements[i].Writable)
            {
                throw new ArgumentException("device-writable elements must follow every device-readable one", nameof(elements));
            }
        }
        if (indirect && !IndirectAllowed)
        {
            throw new InvalidOperationException($"ring {Index}: VIRTIO_RING_F_INDIRECT_DESC was not negotiated");
        }
        var needed = indirect ? 1 : elements.Length;
        if (_free.Count < needed)
        {
            return false;
        }
        var descriptors = new ushort[needed];
        for (var i = 0; i < needed; i++)
        {
            descriptors[i] = _free.Dequeue();
        }
        ulong table = 0;
        if (indirect)
        {
            table = _memory.Allocate(16 * elements.Length, 16);
            var entries = (vring_desc*)_memory.Host(table, (ulong)(16 * elements.Length));
            for (var i = 0; i < elements.Length; i++)
            {
                entries[i] = Describe(elements[i], i + 1 < elements.Length ? (ushort)(i + 1) : null);
            }
            // The device ignores VRING_DESC_F_WRITE on the descriptor that points at a table (virtio 2.7.5.3.2).
            _desc[descriptors[0]] = new vring_desc { addr = table, len = (uint)(16 * elements.Length), flags = LibC.VRING_DESC_F_INDIRECT };
        }
        else
        {
            for (var i = 0; i < elements.Length; i++)
            {
                _desc[descriptors[i]] = Describe(elements[i], i + 1 < elements.Length ? descriptors[i + 1] : null);
            }
        }
        chain = new PostedChain(descriptors[0], descriptors, elements.ToArray(), table, tag);
        _chains[chain.Head] = chain;
        AvailRing[_nextAvail % Size] = chain.Head;
        _nextAvail++;
        Outstanding++;
        return true;
    }

    /// <summary>
    /// Exposes every chain placed since the last call by moving <c>avail->idx</c>, then notifies the device unless it
    /// suppressed notifications; returns whether it kicked.
    /// </summary>
    public bool Publish()
    {
        var old = AvailIdx;
        if (old == _nextAvail)
        {
            return false;
        }
        // x86 keeps stores in order; the volatile write keeps the compiler from sinking the ring writes past it.
        Volatile.Write(ref _avail[1], _nextAvail);
        return NotifyIfNeeded(old, _nextAvail);
    }

    /// <summary>Whether moving <c>avail->idx</c> from <paramref name="old"/> to <paramref name="current"/> needs a kick, and sends it.</summary>
    public bool NotifyIfNeeded(ushort old, ushort current)
    {
        // The device's suppression hint must be read after the index store is visible (virtio 2.7.13.4).
        Interlocked.MemoryBarrier();
        var needed = EventIdx ? NeedEvent(AvailEvent, current, old) : (UsedFlags & LibC.VRING_USED_F_NO_NOTIFY) == 0;
        if (needed)
        {
            Kick();
        }
        else
        {
            SuppressedKicks++;
        }
        return needed;
    }

    /// <summary><c>vring_need_event</c>: whether the index crossed <paramref name="eventIdx"/> going from <paramref name="old"/> to <paramref name="current"/>.</summary>
    public static bool NeedEvent(ushort eventIdx, ushort current, ushort old) =>
        (ushort)(current - eventIdx - 1) < (ushort)(current - old);

    /// <summary>Notifies the device whatever it asked for.</summary>
    public void Kick()
    {
        ulong one = 1;
        if (LibC.write(_kickFd, &one, sizeof(ulong)) != sizeof(ulong))
        {
            throw new IOException($"ring {Index}: writing the kick eventfd failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        Kicks++;
    }

    /// <summary>Takes <paramref name="count"/> descriptors off the free list for raw use; they never come back.</summary>
    public ushort[] TakeDescriptors(int count)
    {
        if (count > _free.Count)
        {
            throw new InvalidOperationException($"ring {Index}: {count} descriptors asked for, {_free.Count} free");
        }
        var taken = new ushort[count];
        for (var i = 0; i < count; i++)
        {
            taken[i] = _free.Dequeue();
        }
        return taken;
    }

    /// <summary>
    /// Places <paramref name="head"/> (any value, valid or not) in the available ring and moves <c>avail->idx</c> by
    /// <paramref name="advance"/> (which may exceed the ring size), without a kick; <see cref="Kick"/> follows.
    /// </summary>
    public void PostRaw(ushort head, ushort advance = 1)
    {
        AvailRing[_nextAvail % Size] = head;
        _rawHeads.Add(head);
        _nextAvail += advance;
        Volatile.Write(ref _avail[1], _nextAvail);
    }

    /// <summary>True when the device has returned a chain the driver has not taken back yet.</summary>
    public bool HasUsed => UsedIdx != _lastUsed;

    /// <summary>
    /// Takes the next used entry back: frees its descriptors and indirect table and returns its chain. Entries for
    /// heads posted raw go to <see cref="RawCompletions"/> and are skipped. Throws <see cref="InvalidDataException"/>
    /// when the device breaks the protocol (an index that moved by more than the ring, an id that is not an
    /// outstanding head, a length beyond what the chain can hold).
    /// </summary>
    public bool TryTakeUsed(out UsedChain used)
    {
        used = default;
        while (true)
        {
            var usedIdx = UsedIdx;
            if (usedIdx == _lastUsed)
            {
                return false;
            }
            if ((ushort)(usedIdx - _lastUsed) > Size)
            {
                throw new InvalidDataException($"ring {Index}: used->idx moved from {_lastUsed} to {usedIdx}, more than the ring's {Size} entries");
            }
            // UsedIdx is a volatile (acquire) read: the entry below cannot be read before the index that published it.
            var element = UsedRing[_lastUsed % Size];
            _lastUsed++;
            if (EventIdx)
            {
                // Ask for a call as soon as the device uses the next entry.
                UsedEvent = _lastUsed;
            }
            if (element.id < Size && _rawHeads.Remove((ushort)element.id))
            {
                _rawCompletions.Add(element);
                continue;
            }
            var chain = element.id < Size ? _chains[element.id] : null;
            if (chain is null)
            {
                throw new InvalidDataException($"ring {Index}: the device returned id {element.id}, which is not the head of a chain in flight");
            }
            if (CheckUsedLength && element.len > chain.WritableCapacity)
            {
                throw new InvalidDataException($"ring {Index}: the device says it wrote {element.len} bytes into chain {element.id}, which holds {chain.WritableCapacity}");
            }
            _chains[element.id] = null;
            foreach (var d in chain.Descriptors)
            {
                _free.Enqueue(d);
            }
            if (chain.IndirectTable != 0)
            {
                _memory.Free(chain.IndirectTable);
            }
            Outstanding--;
            used = new UsedChain(chain, element.len);
            return true;
        }
    }

    /// <summary>Reads the call eventfd (the device's notifications since the last read) and adds them to <see cref="Calls"/>.</summary>
    public long DrainCalls()
    {
        ulong value;
        if (LibC.read(_callFd, &value, sizeof(ulong)) == sizeof(ulong))
        {
            Calls += (long)value;
            return (long)value;
        }
        return 0;
    }

    /// <summary>
    /// Waits until the device has returned a chain or <paramref name="timeout"/> passes: sleeps on the call eventfd
    /// but wakes every few milliseconds to look at the used ring, so a device that does not call is still served.
    /// </summary>
    public bool WaitForUsed(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            DrainCalls();
            if (HasUsed)
            {
                return true;
            }
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }
            var p = new pollfd { fd = _callFd, events = LibC.POLLIN };
            _ = LibC.poll(&p, 1, (int)Math.Clamp(left.TotalMilliseconds, 0, 5));
        }
    }

    public void Dispose()
    {
        var kick = Interlocked.Exchange(ref _kickFd, -1);
        var call = Interlocked.Exchange(ref _callFd, -1);
        if (kick >= 0)
        {
            _ = TmdsLibC.close(kick);
        }
        if (call >= 0)
        {
            _ = TmdsLibC.close(call);
        }
    }

    private static vring_desc Describe(BufferElement e, ushort? next) => new()
    {
        addr = e.Address,
        len = e.Length,
        flags = (ushort)((e.Writable ? LibC.VRING_DESC_F_WRITE : 0) | (next is null ? 0 : LibC.VRING_DESC_F_NEXT)),
        next = next ?? 0,
    };
}
