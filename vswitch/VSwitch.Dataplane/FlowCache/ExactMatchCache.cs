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
/// probes. An entry is valid only while its generation equals the snapshot's policy generation, so any change of
/// rules, groups, membership or port settings (all bump the generation) invalidates every entry at once, without a
/// flush and without a stale verdict ever being returned.
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(in FlowKey key, ulong hash, long generation, out int verdict)
    {
        ref var a = ref _entries[(int)hash & _mask];
        if (a.Generation == generation && a.Key.Equals(key))
        {
            verdict = a.Verdict;
            return true;
        }
        ref var b = ref _entries[(int)(hash >> 32) & _mask];
        if (b.Generation == generation && b.Key.Equals(key))
        {
            verdict = b.Verdict;
            return true;
        }
        verdict = 0;
        return false;
    }

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
