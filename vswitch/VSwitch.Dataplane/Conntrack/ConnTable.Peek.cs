using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

public sealed partial class ConnTable
{
    /// <summary>
    /// What <see cref="Track"/> would answer for <paramref name="packet"/>, without changing anything: the protocol
    /// tracker runs on a copy of the entry. Used by packet traces, which must not disturb real connections.
    /// </summary>
    public ConnLookup Peek(ReadOnlySpan<byte> frame, in ParsedPacket packet, int zone, long nowMs)
    {
        var kind = Classify(in packet, out var sourcePort, out var destinationPort);
        if (kind == PacketKind.Untracked)
        {
            return ConnLookup.Untracked;
        }
        if (kind == PacketKind.IcmpError)
        {
            return TrackRelated(frame, in packet, zone, nowMs);
        }
        var key = ConnKey.Create(zone, packet.IpProtocol, packet.IsIpv6, packet.IpSource, sourcePort,
            packet.IpDestination, destinationPort, out var swapped);
        var hash = key.Hash(_seed);
        var shardIndex = ShardOf(hash);
        var shard = _shards[shardIndex];
        var timeouts = Volatile.Read(ref _timeoutsMs);
        ConnEntry copy;
        int index;
        shard.Enter();
        try
        {
            index = shard.Find(in key, hash);
            if (index < 0 || ConnShard.IsExpired(ref shard.At(index), nowMs, timeouts))
            {
                return ProtocolTrackers.FirstPacket(kind, packet.TcpFlags);
            }
            copy = shard.At(index);
        }
        finally
        {
            shard.Exit();
        }
        var dir = swapped != copy.OriginalSwapped ? 1 : 0;
        var verdict = ProtocolTrackers.Update(ref copy, kind, dir, frame, in packet);
        return verdict switch
        {
            ConnVerdict.New => ConnLookup.New,
            ConnVerdict.Established => new ConnLookup(ConnVerdict.Established, dir == 1, new ConnHandle(Location(shardIndex, index), (uint)hash), ref copy),
            _ => ConnLookup.Invalid,
        };
    }
}
