using System.Numerics;
using System.Runtime.CompilerServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.L2;

/// <summary>
/// The MAC table of every network: (network, MAC) → port slot, learned from source addresses with ageing, plus
/// static entries for the ports' own MACs.
/// </summary>
/// <remarks>
/// What: one open-addressing array of two-word entries. The key word packs the network index + 1 (15 bits) and the MAC
/// (48 bits), as VPP's <c>l2fib_entry_key_t</c>; the value word packs the port slot, a static bit and the time the
/// entry was last refreshed, in milliseconds.
/// Why: every worker learns and looks up on every frame. Lookups take no lock: a reader reads key, value, key again
/// and retries when the key changed in between. Writers claim an entry by compare-and-swap of the key to a busy
/// marker, write the value, then publish the key, so that a reader never pairs a key with another entry's value.
/// Refreshing the timestamp is a CAS done at most once per <see cref="RefreshIntervalMs"/> per MAC, so steady
/// traffic writes almost nothing. Stale entries are not deleted: they read as misses and are reused.
/// Thread-safety: any number of workers learn and look up concurrently; the control plane adds and removes static
/// entries and flushes ports with the same protocol.
/// </remarks>
public sealed class MacTable
{
    /// <summary>How many neighbouring entries a key may live in (its probe window).</summary>
    public const int ProbeLength = 16;

    /// <summary>How often the timestamp of a busy MAC is rewritten.</summary>
    public const long RefreshIntervalMs = 1000;

    private const long BusyBit = long.MinValue;
    private const int TimeBits = 46;
    private const long TimeMask = (1L << TimeBits) - 1;
    private const long StaticBit = 1L << TimeBits;
    private const int SlotShift = TimeBits + 1;

    private readonly Entry[] _entries;
    private readonly int _mask;
    private readonly int _shift;

