// ConnTable.Sweep: incremental expiry.
//
// What: Sweep walks the slots of all shards round-robin from a cursor that persists between calls, examines at
// most `budget` slots per call, and removes the entries whose idle time reached their state's timeout. It locks a
// shard for at most ConnShard.SweepChunk (64) slots at a time and skips the never-used tail of each shard (above
// its high-water mark) without touching it.
// Why: expired entries already read as absent on the data path (Track checks expiry on every hit), so the sweeper
// only returns memory to the free lists; it can therefore be slow and steady. A small budget per call (the
// daemon's timer calls it every 100 ms or so) bounds both the lock hold a worker can meet (64 slots, ~1-2 µs)
// and the control thread's time, as OVS's conntrack clean thread bounds its batches and VPP's session cleaner
// works in slices. A full pass over 1M slots at a budget of 10,000 per 100 ms takes 10 s, far below every timeout
// but TCP CLOSE's 10 s, whose entries are reclaimed anyway when their slot is needed (early drop or expiry scan).
// Thread-safety: concurrent Sweep calls serialise on _sweepLock (a control-plane lock, never taken by workers).

namespace VSwitch.Dataplane.Conntrack;

public sealed partial class ConnTable
{
    private readonly Lock _sweepLock = new();
    private int _sweepShard;
    private int _sweepIndex;

    /// <summary>Removes expired entries, examining at most <paramref name="budget"/> slots. Returns the number removed.</summary>
    public int Sweep(long nowMs, int budget) => Sweep(nowMs, budget, out _);

    /// <summary>As <see cref="Sweep(long, int)"/>; <paramref name="examined"/> is the number of slots looked at (at most the budget).</summary>
    public int Sweep(long nowMs, int budget, out int examined)
    {
        examined = 0;
        if (budget <= 0)
        {
            return 0;
        }
        var timeouts = Volatile.Read(ref _timeoutsMs);
        var removed = 0;
        lock (_sweepLock)
        {
            // At most one full cycle over the shards per call, even when they are all empty.
            var shardsLeft = _shards.Length + 1;
            while (examined < budget && shardsLeft > 0)
            {
                var shard = _shards[_sweepShard];
                var highWater = shard.HighWater;
                if (_sweepIndex >= highWater)
                {
                    _sweepIndex = 0;
                    _sweepShard = (_sweepShard + 1) & _shardMask;
                    shardsLeft--;
                    continue;
                }
                var count = Math.Min(Math.Min(budget - examined, ConnShard.SweepChunk), highWater - _sweepIndex);
                shard.Enter();
                try
                {
                    shard.Observe(nowMs);
                    removed += shard.SweepRange(_sweepIndex, count, nowMs, timeouts);
                }
                finally
                {
                    shard.Exit();
                }
                examined += count;
                _sweepIndex += count;
            }
        }
        return removed;
    }
}
