// PortConnectionCounts: how many tracked connections name each port, and the per-port limit check.
//
// What
//   One counter per port slot: the live entries whose original direction entered or left on that port. A connection
//   between two VMs counts on both (as OVN counts it in each port's conntrack zone, ct-zone-limit), so one VM cannot
//   fill the table for all by opening connections, nor by making a neighbour open them to it. ConnTable.Commit
//   reserves a count on each end before it allocates the entry (refusing past the end's limit); ConnShard.Remove
//   gives both back, whatever removed the entry (expiry, early drop, a rule removal, the control plane).
//
// Why
//   Counters are shared by all shards, so they are atomics (Interlocked), not shard state: a reservation must hold
//   across the shards of every worker, and the check and the increment are one step (increment, then back out when
//   past the limit), so concurrent commits never overshoot a limit. Only new connections touch them; the packets of
//   established connections never do.

namespace VSwitch.Dataplane.Conntrack;

/// <summary>Tracked connections per port slot, with the reservation that enforces a per-port limit.</summary>
internal sealed class PortConnectionCounts(int slots)
{
    private readonly int[] _counts = new int[Math.Clamp(slots, 0, ushort.MaxValue)];

    /// <summary>Connections naming <paramref name="slot"/> (0 for a slot out of range).</summary>
    public int Count(int slot) => (uint)slot < (uint)_counts.Length ? Volatile.Read(ref _counts[slot]) : 0;

    /// <summary>
    /// Counts one more connection on <paramref name="slot"/> unless that would pass <paramref name="limit"/> (0 = no
    /// limit). True when counted, or when the slot is not counted at all (negative, out of range).
    /// </summary>
    public bool TryReserve(int slot, int limit)
    {
        if ((uint)slot >= (uint)_counts.Length)
        {
            return true;
        }
        var count = Interlocked.Increment(ref _counts[slot]);
        if (limit > 0 && count > limit)
        {
            Interlocked.Decrement(ref _counts[slot]);
            return false;
        }
        return true;
    }

    /// <summary>Gives back the connection of an entry that named <paramref name="inPort"/> and <paramref name="outPort"/> (each once).</summary>
    public void Release(int inPort, int outPort)
    {
        Release(inPort);
        if (outPort != inPort)
        {
            Release(outPort);
        }
    }

    /// <summary>Gives back one connection of <paramref name="slot"/> (nothing for a slot out of range).</summary>
    public void Release(int slot)
    {
        if ((uint)slot < (uint)_counts.Length)
        {
            Interlocked.Decrement(ref _counts[slot]);
        }
    }
}
