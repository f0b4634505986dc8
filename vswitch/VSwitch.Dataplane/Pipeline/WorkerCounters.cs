using System.Runtime.CompilerServices;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// One worker's counters: per port slot the traffic counters and drops by reason and direction, plus whole-worker
/// counters.
/// </summary>
/// <remarks>
/// What: plain <see cref="long"/> fields in one array owned by the worker.
/// Why: a single writer needs no atomic read-modify-write; readers (the metrics scrape, the API) sum the workers'
/// arrays with <see cref="Volatile.Read(ref readonly long)"/>, which cannot tear on x86-64 (OVS <c>pmd_counters</c>).
/// Each port's block is padded to whole cache lines so that two workers never write one line.
/// Thread-safety: the owning worker writes; any thread reads.
/// </remarks>
public sealed class WorkerCounters
{
    /// <summary>Longs per port: traffic counters, then drops by [reason, direction], padded to 64-byte lines.</summary>
    public const int PortStride = ((int)PortCounter.Count + ((int)DropReason.Count * 2) + 7) & ~7;

    private readonly long[] _ports;
    private readonly long[] _worker = new long[((int)WorkerCounter.Count + 7) & ~7];

    private readonly long[] _ruleHits;

    public WorkerCounters(int maxPorts, int maxRules = 0)
    {
        MaxPorts = maxPorts;
        _ports = new long[maxPorts * PortStride];
        _ruleHits = new long[maxRules];
    }

    /// <summary>Counts one packet allowed by the rule in counter slot <paramref name="ruleSlot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RuleHit(int ruleSlot)
    {
        if ((uint)ruleSlot < (uint)_ruleHits.Length)
        {
            _ruleHits[ruleSlot]++;
        }
    }

    public long ReadRuleHits(int ruleSlot) => (uint)ruleSlot < (uint)_ruleHits.Length ? Volatile.Read(ref _ruleHits[ruleSlot]) : 0;

    public int MaxPorts { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int slot, PortCounter counter, long value) => _ports[(slot * PortStride) + (int)counter] += value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Drop(int slot, DropReason reason, Direction direction, long packets = 1) =>
        _ports[DropIndex(slot, reason, direction)] += packets;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(WorkerCounter counter, long value) => _worker[(int)counter] += value;

    public long Read(int slot, PortCounter counter) => Volatile.Read(ref _ports[(slot * PortStride) + (int)counter]);

    public long ReadDrop(int slot, DropReason reason, Direction direction) => Volatile.Read(ref _ports[DropIndex(slot, reason, direction)]);

    public long Read(WorkerCounter counter) => Volatile.Read(ref _worker[(int)counter]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DropIndex(int slot, DropReason reason, Direction direction) =>
        (slot * PortStride) + (int)PortCounter.Count + ((int)reason * 2) + (int)direction;
}
