using System.Runtime.CompilerServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Routing;

/// <summary>
/// The IPv4 neighbours routers resolved with ARP on external networks: (network, address) → MAC. Inside networks need
/// none (the model says where every port's address lives); the outside world (an upstream router, hosts that are not
/// ports) answers ARP like any host.
/// </summary>
/// <remarks>
/// What: a direct-mapped array of three-word entries (key, MAC, time learned), written by the workers that see ARP
/// answers for a router (its replies, and requests for its address: the sender is gleaned, as Linux does) and read by
/// every worker routing toward that network. The port comes from the MAC table, which learned the answer's source.
/// Why: the data path takes no lock outside conntrack: as <see cref="L2.MacTable"/>, a writer claims an entry by
/// compare-and-swap of its key to a busy marker, writes the MAC and time, then publishes the key; a reader reads key,
/// MAC, time, key again and treats a changed key as a miss (a reader stalled between its two reads while the entry
/// went to another key and back could pair the key with the other's MAC: one misdirected packet, not a lasting error).
/// An external network has few next hops (its gateway, perhaps a few hosts): only an answer to the router's own
/// request may evict another address's live entry; gleaned ones take free or expired entries, so hosts that merely
/// ask for the router cannot push its upstream out. An entry is used for <see cref="LifetimeMs"/>; after
/// <see cref="FreshMs"/> its use asks again (paced per worker), so a steady flow refreshes it without a gap, a
/// gratuitous ARP updates it at once (<see cref="Refresh"/>), and a neighbour that went away is forgotten.
/// Thread-safety: any number of workers learn and look up concurrently.
/// </remarks>
public sealed class NeighborCache
{
    /// <summary>Entries (a power of two).</summary>
    public const int Capacity = 1024;

    /// <summary>How long an answer is used without asking again (Linux confirms a neighbour's reachability about as often).</summary>
    public const long FreshMs = 60_000;

    /// <summary>How long an answer is used at all (asked again meanwhile).</summary>
    public const long LifetimeMs = 300_000;

    /// <summary>An answer is not rewritten more often than this when it repeats itself.</summary>
    private const long RefreshIntervalMs = 1000;

    private const long BusyBit = long.MinValue;

    private readonly Entry[] _entries = new Entry[Capacity];

    private struct Entry
    {
        public long Key;
        public long Mac;
        public long LearnedMs;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long MakeKey(int network, uint address) => ((long)((network & 0x7FFF_FFFF) + 1) << 32) | address;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Home(long key) => (int)(((ulong)key * 0x9E37_79B9_7F4A_7C15UL) >> 54) & (Capacity - 1);

    /// <summary>
    /// The MAC of <paramref name="address"/> on <paramref name="network"/>, answered less than <see cref="LifetimeMs"/>
    /// ago; <paramref name="stale"/> when more than <see cref="FreshMs"/> ago (use it, and ask again).
    /// </summary>
    public bool TryGet(int network, uint address, long nowMs, out MacAddress mac, out bool stale)
    {
        var key = MakeKey(network, address);
        ref var e = ref _entries[Home(key)];
        mac = default;
        stale = false;
        if (Volatile.Read(ref e.Key) != key)
        {
            return false;
        }
        var value = Volatile.Read(ref e.Mac);
        var learned = Volatile.Read(ref e.LearnedMs);
        if (Volatile.Read(ref e.Key) != key)
        {
            return false;
        }
        var age = nowMs - learned;
        if (age >= LifetimeMs)
        {
            return false;
        }
        mac = new MacAddress((ulong)value);
        stale = age >= FreshMs;
        return true;
    }

    /// <summary>
    /// Records that <paramref name="address"/> on <paramref name="network"/> answered from <paramref name="mac"/>; another
    /// address's live entry is replaced only when <paramref name="evict"/> (an answer to the router's own request).
    /// False when nothing was written.
    /// </summary>
    public bool Learn(int network, uint address, MacAddress mac, long nowMs, bool evict = true)
    {
        var key = MakeKey(network, address);
        ref var e = ref _entries[Home(key)];
        var current = Volatile.Read(ref e.Key);
        if (current == key && Volatile.Read(ref e.Mac) == (long)mac.Value && nowMs - Volatile.Read(ref e.LearnedMs) < RefreshIntervalMs)
        {
            return false;
        }
        if (!evict && current > 0 && current != key && nowMs - Volatile.Read(ref e.LearnedMs) < LifetimeMs)
        {
            return false;
        }
        if (current < 0 || Interlocked.CompareExchange(ref e.Key, current | BusyBit, current) != current)
        {
            // Another worker is writing this entry: its answer is as good.
            return false;
        }
        Volatile.Write(ref e.Mac, (long)mac.Value);
        Volatile.Write(ref e.LearnedMs, nowMs);
        Volatile.Write(ref e.Key, key);
        return true;
    }

    /// <summary>
    /// Forgets every answer learned on <paramref name="network"/> (its index is being released and may be given to
    /// another network). A worker still on the previous snapshot may learn one again meanwhile; it then ages out.
    /// </summary>
    public void Forget(int network)
    {
        foreach (ref var e in _entries.AsSpan())
        {
            var key = Volatile.Read(ref e.Key);
            if (key > 0 && (int)(key >> 32) - 1 == network)
            {
                Interlocked.CompareExchange(ref e.Key, 0, key);
            }
        }
    }

    /// <summary>Updates <paramref name="address"/>'s entry if there is one (a gratuitous ARP: a failover announcing itself); creates none.</summary>
    public bool Refresh(int network, uint address, MacAddress mac, long nowMs) =>
        Volatile.Read(ref _entries[Home(MakeKey(network, address))].Key) == MakeKey(network, address) && Learn(network, address, mac, nowMs);

    /// <summary>The answers younger than <see cref="LifetimeMs"/> (allocates; for listing, not for the data path).</summary>
    public List<(int Network, uint Address, MacAddress Mac, long AgeMs)> Snapshot(long nowMs)
    {
        var list = new List<(int, uint, MacAddress, long)>();
        foreach (ref var e in _entries.AsSpan())
        {
            var key = Volatile.Read(ref e.Key);
            var mac = Volatile.Read(ref e.Mac);
            var learned = Volatile.Read(ref e.LearnedMs);
            if (key > 0 && Volatile.Read(ref e.Key) == key && nowMs - learned < LifetimeMs)
            {
                list.Add(((int)(key >> 32) - 1, (uint)key, new MacAddress((ulong)mac), nowMs - learned));
            }
        }
        return list;
    }
}
