using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

// Batched lookups. A connection lookup is two dependent loads at random places of a large table (the bucket, then
// the entry); alone, each waits for memory. A worker with a batch of 32 packets first computes every packet's key and
// requests its bucket (Prepare), then reads the buckets, now in cache, and requests the entries (Prefetch), then
// tracks each packet (TrackPrepared): 32 misses overlap instead of following one another, as in DPDK's
// rte_hash bulk lookup and OVS's dpcls batch.
public sealed partial class ConnTable
{
    /// <summary>
    /// Computes the connection key of <paramref name="packet"/> in <paramref name="zone"/> and asks the CPU to load the
    /// hash bucket it will probe. No lock, no write.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prepare(in ParsedPacket packet, int zone, out ConnProbe probe)
    {
        probe = default;
        probe.Zone = zone;
        var kind = Classify(in packet, out var sourcePort, out var destinationPort);
        probe.Kind = kind;
        if (kind is PacketKind.Untracked or PacketKind.IcmpError)
        {
            return;
        }
        probe.Key = ConnKey.Create(zone, packet.IpProtocol, packet.IsIpv6, packet.IpSource, sourcePort,
            packet.IpDestination, destinationPort, out probe.Swapped);
        probe.Hash = probe.Key.Hash(_seed);
        _shards[ShardOf(probe.Hash)].PrefetchBucket(probe.Hash);
    }

    /// <summary>
    /// Asks the CPU to load the first entry of the probe's hash chain (the bucket's value is read without the lock:
    /// a racing change only makes the hint useless, never wrong).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(in ConnProbe probe)
    {
        if (Sse.IsSupported && probe.Kind is not (PacketKind.Untracked or PacketKind.IcmpError))
        {
            _shards[ShardOf(probe.Hash)].PrefetchFirstEntry(probe.Hash);
        }
    }
}
