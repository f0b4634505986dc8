using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.FlowCache;

/// <summary>
/// A worker's exact-match flow cache: <see cref="FlowKey"/> → policy verdict, in front of the compiled classifiers
/// (OVS <c>dpif-netdev-dfc</c> EMC).
/// </summary>
/// <remarks>
/// What: a fixed array of 64-byte entries (key, policy generation, verdict), two candidate positions per key taken
/// from the key's hash. Why: most packets belong to a few busy flows; one cache line compare replaces the classifier's
/// probes. An entry is stamped with the policy generation it was computed under and is valid only while that is not
/// older than its port's policy generation (the key holds the port): a change of a port's rules, groups, address sets
/// or settings invalidates that port's entries at once, without a flush and without a stale verdict ever being
/// returned, and leaves every other port's entries valid.
/// Thread-safety: owned by one worker; never shared (STYLE rule 4).
/// </remarks>
public sealed class ExactMatchCache
{
    /// <summary>Entries per worker (8,192 × 64 B = 512 KiB).</summary>
    public const int DefaultCapacity = 8192;

    private readonly Entry[] _entries;
    private readonly int _mask;

    [StructLayout(LayoutKind.Sequential, Size = 64)]
    private struct Entry
    {
        public FlowKey Key;
        public long Generation;
        public int Verdict;
    }

    public ExactMatchCache(int capacity = DefaultCapacity)
    {
        _entries = new Entry[capacity];
        _mask = capacity - 1;
        for (var i = 0; i < capacity; i++)
        {
            _entries[i].Generation = -1;
        }
    }

    /// <summary>The verdict of <paramref name="key"/> if one was stored at <paramref name="minGeneration"/> or later.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(in FlowKey key, ulong hash, long minGeneration, out int verdict)
    {
        ref var a = ref _entries[(int)hash & _mask];
        if (a.Generation >= minGeneration && a.Key.Equals(key))
        {
            verdict = a.Verdict;
            return true;
        }
        ref var b = ref _entries[(int)(hash >> 32) & _mask];
        if (b.Generation >= minGeneration && b.Key.Equals(key))
        {
            verdict = b.Verdict;
            return true;
        }
        verdict = 0;
        return false;
    }

    /// <summary>Stores a verdict computed under policy generation <paramref name="generation"/> (the current one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Put(in FlowKey key, ulong hash, long generation, int verdict)
    {
        ref var a = ref _entries[(int)hash & _mask];
        ref var e = ref (a.Generation != generation ? ref a : ref _entries[(int)(hash >> 32) & _mask]);
        e.Key = key;
        e.Generation = generation;
        e.Verdict = verdict;
    }
}
