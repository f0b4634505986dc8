// ConnShard: one lock's worth of the connection table.
//
// What
//   A fixed array of ConnEntry (capacity = MaxEntries / ShardCount), a chained hash index over it, a free list,
//   a list of unassured entries in creation order (the early-drop victims), a side array of cold per-entry data,
//   and a small lock. Layout:
//     entries   capacity * 128 bytes, the shard's part of the table's huge-page memory (HugePageMemory). Slots
//               are handed out from a high-water mark, so memory the table never used is never touched.
//     buckets   2 * capacity rounded to a power of two ints, also in huge-page memory: index + 1 of the first entry
//               of each chain (0 = empty); chains continue through ConnEntry.Next. Load factor <= 0.5, so a hit
//               walks 1.25 entries on average.
//     cold      ColdEntry[capacity]: creation time and the links of the unassured list (16 bytes per entry).
//     hot       lock word, counts, list heads and counters on their own cache line(s), padded on both sides so two
//               shards' locks never share a line.
//   Free slots have State == None and are chained through Next from FreeHead.
//
// Why
//   ARCHITECTURE.md wants one conntrack shared by all workers (the two directions of a connection arrive on
//   different ports, so on different workers) with a short critical section per shard. Sharding by the key's hash
//   spreads workers over 64 locks, so two workers rarely meet on one. A chained index with in-entry links costs 4
//   bytes per entry plus the buckets and deletes in O(chain) without tombstones (OVS's cmap and Linux's hlist are
//   chained too). The unassured list is what makes early drop exact and O(1): when the shard is full the oldest
//   connection that never saw a reply (a SYN flood's leftovers, UDP probes) is dropped, as Linux's early_drop does,
//   and an assured one never is. Entries and buckets live in memory the table maps once with huge pages (a
//   random lookup otherwise pays a TLB miss as well as a cache miss); the shard keeps the mapping's owner alive, so a
//   stale handle or a late call after Dispose can never touch freed memory.
//
// Thread-safety
//   Every member except the constructor, Volatile reads of the counters, and Capacity requires the shard lock
//   (Enter/Exit). The lock is a test-and-set spin lock on an int: the critical sections are a few dozen
//   nanoseconds on the data path and bounded chunks (SweepChunk entries) on the control plane, so spinning beats
//   parking; SpinWait yields the CPU after a few rounds so that a preempted holder can run.
//
// Measured
//   ConnTableBenchmarks (Conntrack/README.md), 1M entries on the 2-core VM: Track of one hot flow 26 ns (most of it
//   the lock's compare-and-swap); of a flow picked at random 208 ns, which is two cache and TLB misses (bucket,
//   entry); Commit + Remove of a new connection 253 ns. Uncontended, since two workers rarely share one of 64 shards.

using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using VSwitch.Dataplane.Memory;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>One shard of a <see cref="ConnTable"/>: entries, hash index, free list, early-drop list and a spin lock.</summary>
internal sealed unsafe class ConnShard
{
    /// <summary>Entries examined under one lock hold by the sweeper, the expiry scan and the control plane.</summary>
    public const int SweepChunk = 64;

    /// <summary>Entries the allocator examines for an expired one when the shard is full and nothing is unassured.</summary>
    private const int ExpiredScanLength = 32;

    private const int CacheLineSize = 64;

    private readonly byte* _entries;
    private readonly int* _buckets;
    private readonly int _bucketCount;
    // Held only to keep the mappings behind _entries and _buckets alive while this shard exists.
    private readonly HugePageMemory _entryMemory;
    private readonly HugePageMemory _bucketMemory;
    private readonly ColdEntry[] _cold;
    private readonly int _bucketMask;
    private readonly ulong _seed;
    private readonly PortConnectionCounts _ports;
    private Hot _hot;

    /// <summary>Creation time and early-drop list links: data the per-packet path never reads.</summary>
    internal struct ColdEntry
    {
        public long CreatedMs;

        /// <summary>Previous (older) entry in the unassured list: index + 1, 0 = none.</summary>
        public int UnassuredPrev;

