using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Fragments;

/// <summary>
/// A worker's few later fragments that arrived before their first fragment, copied aside until it comes or their
/// time is up.
/// </summary>
/// <remarks>
/// What: <see cref="Capacity"/> slots of <see cref="SlotSize"/> bytes in one native slab, each with the port it came
/// from, its parsed fields and a deadline. The worker holds a fragment the fragment table cannot place, and after
/// each port it services (and every few milliseconds while something is held) replays those whose first fragment has
/// since been recorded, or whose deadline passed, through its pipeline; a replayed fragment that still has no first
/// fragment is dropped and counted (<c>fragment</c>).
/// Why: the first fragment of a datagram can reach the switch after a later one (a sender that reverses them, or two
/// workers that take them from two queues at the same moment); Linux and VPP hold such fragments too. Holding copies
/// means the receive batch is never pinned, and the bound (slots, bytes, time) means a flood of orphan fragments costs
/// at most this slab.
/// Thread-safety: owned by one worker.
/// </remarks>
internal sealed unsafe class FragmentHold : IDisposable
{
    /// <summary>Fragments held at once per worker.</summary>
    public const int Capacity = 32;

    /// <summary>Largest frame held: the largest network MTU (9,216) plus Ethernet and two VLAN headers; fragments are never GSO frames.</summary>
    public const int SlotSize = 9280;

    /// <summary>How long a fragment waits for its first fragment.</summary>
    public const int HoldMs = 50;

    private readonly byte* _slab;
    private readonly Slot[] _slots = new Slot[Capacity];

    private struct Slot
    {
        public bool Used;
        public int InSlot;
        public IPort? Port;
        public long DeadlineMs;
        public long Sequence;
        public ParsedPacket Parsed;
        public Frame Frame;
    }

    private long _sequence;

    public FragmentHold()
    {
        _slab = (byte*)NativeMemory.AlignedAlloc((nuint)(SlotSize * Capacity), 64);
    }

    /// <summary>Fragments held now.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Copies <paramref name="frame"/> aside. False when the hold is full or the frame is larger than a slot: the
    /// caller drops it.
    /// </summary>
    public bool TryHold(in Frame frame, in ParsedPacket parsed, int inSlot, IPort port, long deadlineMs)
    {
        if (Count == Capacity || frame.Length > SlotSize)
        {
            return false;
        }
        for (var i = 0; i < Capacity; i++)
        {
            ref var s = ref _slots[i];
            if (s.Used)
            {
                continue;
            }
            var data = _slab + ((nint)i * SlotSize);
            new ReadOnlySpan<byte>(frame.Data, frame.Length).CopyTo(new Span<byte>(data, SlotSize));
            s.Used = true;
            s.InSlot = inSlot;
            s.Port = port;
            s.DeadlineMs = deadlineMs;
            s.Sequence = ++_sequence;
            s.Parsed = parsed;
            s.Frame = frame;
            s.Frame.Data = data;
            Count++;
            return true;
        }
        return false;
    }

    /// <summary>
    /// Moves the oldest held fragments that may go now (their first fragment is recorded, or their deadline passed)
    /// and that came from the same port as the oldest of them into <paramref name="batch"/> (up to a batch), in the
    /// order they arrived. Returns their port slot and port, or -1 when nothing may go. The caller replays the batch
    /// and then calls <see cref="Release"/>.
    /// </summary>
    public int TakeReady(FragmentTable table, long nowMs, PacketBatch batch, out IPort? port)
    {
        batch.Count = 0;
        port = null;
        var inSlot = -1;
        while (batch.Count < PacketBatch.MaxSize)
        {
            var best = -1;
            for (var i = 0; i < Capacity; i++)
            {
                ref var s = ref _slots[i];
                if (!s.Used || s.Sequence < 0 || (inSlot >= 0 && (s.InSlot != inSlot || !ReferenceEquals(s.Port, port)))
                    || (best >= 0 && s.Sequence > _slots[best].Sequence))
                {
                    continue;
                }
                if (nowMs >= s.DeadlineMs || table.HasFirst(in s.Parsed, s.InSlot, nowMs))
                {
                    best = i;
                }
            }
            if (best < 0)
            {
                break;
            }
            ref var taken = ref _slots[best];
            inSlot = taken.InSlot;
            port = taken.Port;
            batch.Add(in taken.Frame);
            taken.Sequence = -taken.Sequence;
        }
        return inSlot;
    }

    /// <summary>Frees the slots <see cref="TakeReady"/> handed out (their frames have been replayed).</summary>
    public void Release()
    {
        for (var i = 0; i < Capacity; i++)
        {
            ref var s = ref _slots[i];
            if (s.Used && s.Sequence < 0)
            {
                s = default;
                Count--;
            }
        }
    }

    /// <summary>Drops everything held from port slot <paramref name="inSlot"/> (the port left the snapshot); returns how many.</summary>
    public int Discard(int inSlot)
    {
        var discarded = 0;
        for (var i = 0; i < Capacity; i++)
        {
            ref var s = ref _slots[i];
            if (s.Used && s.InSlot == inSlot)
            {
                s = default;
                Count--;
                discarded++;
            }
        }
        return discarded;
    }

    public void Dispose() => NativeMemory.AlignedFree(_slab);
}
