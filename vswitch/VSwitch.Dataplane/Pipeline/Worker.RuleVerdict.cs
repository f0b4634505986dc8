using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>
    /// The security-group verdict for a packet on <paramref name="port"/> in one direction: the counter slot of the rule
    /// that allows it, or <see cref="Denied"/>. Answered from the flow cache when it can be.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RuleVerdict(DataplaneSnapshot snapshot, in ParsedPacket p, SwitchPort port, PortPolicy policy, bool ingress)
    {
        var key = FlowKey.FromPacket(in p, (ushort)port.Network, ingress ? port.Slot | IngressKeyFlag : port.Slot);
        var hash = key.Hash();
        if (_flowCache.TryGet(in key, hash, snapshot.PortPolicyGenerations[port.Slot], out var verdict))
        {
            Counters.Add(WorkerCounter.FlowCacheHits, 1);
            return verdict;
        }
        Counters.Add(WorkerCounter.FlowCacheMisses, 1);
        var query = ClassifierQuery.From(in p, ingress);
        var index = (ingress ? policy.Ingress : policy.Egress).Lookup(in query, snapshot.AddressSets);
        verdict = index < 0 ? Denied : (ingress ? policy.IngressRuleSlots : policy.EgressRuleSlots)[index];
        _flowCache.Put(in key, hash, snapshot.PolicyGeneration, verdict);
        return verdict;
    }
}