        /// <summary>Next (younger) entry in the unassured list: index + 1, 0 = none.</summary>
        public int UnassuredNext;
    }

    /// <summary>The shard's mutable scalars, on their own cache lines (64 bytes of padding on each side).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 3 * CacheLineSize)]
    private struct Hot
    {
        [FieldOffset(CacheLineSize + 0)] public int Lock;
        [FieldOffset(CacheLineSize + 4)] public int Count;
        [FieldOffset(CacheLineSize + 8)] public int FreeHead;
        [FieldOffset(CacheLineSize + 12)] public int HighWater;
        [FieldOffset(CacheLineSize + 16)] public int UnassuredHead;
        [FieldOffset(CacheLineSize + 20)] public int UnassuredTail;
        [FieldOffset(CacheLineSize + 24)] public int ExpiredScanCursor;
        [FieldOffset(CacheLineSize + 32)] public long Created;
        [FieldOffset(CacheLineSize + 40)] public long EarlyDrops;
        [FieldOffset(CacheLineSize + 48)] public long Expired;
        [FieldOffset(CacheLineSize + 56)] public long Full;
        [FieldOffset(CacheLineSize + 64)] public long LastNowMs;
    }

    /// <summary>Buckets of a shard of <paramref name="capacity"/> entries (a power of two, load factor at most 0.5).</summary>
    public static int BucketCountFor(int capacity) => (int)BitOperations.RoundUpToPowerOf2((uint)capacity) * 2;

