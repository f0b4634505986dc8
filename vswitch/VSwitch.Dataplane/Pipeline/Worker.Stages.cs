using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Conntrack;
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
        if (inPort.Policy is not null || snapshot.Networks[inPort.Network] is { Stateful: true })
        {
            EgressPolicyStage(snapshot, inPort, rx, n);
        }
        else
        {
            _trackMode.AsSpan(0, n).Clear();
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

    /// <summary>
    /// Stage 2: the sender's port security, connection tracking (when a port of the network is stateful, with
    /// revalidation of connections admitted under an older policy), and the sender's egress rules.
    /// </summary>
    private void EgressPolicyStage(DataplaneSnapshot snapshot, SwitchPort inPort, PacketBatch rx, int n)
    {
        var output = _output;
        var parsed = _parsed;
        var policy = inPort.Policy;
        var network = snapshot.Networks[inPort.Network];
        var tracked = network is { Stateful: true };
        var senderStateful = policy is { Stateful: true };
        var conntrack = _datapath.Conntrack;
        var now = tracked ? _datapath.NowMs() : 0;
        for (var i = 0; i < n; i++)
        {
            _trackMode[i] = TrackMode.Stateless;
            _egressRule[i] = -1;
            if (output[i] == OutputDrop)
            {
                continue;
            }
            ref var p = ref parsed[i];
            var implicitVerdict = ImplicitVerdict.UseRules;
            if (policy is not null)
            {
                implicitVerdict = PortSecurity.CheckEgress(in p, policy.Addresses);
                if (implicitVerdict != ImplicitVerdict.UseRules)
                {
                    if (implicitVerdict != ImplicitVerdict.Allow)
                    {
                        output[i] = OutputDrop;
                        Counters.Drop(inPort.Slot, implicitVerdict == ImplicitVerdict.DropSpoofing ? DropReason.Spoofing : DropReason.SecurityGroup, Direction.Egress);
                    }
                    continue;
                }
            }
            if (tracked && p.IsIp)
            {
                ref var ct = ref _ct[i];
                ct = conntrack.Track(rx[i].Span, in p, inPort.Network, now);
                switch (ct.Verdict)
                {
                    case ConnVerdict.New:
                        _trackMode[i] = TrackMode.New;
                        break;
                    case ConnVerdict.Invalid:
                        _trackMode[i] = TrackMode.Invalid;
                        if (senderStateful)
                        {
                            output[i] = OutputDrop;
                            Counters.Drop(inPort.Slot, DropReason.ConntrackInvalid, Direction.Egress);
                            continue;
                        }
                        break;
                    case ConnVerdict.Established:
                    case ConnVerdict.Related:
                        if (ct.AdmittedGeneration == snapshot.PolicyGeneration)
                        {
                            _trackMode[i] = TrackMode.Established;
                        }
                        else if (ct.Verdict == ConnVerdict.Related)
                        {
                            // An error about a connection not yet re-checked: the rules decide it on its own.
                            _trackMode[i] = TrackMode.Stateless;
                        }
                        else if (Revalidate(snapshot, in p, in ct))
                        {
                            conntrack.Revalidated(ct.Handle, snapshot.PolicyGeneration);
                            Counters.Add(WorkerCounter.ConntrackRevalidated, 1);
                            _trackMode[i] = TrackMode.Established;
                        }
                        else
                        {
                            conntrack.Remove(ct.Handle);
                            Counters.Add(WorkerCounter.ConntrackRevoked, 1);
                            output[i] = OutputDrop;
                            Counters.Drop(inPort.Slot, DropReason.SecurityGroup, Direction.Egress);
                            continue;
                        }
                        break;
                }
            }
            if (policy is null || (senderStateful && _trackMode[i] == TrackMode.Established))
            {
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
                _egressRule[i] = ruleSlot;
                Counters.RuleHit(ruleSlot);
            }
        }
    }

    /// <summary>
    /// Re-checks a tracked connection admitted under an older policy: the original sender must still own its source
    /// address, and the stateful ends' current rules must still allow the original direction (VPP's policy epoch,
    /// Neutron's ct_mark). Runs on the connection's next packet, so a removed rule cuts it at once.
    /// </summary>
    private bool Revalidate(DataplaneSnapshot snapshot, in ParsedPacket p, in ConnLookup ct)
    {
        var ports = snapshot.Ports;
        if ((uint)ct.OrigInPort >= (uint)ports.Length || (uint)ct.OrigOutPort >= (uint)ports.Length
            || ports[ct.OrigInPort] is not { } sender || ports[ct.OrigOutPort] is not { } receiver)
        {
            return false;
        }
        var original = p;
        if (ct.IsReply)
        {
            original.IpSource = p.IpDestination;
            original.IpDestination = p.IpSource;
            original.SourcePort = p.DestinationPort;
            original.DestinationPort = p.SourcePort;
            if (p.IpProtocol is IpProtocol.Icmp or IpProtocol.Icmpv6)
            {
                // The reply of an echo: the connection was admitted as an echo request (type 8 or 128, code 0).
                original.SourcePort = p.IpProtocol == IpProtocol.Icmp ? (ushort)8 : (ushort)128;
                original.DestinationPort = 0;
            }
        }
        if (sender.Policy is { } sp)
        {
            if (!sp.Addresses.AllowsIp(original.IpSource))
            {
                return false;
            }
            if (sp.Stateful && RuleVerdict(snapshot, in original, sender, sp, ingress: false) == Denied)
            {
                return false;
            }
        }
        if (receiver.Policy is { } rp)
        {
            if (!rp.Addresses.AllowsIp(original.IpDestination))
            {
                return false;
            }
            if (rp.Stateful && RuleVerdict(snapshot, in original, receiver, rp, ingress: true) == Denied)
            {
                return false;
            }
        }
        return true;
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
        var mode = _trackMode[index];
        if (port.Policy is { } policy && !IngressAllowed(snapshot, port, policy, in _parsed[index], mode))
        {
            return;
        }
        if (mode == TrackMode.New && !flooded && !Commit(snapshot, slot, in frame, index))
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

    /// <summary>
    /// Commits the connection of a New packet that both ends allowed, when either end is stateful. A full table drops
    /// the packet (<c>conntrack_full</c>): admitting it untracked would strand its replies.
    /// </summary>
    private bool Commit(DataplaneSnapshot snapshot, int outSlot, in Frame frame, int index)
    {
        var inPort = snapshot.Ports[frame.InPort]!;
        var outPort = snapshot.Ports[outSlot]!;
        if (inPort.Policy is not { Stateful: true } && outPort.Policy is not { Stateful: true })
        {
            return true;
        }
        var admission = new ConnAdmission(snapshot.PolicyGeneration, frame.InPort, outSlot, _egressRule[index]);
        var result = _datapath.Conntrack.Commit(frame.Span, in _parsed[index], inPort.Network, _datapath.NowMs(), in admission, out _);
        if (result == ConnCommitResult.Full)
        {
            Counters.Drop(frame.InPort, DropReason.ConntrackFull, Direction.Egress);
            return false;
        }
        return true;
    }

    /// <summary>The receiving port's implicit ingress rules and security-group rules; counts the drop when they refuse.</summary>
    private bool IngressAllowed(DataplaneSnapshot snapshot, SwitchPort port, PortPolicy policy, in ParsedPacket p, TrackMode mode)
    {
        switch (PortSecurity.CheckIngress(in p))
        {
            case ImplicitVerdict.Allow:
                return true;
            case ImplicitVerdict.UseRules when policy.Stateful && mode == TrackMode.Established:
                return true;
            case ImplicitVerdict.UseRules when policy.Stateful && mode == TrackMode.Invalid:
                Counters.Drop(port.Slot, DropReason.ConntrackInvalid, Direction.Ingress);
                return false;
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
