// ConnTable.Control: readable snapshots and bulk removal for the control plane.
//
// What: List copies live entries (optionally of one zone, or touching one switch port) into ConnInfo records;
// RemoveWhere removes every entry a predicate selects. Both walk each shard in chunks of ConnShard.SweepChunk
// slots: under the shard's lock they only copy the raw 128-byte entries into a scratch array, and they build
// ConnInfo records, run the caller's predicate and allocate after releasing it.
// Why: the control plane may allocate and take its time, but a worker must never wait behind it for more than a
// chunk's copy (about a microsecond), and user code (the predicate) must never run under a data-path lock.
// RemoveWhere re-checks each selected entry under the lock before removing it (same slot, same key, same creation
// time), so a connection that was replaced in between is left alone.
// Thread-safety: callable from any thread, concurrently with the workers and with Sweep. The snapshot is not
// atomic across shards (nor needs to be).

namespace VSwitch.Dataplane.Conntrack;

public sealed partial class ConnTable
{
    /// <summary>
    /// A snapshot of up to <paramref name="max"/> live connections, optionally only those of <paramref name="zone"/>,
    /// those whose original direction entered or left on switch port slot <paramref name="port"/>, or those that
    /// carried a packet in the last <paramref name="seenWithinMs"/> milliseconds (of the latest clock the workers
    /// showed the table). Entries that have expired but were not swept yet are left out.
    /// </summary>
    public List<ConnInfo> List(int? zone = null, int? port = null, int max = 1000, long? seenWithinMs = null)
    {
        ThrowIfDisposed();
        var result = new List<ConnInfo>();
        if (max <= 0)
        {
            return result;
        }
        Walk((in ConnEntry e, ConnHandle handle, long createdMs, long nowMs) =>
        {
            if (Selected(in e, zone, port, nowMs) && (seenWithinMs is not { } within || nowMs == long.MinValue || nowMs - e.LastSeenMs <= within))
            {
                result.Add(ToInfo(in e, handle, createdMs));
            }
            return result.Count < max;
        });
        return result;
    }

    /// <summary>Removes every live connection <paramref name="predicate"/> selects; returns how many were removed.</summary>
    public int RemoveWhere(Func<ConnInfo, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        ThrowIfDisposed();
        var victims = new List<(ConnHandle Handle, ConnKey Key, long CreatedMs)>();
        Walk((in ConnEntry e, ConnHandle handle, long createdMs, long nowMs) =>
        {
            if (predicate(ToInfo(in e, handle, createdMs)))
            {
                victims.Add((handle, e.Key, createdMs));
            }
            return true;
        });
        var removed = 0;
        foreach (var (handle, key, createdMs) in victims)
        {
            if (!TryLocate(handle, out var shard, out var index))
            {
                continue;
            }
            shard.Enter();
            try
            {
                ref var e = ref shard.At(index);
                if (e.IsLive && e.Key.Equals(key) && shard.CreatedMs(index) == createdMs)
                {
                    shard.Remove(index);
                    removed++;
                }
            }
            finally
            {
                shard.Exit();
            }
        }
        return removed;
    }

    /// <summary>Visitor of <see cref="Walk"/>: return false to stop.</summary>
    private delegate bool EntryVisitor(in ConnEntry entry, ConnHandle handle, long createdMs, long nowMs);

    /// <summary>Calls <paramref name="visit"/> for every live entry, outside any lock, on a copy taken chunk by chunk.</summary>
    private void Walk(EntryVisitor visit)
    {
        var entries = new ConnEntry[ConnShard.SweepChunk];
        var created = new long[ConnShard.SweepChunk];
        var indexes = new int[ConnShard.SweepChunk];
        // The latest clock any caller has shown the table: the control plane has no clock of its own.
        var nowMs = long.MinValue;
        foreach (var shard in _shards)
        {
            nowMs = Math.Max(nowMs, shard.LastNowMs);
        }
        for (var s = 0; s < _shards.Length; s++)
        {
            var shard = _shards[s];
            for (var start = 0; start < shard.HighWater; start += ConnShard.SweepChunk)
            {
                var copied = 0;
                shard.Enter();
                try
                {
                    var end = Math.Min(start + ConnShard.SweepChunk, shard.HighWater);
                    for (var i = start; i < end; i++)
                    {
                        ref var e = ref shard.At(i);
                        if (e.IsLive)
                        {
                            entries[copied] = e;
                            created[copied] = shard.CreatedMs(i);
                            indexes[copied] = i;
                            copied++;
                        }
                    }
                }
                finally
                {
                    shard.Exit();
                }
                for (var n = 0; n < copied; n++)
                {
                    var handle = new ConnHandle(Location(s, indexes[n]), (uint)entries[n].Key.Hash(_seed));
                    if (!visit(in entries[n], handle, created[n], nowMs))
                    {
                        return;
                    }
                }
            }
        }
    }

    private bool Selected(in ConnEntry e, int? zone, int? port, long nowMs)
    {
        if (zone is { } z && e.Key.Zone != (z & ((1 << ConnKey.ZoneBits) - 1)))
        {
            return false;
        }
        if (port is { } p && e.OrigInPort != p && e.OrigOutPort != p)
        {
            return false;
        }
        return nowMs == long.MinValue || nowMs - e.LastSeenMs < _timeoutsMs[(int)e.State];
    }

    private ConnInfo ToInfo(in ConnEntry e, ConnHandle handle, long createdMs)
    {
        var swapped = e.OriginalSwapped;
        var key = e.Key;
        return new ConnInfo
        {
            Handle = handle,
            Zone = key.Zone,
            Protocol = key.Protocol,
            Source = swapped ? key.AddressB : key.AddressA,
            Destination = swapped ? key.AddressA : key.AddressB,
            SourcePort = swapped ? key.PortB : key.PortA,
            DestinationPort = swapped ? key.PortA : key.PortB,
            State = e.State,
            Assured = e.IsAssured,
            CreatedMs = createdMs,
            LastSeenMs = e.LastSeenMs,
            ExpiresMs = e.LastSeenMs + Volatile.Read(ref _timeoutsMs)[(int)e.State],
            PacketsOriginal = e.Packets[0],
            PacketsReply = e.Packets[1],
            BytesOriginal = e.Bytes[0],
            BytesReply = e.Bytes[1],
            AdmittedGeneration = e.AdmittedGeneration,
            OrigInPort = e.OrigInPort,
            OrigOutPort = e.OrigOutPort,
            RuleSlot = e.RuleSlot,
        };
    }
}