    /// <param name="capacity">Entries.</param>
    /// <param name="seed">The table's hash seed.</param>
    /// <param name="entryMemory">The table's entry memory; this shard uses <paramref name="capacity"/> entries from <paramref name="entryOffset"/>.</param>
    /// <param name="entryOffset">Byte offset of the shard's first entry (a multiple of 64).</param>
    /// <param name="bucketMemory">The table's bucket memory (zero-filled); this shard uses <see cref="BucketCountFor"/> ints from <paramref name="bucketOffset"/>.</param>
    /// <param name="bucketOffset">Byte offset of the shard's first bucket.</param>
    /// <param name="ports">The table's per-port connection counts; a removed entry gives its ports' counts back.</param>
    public ConnShard(int capacity, ulong seed, HugePageMemory entryMemory, long entryOffset, HugePageMemory bucketMemory, long bucketOffset,
        PortConnectionCounts ports)
    {
        var buckets = BucketCountFor(capacity);
        if (capacity <= 0 || entryOffset % CacheLineSize != 0 || entryOffset + ((long)capacity * ConnEntry.Size) > entryMemory.Length
            || bucketOffset + ((long)buckets * sizeof(int)) > bucketMemory.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "the shard does not fit the table's memory");
        }
        Capacity = capacity;
        _seed = seed;
        _ports = ports;
        _entryMemory = entryMemory;
        _bucketMemory = bucketMemory;
        _entries = entryMemory.Start + entryOffset;
        _buckets = (int*)(bucketMemory.Start + bucketOffset);
        _bucketCount = buckets;
        _bucketMask = buckets - 1;
        _cold = new ColdEntry[capacity];
        _hot.LastNowMs = long.MinValue;
    }

    /// <summary>Entries the shard can hold.</summary>
    public int Capacity { get; }

    /// <summary>Live entries (a racy read is fine for statistics).</summary>
    public int Count => Volatile.Read(ref _hot.Count);

    /// <summary>Slots handed out so far; slots at or above it were never used.</summary>
    public int HighWater => Volatile.Read(ref _hot.HighWater);

    public long Created => Volatile.Read(ref _hot.Created);

    public long EarlyDrops => Volatile.Read(ref _hot.EarlyDrops);

    public long Expired => Volatile.Read(ref _hot.Expired);

    public long Full => Volatile.Read(ref _hot.Full);

    /// <summary>The latest clock value any caller passed (for control-plane reads that have no clock of their own).</summary>
    public long LastNowMs => Volatile.Read(ref _hot.LastNowMs);

    /// <summary>Bytes of memory reserved by the shard.</summary>
    public long MemorySize => ((long)Capacity * ConnEntry.Size) + ((long)_bucketCount * sizeof(int)) + ((long)_cold.Length * Unsafe.SizeOf<ColdEntry>());

    // ---- lock ------------------------------------------------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _hot.Lock, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnterContended()
    {
        var spin = default(SpinWait);
        do
        {
            // Test before test-and-set: spin on a shared read, not on a cache-line-stealing CAS.
            while (Volatile.Read(ref _hot.Lock) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
        while (Interlocked.CompareExchange(ref _hot.Lock, 1, 0) != 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit() => Volatile.Write(ref _hot.Lock, 0);

    // ---- everything below requires the lock --------------------------------------------------------------------

    /// <summary>The entry in slot <paramref name="index"/> (0 &lt;= index &lt; Capacity; checked in debug builds).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref ConnEntry At(int index)
    {
        Debug.Assert((uint)index < (uint)Capacity);
        return ref *(ConnEntry*)(_entries + ((nint)index * ConnEntry.Size));
    }

    /// <summary>The creation time of slot <paramref name="index"/>.</summary>
    public long CreatedMs(int index) => _cold[index].CreatedMs;

    /// <summary>Records the caller's clock (monotonic maximum).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Observe(long nowMs)
    {
        if (nowMs > _hot.LastNowMs)
        {
            _hot.LastNowMs = nowMs;
        }
    }

    /// <summary>Asks the CPU to load the bucket of <paramref name="hash"/> (no lock needed: nothing is read).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchBucket(ulong hash)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(_buckets + ((int)hash & _bucketMask));
        }
    }

    /// <summary>
    /// Asks the CPU to load the first entry (both cache lines) of <paramref name="hash"/>'s chain. Reads the bucket without the lock: the
    /// value is only a hint, checked against the capacity before use.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void PrefetchFirstEntry(ulong hash)
    {
        var first = Volatile.Read(ref _buckets[(int)hash & _bucketMask]) - 1;
        if ((uint)first < (uint)Capacity)
        {
            // Both lines: the key is in the first, the state, TCP windows and the chain link in the second.
            var entry = _entries + ((nint)first * ConnEntry.Size);
            Sse.Prefetch0(entry);
            Sse.Prefetch0(entry + 64);
        }
    }

    /// <summary>The slot holding <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in ConnKey key, ulong hash)
    {
        var next = _buckets[(int)hash & _bucketMask];
        while (next != 0)
        {
            var index = next - 1;
            ref var e = ref At(index);
            if (e.Key.Equals(key))
            {
                return index;
            }
            next = e.Next;
        }
        return -1;
    }

    /// <summary>
    /// A free slot for a new entry, or -1 when the shard is full and nothing may be evicted. When full, the oldest
    /// unassured entry is dropped early (counted as expired instead when it had expired anyway); with no unassured
    /// entry, a short scan looks for an expired one.
    /// </summary>
    public int Allocate(long nowMs, long[] timeoutsMs)
    {
        if (_hot.FreeHead == 0 && _hot.HighWater == Capacity)
        {
            var victim = _hot.UnassuredHead - 1;
            if (victim >= 0)
            {
                if (IsExpired(ref At(victim), nowMs, timeoutsMs))
                {
                    _hot.Expired++;
                }
                else
                {
                    _hot.EarlyDrops++;
                }
                Remove(victim);
            }
            else if (!ReclaimExpired(nowMs, timeoutsMs))
            {
                _hot.Full++;
                return -1;
            }
        }
        if (_hot.FreeHead != 0)
        {
            var index = _hot.FreeHead - 1;
            _hot.FreeHead = At(index).Next;
            return index;
        }
        return _hot.HighWater++;
    }

    /// <summary>Links a filled-in slot into the index (and, unless assured, the unassured list) and counts it.</summary>
    public void Insert(int index, ulong hash, long nowMs)
    {
        ref var e = ref At(index);
        ref var bucket = ref _buckets[(int)hash & _bucketMask];
        e.Next = bucket;
        bucket = index + 1;
        ref var cold = ref _cold[index];
        cold.CreatedMs = nowMs;
        cold.UnassuredPrev = 0;
        cold.UnassuredNext = 0;
        if (!e.IsAssured)
        {
            AppendUnassured(index);
        }
        _hot.Count++;
        _hot.Created++;
    }

    /// <summary>Marks slot <paramref name="index"/> assured and takes it off the early-drop list.</summary>
    public void MarkAssured(int index)
    {
        ref var e = ref At(index);
        if (!e.IsAssured)
        {
            e.Flags |= ConnEntryFlags.Assured;
            UnlinkUnassured(index);
        }
    }

    /// <summary>Unlinks live slot <paramref name="index"/> from the index and its lists and frees it.</summary>
    public void Remove(int index)
    {
        ref var e = ref At(index);
        Debug.Assert(e.IsLive);
        ref var link = ref _buckets[(int)e.Key.Hash(_seed) & _bucketMask];
        while (link != 0)
        {
            if (link == index + 1)
            {
                link = e.Next;
                break;
            }
            link = ref At(link - 1).Next;
        }
        if (!e.IsAssured)
        {
            UnlinkUnassured(index);
        }
        _ports.Release(e.OrigInPort, e.OrigOutPort);
        e.State = ConnState.None;
        e.Flags = ConnEntryFlags.None;
        e.Next = _hot.FreeHead;
        _hot.FreeHead = index + 1;
        _hot.Count--;
    }

    /// <summary>Removes slot <paramref name="index"/> because it expired (counted).</summary>
    public void RemoveExpired(int index)
    {
        _hot.Expired++;
        Remove(index);
    }

    /// <summary>True when the live entry has been idle for its state's timeout.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsExpired(ref ConnEntry e, long nowMs, long[] timeoutsMs) =>
        nowMs - e.LastSeenMs >= timeoutsMs[(int)e.State];

    /// <summary>
    /// Examines slots [<paramref name="start"/>, start + <paramref name="count"/>) (clipped to the high-water mark)
    /// and removes the expired ones. Returns the number removed.
    /// </summary>
    public int SweepRange(int start, int count, long nowMs, long[] timeoutsMs)
    {
        var end = Math.Min(start + count, _hot.HighWater);
        var removed = 0;
        for (var i = start; i < end; i++)
        {
            ref var e = ref At(i);
            if (e.IsLive && IsExpired(ref e, nowMs, timeoutsMs))
            {
                RemoveExpired(i);
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Frees one expired entry found by a short round-robin scan; false when none was found.</summary>
    private bool ReclaimExpired(long nowMs, long[] timeoutsMs)
    {
        var cursor = _hot.ExpiredScanCursor;
        for (var n = 0; n < ExpiredScanLength; n++)
        {
            if (++cursor >= Capacity)
            {
                cursor = 0;
            }
            ref var e = ref At(cursor);
            if (e.IsLive && IsExpired(ref e, nowMs, timeoutsMs))
            {
                _hot.ExpiredScanCursor = cursor;
                RemoveExpired(cursor);
                return true;
            }
        }
        _hot.ExpiredScanCursor = cursor;
        return false;
    }

    private void AppendUnassured(int index)
    {
        ref var cold = ref _cold[index];
        cold.UnassuredNext = 0;
        cold.UnassuredPrev = _hot.UnassuredTail;
        if (_hot.UnassuredTail != 0)
        {
            _cold[_hot.UnassuredTail - 1].UnassuredNext = index + 1;
        }
        else
        {
            _hot.UnassuredHead = index + 1;
        }
        _hot.UnassuredTail = index + 1;
    }

    private void UnlinkUnassured(int index)
    {
        ref var cold = ref _cold[index];
        if (cold.UnassuredPrev != 0)
        {
            _cold[cold.UnassuredPrev - 1].UnassuredNext = cold.UnassuredNext;
        }
        else
        {
            _hot.UnassuredHead = cold.UnassuredNext;
        }
        if (cold.UnassuredNext != 0)
        {
            _cold[cold.UnassuredNext - 1].UnassuredPrev = cold.UnassuredPrev;
        }
        else
        {
            _hot.UnassuredTail = cold.UnassuredPrev;
        }
        cold.UnassuredPrev = 0;
        cold.UnassuredNext = 0;
    }
}