    public MacTable(int capacity = 65536, long agingMs = 300_000)
    {
        capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, ProbeLength));
        _entries = new Entry[capacity + ProbeLength];
        _mask = capacity - 1;
        _shift = 64 - BitOperations.Log2((uint)capacity);
        AgingMs = agingMs;
    }

    /// <summary>How long a learned entry lives without traffic.</summary>
    public long AgingMs { get; set; }

    public int Capacity => _mask + 1;

    private struct Entry
    {
        public long Key;
        public long Value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long MakeKey(int network, MacAddress mac) => ((long)((network & 0x7FFF) + 1) << 48) | (long)mac.Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(long key) => (int)(((ulong)key * 0x9E37_79B9_7F4A_7C15UL) >> _shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long Pack(int slot, bool isStatic, long nowMs) =>
        ((long)(slot + 1) << SlotShift) | (isStatic ? StaticBit : 0) | (nowMs & TimeMask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SlotOf(long value) => (int)(value >> SlotShift) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsStatic(long value) => (value & StaticBit) != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsLive(long value, long nowMs) => IsStatic(value) || ((nowMs - (value & TimeMask)) & TimeMask) < AgingMs;

    /// <summary>The port slot that owns <paramref name="mac"/> in <paramref name="network"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lookup(int network, MacAddress mac, long nowMs)
    {
        var key = MakeKey(network, mac);
        var entries = _entries;
        var i = Home(key);
        for (var n = 0; n < ProbeLength; n++, i++)
        {
            ref var e = ref entries[i];
            if (Volatile.Read(ref e.Key) != key)
            {
                continue;
            }
            var value = Volatile.Read(ref e.Value);
            if (Volatile.Read(ref e.Key) != key)
            {
                return -1;
            }
            return IsLive(value, nowMs) ? SlotOf(value) : -1;
        }
        return -1;
    }

    /// <summary>Records that <paramref name="mac"/> was seen on <paramref name="slot"/>. Static entries never move.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Learn(int network, MacAddress mac, int slot, long nowMs)
    {
        var key = MakeKey(network, mac);
        var entries = _entries;
        var i = Home(key);
        for (var n = 0; n < ProbeLength; n++)
        {
            ref var e = ref entries[i + n];
            var k = Volatile.Read(ref e.Key);
            if (k == key)
            {
                var value = Volatile.Read(ref e.Value);
                if (IsStatic(value))
                {
                    return;
                }
                if (SlotOf(value) != slot || ((nowMs - (value & TimeMask)) & TimeMask) >= RefreshIntervalMs)
                {
                    Interlocked.CompareExchange(ref e.Value, Pack(slot, false, nowMs), value);
                }
                return;
            }
            if (k == (key | BusyBit))
            {
                return;
            }
        }
        Insert(key, Pack(slot, false, nowMs), nowMs, overwriteStatic: false);
    }

    /// <summary>Adds or moves a static entry (a port's own MAC); it never ages and learning never moves it.</summary>
    public void AddStatic(int network, MacAddress mac, int slot, long nowMs)
    {
        var key = MakeKey(network, mac);
        var i = Home(key);
        for (var n = 0; n < ProbeLength; n++)
        {
            ref var e = ref _entries[i + n];
            if (Volatile.Read(ref e.Key) == key)
            {
                Volatile.Write(ref e.Value, Pack(slot, true, 0));
                return;
            }
        }
        if (!Insert(key, Pack(slot, true, 0), nowMs, overwriteStatic: false))
        {
            throw new InvalidOperationException($"MAC table full around {mac} (capacity {Capacity})");
        }
    }

    /// <summary>Forgets every entry, learned or static, that points at <paramref name="slot"/>.</summary>
    public void FlushPort(int slot)
    {
        for (var i = 0; i < _entries.Length; i++)
        {
            ref var e = ref _entries[i];
            var k = Volatile.Read(ref e.Key);
            if (k != 0 && k > 0 && SlotOf(Volatile.Read(ref e.Value)) == slot)
            {
                Interlocked.CompareExchange(ref e.Key, 0, k);
            }
        }
    }

    /// <summary>Entries that are live at <paramref name="nowMs"/>, for listing (allocates; not for the data path).</summary>
    public List<(int Network, MacAddress Mac, int Slot, bool Static, long AgeMs)> Snapshot(long nowMs)
    {
        var list = new List<(int, MacAddress, int, bool, long)>();
        foreach (ref var e in _entries.AsSpan())
        {
            var k = Volatile.Read(ref e.Key);
            var v = Volatile.Read(ref e.Value);
            if (k > 0 && IsLive(v, nowMs))
            {
                list.Add(((int)(k >> 48) - 1, new MacAddress((ulong)k), SlotOf(v), IsStatic(v), IsStatic(v) ? 0 : (nowMs - (v & TimeMask)) & TimeMask));
            }
        }
        return list;
    }

    private bool Insert(long key, long value, long nowMs, bool overwriteStatic)
    {
        var home = Home(key);
        // Pass 0 takes empty entries, pass 1 reuses expired ones, pass 2 evicts the oldest learned one.
        for (var pass = 0; pass < 3; pass++)
        {
            var victim = -1;
            long oldest = long.MaxValue;
            for (var n = 0; n < ProbeLength; n++)
            {
                ref var e = ref _entries[home + n];
                var k = Volatile.Read(ref e.Key);
                if (k < 0)
                {
                    continue;
                }
                var v = Volatile.Read(ref e.Value);
                var usable = pass switch
                {
                    0 => k == 0,
                    1 => k != 0 && !IsLive(v, nowMs),
                    _ => k != 0 && (overwriteStatic || !IsStatic(v)),
                };
                if (!usable)
                {
                    continue;
                }
                if (pass < 2)
                {
                    victim = home + n;
                    break;
                }
                if ((v & TimeMask) < oldest)
                {
                    oldest = v & TimeMask;
                    victim = home + n;
                }
            }
            if (victim >= 0)
            {
                ref var e = ref _entries[victim];
                var k = Volatile.Read(ref e.Key);
                if (Interlocked.CompareExchange(ref e.Key, key | BusyBit, k) == k)
                {
                    Volatile.Write(ref e.Value, value);
                    Volatile.Write(ref e.Key, key);
                    return true;
                }
                pass--;
            }
        }
        return false;
    }
}
