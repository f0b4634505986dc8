using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>Output marker: drop (already counted).</summary>
    private const int OutputDrop = -1;

    /// <summary>Output marker: flood to every other port of the network.</summary>
    private const int OutputFlood = -2;

    /// <summary>Set in a flow-cache key's in-port to tell an ingress verdict (for the receiving port) from an egress one.</summary>
    private const int IngressKeyFlag = 1 << 30;

    /// <summary>Flow-cache verdict for "no rule allows it".</summary>
    private const int Denied = -1;

    /// <summary>
    /// Runs one received batch through the pipeline, stage by stage over the whole batch (STYLE rule 1): parse every
    /// frame, apply the sender's port security and egress policy, make every L2 decision, then apply each receiver's
    /// ingress policy as frames are put on per-port transmit batches, and flush them.
    /// </summary>
    internal void ProcessBatch(DataplaneSnapshot snapshot, SwitchPort inPort, PacketBatch rx)
    {
        var n = rx.Count;
        var inSlot = inPort.Slot;
        var counters = Counters;
        long bytes = 0;
        for (var i = 0; i < n; i++)
        {
            ref var f = ref rx[i];
            f.InPort = inSlot;
            bytes += f.Length;
        }
        counters.Add(inSlot, PortCounter.RxPackets, n);
        counters.Add(inSlot, PortCounter.RxBytes, bytes);
        counters.Add(WorkerCounter.Batches, 1);
        counters.Add(WorkerCounter.Packets, n);
        if (!inPort.AdminUp)
        {
            counters.Drop(inSlot, DropReason.PortDown, Direction.Egress, n);
            return;
        }

        ParseStage(rx, inSlot);
        if (inPort.Policy is { } policy)
        {
            EgressPolicyStage(snapshot, inPort, policy, n);
        }
        SwitchStage(inPort, n);
        OutputStage(snapshot, rx, inSlot);
        FlushAll(snapshot);
    }

    /// <summary>Stage 1: parse every frame; malformed frames are dropped and counted.</summary>
    private void ParseStage(PacketBatch rx, int inSlot)
    {
        var parsed = _parsed;
        var output = _output;
        for (var i = 0; i < rx.Count; i++)
        {
            if (PacketParser.Parse(rx[i].Span, out parsed[i]) == ParseError.None)
            {
                output[i] = 0;
            }
            else
            {
                output[i] = OutputDrop;
                Counters.Drop(inSlot, DropReason.Malformed, Direction.Egress);
            }
        }
    }

    /// <summary>Stage 2: the sender's port security and egress security-group rules.</summary>
    private void EgressPolicyStage(DataplaneSnapshot snapshot, SwitchPort inPort, PortPolicy policy, int n)
    {
        var output = _output;
        var parsed = _parsed;
        for (var i = 0; i < n; i++)
        {
            if (output[i] == OutputDrop)
            {
                continue;
            }
            ref var p = ref parsed[i];
            switch (PortSecurity.CheckEgress(in p, policy.Addresses))
            {
                case ImplicitVerdict.Allow:
                    continue;
                case ImplicitVerdict.DropSpoofing:
                    output[i] = OutputDrop;
                    Counters.Drop(inPort.Slot, DropReason.Spoofing, Direction.Egress);
                    continue;
                case ImplicitVerdict.DropNotAllowed:
                    output[i] = OutputDrop;
                    Counters.Drop(inPort.Slot, DropReason.SecurityGroup, Direction.Egress);
                    continue;
            }
            var ruleSlot = RuleVerdict(snapshot, in p, inPort, policy, ingress: false);
            if (ruleSlot == Denied)
            {
                output[i] = OutputDrop;
                Counters.Drop(inPort.Slot, DropReason.SecurityGroup, Direction.Egress);
            }
            else
            {
                Counters.RuleHit(ruleSlot);
            }
        }
    }

    /// <summary>
    /// The security-group verdict for a packet on <paramref name="port"/> in one direction: the counter slot of the rule
    /// that allows it, or <see cref="Denied"/>. Answered from the flow cache when it can be.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RuleVerdict(DataplaneSnapshot snapshot, in ParsedPacket p, SwitchPort port, PortPolicy policy, bool ingress)
    {
        var key = FlowKey.FromPacket(in p, (ushort)port.Network, ingress ? port.Slot | IngressKeyFlag : port.Slot);
        var hash = key.Hash();
        var generation = snapshot.PolicyGeneration;
        if (_flowCache.TryGet(in key, hash, generation, out var verdict))
        {
            Counters.Add(WorkerCounter.FlowCacheHits, 1);
            return verdict;
        }
        Counters.Add(WorkerCounter.FlowCacheMisses, 1);
        var query = ClassifierQuery.From(in p, ingress);
        var index = (ingress ? policy.Ingress : policy.Egress).Lookup(in query);
        verdict = index < 0 ? Denied : (ingress ? policy.IngressRuleSlots : policy.EgressRuleSlots)[index];
        _flowCache.Put(in key, hash, generation, verdict);
        return verdict;
    }

    /// <summary>Stage 3: learn every source MAC and look up every destination MAC in the port's network.</summary>
    private void SwitchStage(SwitchPort inPort, int n)
    {
        var macs = _datapath.Macs;
        var network = inPort.Network;
        var now = _datapath.NowMs();
        var parsed = _parsed;
        var output = _output;
        for (var i = 0; i < n; i++)
        {
            if (output[i] == OutputDrop)
            {
                continue;
            }
            ref var p = ref parsed[i];
            if (!p.EthSource.IsMulticast)
            {
                macs.Learn(network, p.EthSource, inPort.Slot, now);
            }
            if (p.EthDestination.IsMulticast)
            {
                output[i] = OutputFlood;
                continue;
            }
            var slot = macs.Lookup(network, p.EthDestination, now);
            output[i] = slot < 0 ? OutputFlood : slot;
        }
    }

    /// <summary>Stage 4: each receiver's ingress policy, then its transmit batch.</summary>
    private void OutputStage(DataplaneSnapshot snapshot, PacketBatch rx, int inSlot)
    {
        var output = _output;
        var network = snapshot.Networks[snapshot.Ports[inSlot]!.Network];
        for (var i = 0; i < rx.Count; i++)
        {
            var target = output[i];
            if (target == OutputDrop)
            {
                continue;
            }
            ref var frame = ref rx[i];
            if (target == OutputFlood)
            {
                Counters.Add(WorkerCounter.Floods, 1);
                if (network is null)
                {
                    continue;
                }
                foreach (var member in network.Members)
                {
                    if (member != inSlot)
                    {
                        Deliver(snapshot, member, in frame, i, flooded: true);
                    }
                }
            }
            else if (target != inSlot)
            {
                Deliver(snapshot, target, in frame, i, flooded: false);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Deliver(DataplaneSnapshot snapshot, int slot, in Frame frame, int index, bool flooded)
    {
        var port = snapshot.Ports[slot];
        if (port is null || !port.AdminUp || port.Port.Failure is not null || _deregistered[slot])
        {
            // A flood simply skips ports that are down; a frame addressed to one is a counted drop.
            if (!flooded && port is not null)
            {
                Counters.Drop(slot, DropReason.PortDown, Direction.Ingress);
            }
            return;
        }
        if (port.Policy is { } policy && !IngressAllowed(snapshot, port, policy, in _parsed[index]))
        {
            return;
        }
        var tx = _tx[slot]!;
        if (tx.IsFull)
        {
            Flush(port, tx);
        }
        tx.Add(in frame);
        if (!_isDirty[slot])
        {
            _isDirty[slot] = true;
            _dirty[_dirtyCount++] = slot;
        }
    }

    /// <summary>The receiving port's implicit ingress rules and security-group rules; counts the drop when they refuse.</summary>
    private bool IngressAllowed(DataplaneSnapshot snapshot, SwitchPort port, PortPolicy policy, in ParsedPacket p)
    {
        switch (PortSecurity.CheckIngress(in p))
        {
            case ImplicitVerdict.Allow:
                return true;
            case ImplicitVerdict.UseRules:
                var ruleSlot = RuleVerdict(snapshot, in p, port, policy, ingress: true);
                if (ruleSlot != Denied)
                {
                    Counters.RuleHit(ruleSlot);
                    return true;
                }
                break;
        }
        Counters.Drop(port.Slot, DropReason.SecurityGroup, Direction.Ingress);
        return false;
    }

    private void FlushAll(DataplaneSnapshot snapshot)
    {
        for (var d = 0; d < _dirtyCount; d++)
        {
            var slot = _dirty[d];
            _isDirty[slot] = false;
            var tx = _tx[slot]!;
            if (tx.Count > 0)
            {
                Flush(snapshot.Ports[slot]!, tx);
            }
        }
        _dirtyCount = 0;
    }

    private void Flush(SwitchPort port, PacketBatch tx)
    {
        var errors = default(PortErrors);
        var sent = port.Port.Transmit(Id, tx, ref errors);
        long bytes = 0;
        for (var i = 0; i < sent; i++)
        {
            bytes += tx[i].Length;
        }
        Counters.Add(port.Slot, PortCounter.TxPackets, sent);
        Counters.Add(port.Slot, PortCounter.TxBytes, bytes);
        if (sent < tx.Count)
        {
            Counters.Drop(port.Slot, DropReason.TxFailed, Direction.Ingress, tx.Count - sent);
        }
        tx.Count = 0;
    }
}
