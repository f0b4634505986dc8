using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>No frame of the batch: <see cref="RuleVerdict"/> builds its own key (a re-check of a connection's original direction).</summary>
    private const int NoFrame = -1;

    /// <summary>
    /// The security-group verdict for a packet on <paramref name="port"/> in one direction: the counter slot of the rule
    /// that allows it, or <see cref="Denied"/>. Answered from the flow cache when it can be.
    /// </summary>
    /// <remarks>
    /// The flow-cache key of frame <paramref name="index"/> is built and its packet words hashed at the frame's first
    /// lookup (<see cref="FlowKey.PacketHash"/>); the sender's egress and each receiver's ingress then only set the
    /// lookup's port and finish the hash (<see cref="FlowKey.HashFrom"/>). <see cref="NoFrame"/> builds a key for
    /// <paramref name="p"/> alone.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RuleVerdict(DataplaneSnapshot snapshot, int index, in ParsedPacket p, SwitchPort port, PortPolicy policy, bool ingress)
    {
        FlowKey own = default;
        ref var key = ref index == NoFrame ? ref own : ref _flowKeys[index];
        ulong packetHash;
        if (index == NoFrame || !_flowKeyBuilt[index])
        {
            key = FlowKey.FromPacket(in p, 0, 0);
            packetHash = key.PacketHash();
            if (index != NoFrame)
            {
                _flowKeyPacketHash[index] = packetHash;
                _flowKeyBuilt[index] = true;
            }
        }
        else
        {
            packetHash = _flowKeyPacketHash[index];
        }
        key.InPort = ingress ? port.Slot | IngressKeyFlag : port.Slot;
        key.Zone = (ushort)port.Network;
        var hash = key.HashFrom(packetHash);
        if (_flowCache.TryGet(in key, hash, snapshot.PortPolicyGenerations[port.Slot], out var verdict))
        {
            Counters.Add(WorkerCounter.FlowCacheHits, 1);
            return verdict;
        }
        Counters.Add(WorkerCounter.FlowCacheMisses, 1);
        var query = ClassifierQuery.From(in p, ingress);
        var ruleIndex = (ingress ? policy.Ingress : policy.Egress).Lookup(in query, snapshot.AddressSets);
        verdict = ruleIndex < 0 ? Denied : (ingress ? policy.IngressRuleSlots : policy.EgressRuleSlots)[ruleIndex];
        _flowCache.Put(in key, hash, snapshot.PolicyGeneration, verdict);
        return verdict;
    }
}
