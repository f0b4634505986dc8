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
    internal void ProcessBatch(DataplaneSnapshot snapshot, SwitchPort inPort, PacketBatch rx) =>
        ProcessBatch<Forwarding>(snapshot, inPort, rx, replay: false);

    /// <summary>
    /// The pipeline, specialised for forwarding or for tracing (<typeparamref name="TMode"/>). A <paramref name="replay"/>
    /// batch holds fragments that were held for their first fragment: already counted as received, and never held again.
    /// </summary>
    private void ProcessBatch<TMode>(DataplaneSnapshot snapshot, SwitchPort inPort, PacketBatch rx, bool replay)
        where TMode : struct, IPipelineMode
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
        if (!replay)
        {
            counters.Add(inSlot, PortCounter.RxPackets, n);
            counters.Add(inSlot, PortCounter.RxBytes, bytes);
            counters.Add(WorkerCounter.Packets, n);
        }
        counters.Add(WorkerCounter.Batches, 1);
        if (!inPort.AdminUp)
        {
            counters.Drop(inSlot, DropReason.PortDown, Direction.Egress, n);
            if (TMode.IsTrace)
            {
                _trace!.Drop("port_security", DropReason.PortDown, $"port {inPort.Name} is down", inSlot);
            }
            return;
        }

        var network = snapshot.Networks[inPort.Network];
        var fragments = ParseStage<TMode>(rx, inSlot, network);
        if (fragments && snapshot.Filtered[inPort.Network])
        {
            FragmentStage<TMode>(inPort, rx, n, replay);
        }
        if (inPort.Policy is not null || network is { Stateful: true })
        {
            EgressPolicyStage<TMode>(snapshot, inPort, rx, n);
        }
        else
        {
            _trackMode.AsSpan(0, n).Clear();
            if (TMode.IsTrace)
            {
                _trace!.Add("port_security", "disabled", $"port {inPort.Name} has port security disabled: nothing is filtered", inSlot);
            }
        }
        SwitchStage<TMode>(snapshot, inPort, n);
        OutputStage<TMode>(snapshot, rx, inSlot);
        if (!TMode.IsTrace)
        {
            FlushAll(snapshot);
        }
    }

    /// <summary>
    /// Stage 1: parse every frame; malformed frames, tagged frames on a network that is not VLAN-transparent and frames
    /// over the network's MTU (not GSO) are dropped and counted. Returns true when the batch holds an IP fragment.
    /// </summary>
    private bool ParseStage<TMode>(PacketBatch rx, int inSlot, NetworkSegment? network)
        where TMode : struct, IPipelineMode
    {
        var parsed = _parsed;
        var output = _output;
        var mtu = network?.Mtu ?? 0;
        var vlanTransparent = network?.VlanTransparent ?? true;
        var fragments = false;
        for (var i = 0; i < rx.Count; i++)
        {
            ref var frame = ref rx[i];
            var error = PacketParser.Parse(frame.Span, out parsed[i]);
            if (error == ParseError.None)
            {
                ref var p = ref parsed[i];
                output[i] = 0;
                if (TMode.IsTrace)
                {
                    _trace!.Add("parse", "ok", TraceText.Describe(in p));
                }
                // An access port carries untagged frames and priority tags (VLAN 0) only, as Open vSwitch's.
                if (p.VlanCount != 0 && !vlanTransparent && (p.VlanCount > 1 || (p.OuterVlanTci & 0x0FFF) != 0))
                {
                    output[i] = OutputDrop;
                    Counters.Drop(inSlot, DropReason.Vlan, Direction.Egress);
                    if (TMode.IsTrace)
                    {
                        _trace!.Drop("parse", DropReason.Vlan, $"a frame with {p.VlanCount} VLAN tag(s) on a network that is not VLAN-transparent", inSlot);
                    }
                    continue;
                }
                if (mtu != 0 && frame.Length - p.L3Offset > mtu && !frame.Vnet.IsGso)
                {
                    output[i] = OutputDrop;
                    Counters.Drop(inSlot, DropReason.Mtu, Direction.Egress);
                    if (TMode.IsTrace)
                    {
                        _trace!.Drop("parse", DropReason.Mtu, $"{frame.Length - p.L3Offset} bytes after the Ethernet header, over the network's MTU of {mtu}", inSlot);
                    }
                    continue;
                }
                fragments |= (p.Flags & PacketFlags.Fragment) != 0;
            }
            else
            {
                output[i] = OutputDrop;
                Counters.Drop(inSlot, DropReason.Malformed, Direction.Egress);
                if (TMode.IsTrace)
                {
                    _trace!.Drop("parse", DropReason.Malformed, error.ToString(), inSlot);
                }
            }
        }
        return fragments;
    }

    /// <summary>
    /// Stage 2: the sender's port security, connection tracking (when a port of the network is stateful, with
    /// revalidation of connections admitted under an older policy), and the sender's egress rules.
    /// </summary>
    private void EgressPolicyStage<TMode>(DataplaneSnapshot snapshot, SwitchPort inPort, PacketBatch rx, int n)
        where TMode : struct, IPipelineMode
    {
        var output = _output;
        var parsed = _parsed;
        var policy = inPort.Policy;
        var network = snapshot.Networks[inPort.Network];
        var tracked = network is { Stateful: true };
        var senderStateful = policy is { Stateful: true };
        var conntrack = _datapath.Conntrack;
        var now = tracked ? _datapath.NowMs() : 0;
        if (tracked && !TMode.IsTrace)
        {
            PrefetchConnections(conntrack, inPort.Network, n);
        }
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
                if (TMode.IsTrace)
                {
                    TraceImplicit(implicitVerdict, inPort, "egress");
                }
                if (implicitVerdict != ImplicitVerdict.UseRules)
                {
                    if (implicitVerdict != ImplicitVerdict.Allow)
                    {
                        output[i] = OutputDrop;
                        if (implicitVerdict == ImplicitVerdict.DropSpoofing)
                        {
                            // Port security, not a security-group decision: counted, not logged (as Neutron's log).
                            Counters.Drop(inPort.Slot, DropReason.Spoofing, Direction.Egress);
                        }
                        else
                        {
                            SecurityGroupDrop<TMode>(inPort, DropReason.SecurityGroup, Direction.Egress, in p);
                        }
                    }
                    continue;
                }
            }
            if (tracked && p.IsIp)
            {
                ref var ct = ref _ct[i];
                ct = TMode.IsTrace ? conntrack.Peek(rx[i].Span, in p, inPort.Network, now) : conntrack.TrackPrepared(rx[i].Span, in p, in _probe[i], now);
                if (TMode.IsTrace)
                {
                    _trace!.Add("conntrack", ct.Verdict.ToString().ToLowerInvariant(),
                        ct.Verdict is ConnVerdict.Established or ConnVerdict.Related
                            ? $"{(ct.IsReply ? "reply" : "original")} direction of a {ct.State} connection admitted under policy generation {ct.AdmittedGeneration} (its ports' policy last changed at {snapshot.RequiredGeneration(ct.OrigInPort, ct.OrigOutPort)})"
                            : ct.Verdict == ConnVerdict.New ? "no connection yet: the rules decide, and an allowed packet is committed"
                            : ct.Verdict == ConnVerdict.Invalid ? "not valid for any tracked connection" : "not tracked (ND, non-echo ICMP, or a later fragment of an ICMP error)");
                }
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
                            SecurityGroupDrop<TMode>(inPort, DropReason.ConntrackInvalid, Direction.Egress, in p);
                            if (TMode.IsTrace)
                            {
                                _trace!.Drop("conntrack", DropReason.ConntrackInvalid, $"port {inPort.Name} is stateful", inPort.Slot);
                            }
                            continue;
                        }
                        break;
                    case ConnVerdict.Established:
                    case ConnVerdict.Related:
                        if (ct.AdmittedGeneration >= snapshot.RequiredGeneration(ct.OrigInPort, ct.OrigOutPort))
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
                            if (!TMode.IsTrace)
                            {
                                conntrack.Revalidated(ct.Handle, snapshot.PolicyGeneration);
                            }
                            else
                            {
                                _trace!.Add("conntrack", "revalidated", "the current rules still allow the connection");
                            }
                            Counters.Add(WorkerCounter.ConntrackRevalidated, 1);
                            _trackMode[i] = TrackMode.Established;
                        }
                        else
                        {
                            if (!TMode.IsTrace)
                            {
                                conntrack.Remove(ct.Handle);
                            }
                            else
                            {
                                _trace!.Drop("conntrack", DropReason.SecurityGroup, "the connection was admitted by a rule that no longer allows it: it is cut", inPort.Slot);
                            }
                            Counters.Add(WorkerCounter.ConntrackRevoked, 1);
                            output[i] = OutputDrop;
                            SecurityGroupDrop<TMode>(inPort, DropReason.SecurityGroup, Direction.Egress, in p);
                            continue;
                        }
                        break;
                }
            }
            if (policy is null || (senderStateful && _trackMode[i] == TrackMode.Established))
            {
                if (TMode.IsTrace)
                {
                    _trace!.Add("egress", "allowed", policy is null
                        ? $"port {inPort.Name} has port security disabled"
                        : $"established connection: port {inPort.Name}'s stateful groups skip their rules", inPort.Slot);
                }
                continue;
            }
            var ruleSlot = RuleVerdict(snapshot, in p, inPort, policy, ingress: false);
            if (ruleSlot == Denied)
            {
                output[i] = OutputDrop;
                SecurityGroupDrop<TMode>(inPort, DropReason.SecurityGroup, Direction.Egress, in p);
                if (TMode.IsTrace)
                {
                    _trace!.Drop("egress", DropReason.SecurityGroup, $"no egress rule of port {inPort.Name}'s groups allows it", inPort.Slot);
                }
            }
            else
            {
                _egressRule[i] = ruleSlot;
                Counters.RuleHit(ruleSlot);
                if (TMode.IsTrace)
                {
                    _trace!.Add("egress", "allowed", $"egress rule slot {ruleSlot} of port {inPort.Name}", inPort.Slot, ruleSlot);
                }
            }
        }
    }

    /// <summary>
    /// Computes every IP packet's connection key and requests its bucket, then requests each first entry: the batch's
    /// conntrack memory is loaded in parallel before the first lookup (ConnTable.Prefetch.cs).
    /// </summary>
    private void PrefetchConnections(ConnTable conntrack, int zone, int n)
    {
        var parsed = _parsed;
        var output = _output;
        var probe = _probe;
        for (var i = 0; i < n; i++)
        {
            if (output[i] != OutputDrop && parsed[i].IsIp)
            {
                conntrack.Prepare(in parsed[i], zone, out probe[i]);
            }
        }
        for (var i = 0; i < n; i++)
        {
            if (output[i] != OutputDrop && parsed[i].IsIp)
            {
                conntrack.Prefetch(in probe[i]);
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
            if (!sp.Addresses.AllowsIp(original.IpSource, p.IsIpv6))
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
            if (!rp.Addresses.AllowsIp(original.IpDestination, p.IsIpv6))
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

    /// <summary>Stage 3: learn every source MAC and look up every destination MAC in the port's network.</summary>
    private void SwitchStage<TMode>(DataplaneSnapshot snapshot, SwitchPort inPort, int n)
        where TMode : struct, IPipelineMode
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
            if (!TMode.IsTrace && !p.EthSource.IsMulticast)
            {
                macs.Learn(network, p.EthSource, inPort.Slot, now);
            }
            if (p.EthDestination.IsMulticast)
            {
                output[i] = OutputFlood;
                if (TMode.IsTrace)
                {
                    _trace!.Add("l2", "flood", $"{p.EthDestination} is a broadcast/multicast address: every other port of the network");
                }
                continue;
            }
            var slot = macs.Lookup(network, p.EthDestination, now);
            output[i] = slot < 0 ? OutputFlood : slot;
            if (TMode.IsTrace)
            {
                _trace!.Add("l2", slot < 0 ? "flood" : "unicast",
                    slot < 0 ? $"{p.EthDestination} is unknown: flooded to every other port of the network"
                    : $"{p.EthDestination} is on port {snapshot.Ports[slot]?.Name ?? slot.ToString()}", slot);
            }
        }
    }

    /// <summary>Stage 4: each receiver's ingress policy, then its transmit batch.</summary>
    private void OutputStage<TMode>(DataplaneSnapshot snapshot, PacketBatch rx, int inSlot)
        where TMode : struct, IPipelineMode
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
                        Deliver<TMode>(snapshot, member, in frame, i, flooded: true);
                    }
                }
            }
            else if (target != inSlot)
            {
                Deliver<TMode>(snapshot, target, in frame, i, flooded: false);
            }
            else if (TMode.IsTrace)
            {
                _trace!.Add("output", "none", "the destination is the port the packet came from", inSlot);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Deliver<TMode>(DataplaneSnapshot snapshot, int slot, in Frame frame, int index, bool flooded)
        where TMode : struct, IPipelineMode
    {
        var port = snapshot.Ports[slot];
        if (port is null || !port.AdminUp || port.Port.Failure is not null || _deregistered[slot])
        {
            // A flood simply skips ports that are down; a frame addressed to one is a counted drop.
            if (!flooded && port is not null)
            {
                Counters.Drop(slot, DropReason.PortDown, Direction.Ingress);
                if (TMode.IsTrace)
                {
                    _trace!.Drop("output", DropReason.PortDown, $"port {port.Name} is down", slot);
                }
            }
            return;
        }
        var mode = _trackMode[index];
        var ingressRule = -1;
        if (port.Policy is { } policy && !IngressAllowed<TMode>(snapshot, port, policy, in _parsed[index], mode, out ingressRule))
        {
            return;
        }
        if (TMode.IsTrace && port.Policy is null)
        {
            _trace!.Add("ingress", "allowed", $"port {port.Name} has port security disabled", slot);
        }
        // A later fragment never starts a connection: it belongs to its first fragment's.
        if (mode == TrackMode.New && !flooded && !_parsed[index].IsLaterFragment && !Commit<TMode>(snapshot, slot, in frame, index, ingressRule))
        {
            return;
        }
        if (TMode.IsTrace)
        {
            _trace!.DeliveredTo.Add(slot);
            _trace.Add("output", "transmit", $"to port {port.Name}", slot);
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
    /// the packet (<c>conntrack_full</c>): admitting it untracked would strand its replies. A committed connection is
    /// the security-group log's ACCEPT event, for each end that logs ACCEPT (the sender's egress, the receiver's ingress).
    /// </summary>
    private bool Commit<TMode>(DataplaneSnapshot snapshot, int outSlot, in Frame frame, int index, int ingressRule)
        where TMode : struct, IPipelineMode
    {
        var inPort = snapshot.Ports[frame.InPort]!;
        var outPort = snapshot.Ports[outSlot]!;
        if (inPort.Policy is not { Stateful: true } && outPort.Policy is not { Stateful: true })
        {
            return true;
        }
        if (TMode.IsTrace)
        {
            _trace!.Add("conntrack", "commit", "the connection would be committed: its replies and related errors will pass");
            return true;
        }
        var admission = new ConnAdmission(snapshot.PolicyGeneration, frame.InPort, outSlot, _egressRule[index]);
        var result = _datapath.Conntrack.Commit(frame.Span, in _parsed[index], inPort.Network, _datapath.NowMs(), in admission, out _);
        if (result == ConnCommitResult.Full)
        {
            Counters.Drop(frame.InPort, DropReason.ConntrackFull, Direction.Egress);
            return false;
        }
        if (((inPort.Logging | outPort.Logging) & SecurityGroupLogging.Accept) != 0)
        {
            LogAccepted(inPort, outPort, index, ingressRule);
        }
        return true;
    }

    /// <summary>The receiving port's implicit ingress rules and security-group rules; counts the drop when they refuse.</summary>
    private bool IngressAllowed<TMode>(DataplaneSnapshot snapshot, SwitchPort port, PortPolicy policy, in ParsedPacket p, TrackMode mode, out int ruleSlot)
        where TMode : struct, IPipelineMode
    {
        ruleSlot = -1;
        var verdict = PortSecurity.CheckIngress(in p);
        switch (verdict)
        {
            case ImplicitVerdict.Allow:
                if (TMode.IsTrace)
                {
                    _trace!.Add("ingress", "allowed", $"implicit rule of port {port.Name} (ARP, DHCP reply, ND, MLD)", port.Slot);
                }
                return true;
            case ImplicitVerdict.UseRules when policy.Stateful && mode == TrackMode.Established:
                if (TMode.IsTrace)
                {
                    _trace!.Add("ingress", "allowed", $"established connection: port {port.Name}'s stateful groups skip their rules", port.Slot);
                }
                return true;
            case ImplicitVerdict.UseRules when policy.Stateful && mode == TrackMode.Invalid:
                SecurityGroupDrop<TMode>(port, DropReason.ConntrackInvalid, Direction.Ingress, in p);
                if (TMode.IsTrace)
                {
                    _trace!.Drop("ingress", DropReason.ConntrackInvalid, $"port {port.Name} is stateful", port.Slot);
                }
                return false;
            case ImplicitVerdict.UseRules:
                ruleSlot = RuleVerdict(snapshot, in p, port, policy, ingress: true);
                if (ruleSlot != Denied)
                {
                    Counters.RuleHit(ruleSlot);
                    if (TMode.IsTrace)
                    {
                        _trace!.Add("ingress", "allowed", $"ingress rule slot {ruleSlot} of port {port.Name}", port.Slot, ruleSlot);
                    }
                    return true;
                }
                ruleSlot = -1;
                break;
        }
        SecurityGroupDrop<TMode>(port, DropReason.SecurityGroup, Direction.Ingress, in p);
        if (TMode.IsTrace)
        {
            _trace!.Drop("ingress", DropReason.SecurityGroup,
                verdict == ImplicitVerdict.DropNotAllowed ? "neither IP nor ARP" : $"no ingress rule of port {port.Name}'s groups allows it", port.Slot);
        }
        return false;
    }

    /// <summary>
    /// Counts a security-group drop (<c>security_group</c> or <c>conntrack_invalid</c>) and, when the port logs DROP,
    /// records it for the security-group log. Trace runs record nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SecurityGroupDrop<TMode>(SwitchPort port, DropReason reason, Direction direction, in ParsedPacket p)
        where TMode : struct, IPipelineMode
    {
        Counters.Drop(port.Slot, reason, direction);
        if (!TMode.IsTrace && (port.Logging & SecurityGroupLogging.Drop) != 0)
        {
            RecordLogEvent(SecurityGroupLogAction.Drop, port.Slot, direction, reason, in p, -1);
        }
    }

    /// <summary>The ACCEPT events of a committed connection: the sender's egress and the receiver's ingress, each if it logs ACCEPT.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LogAccepted(SwitchPort inPort, SwitchPort outPort, int index, int ingressRule)
    {
        if ((inPort.Logging & SecurityGroupLogging.Accept) != 0)
        {
            RecordLogEvent(SecurityGroupLogAction.Accept, inPort.Slot, Direction.Egress, DropReason.SecurityGroup, in _parsed[index], _egressRule[index]);
        }
        if ((outPort.Logging & SecurityGroupLogging.Accept) != 0)
        {
            RecordLogEvent(SecurityGroupLogAction.Accept, outPort.Slot, Direction.Ingress, DropReason.SecurityGroup, in _parsed[index], ingressRule);
        }
    }

    /// <summary>Puts one event on the worker's log ring; a full ring loses it and counts the loss (never waits).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordLogEvent(SecurityGroupLogAction action, int slot, Direction direction, DropReason reason, in ParsedPacket p, int ruleSlot)
    {
        var item = SecurityGroupLogEvent.Of(in p, _datapath.UnixTimeMs(), action, slot, direction, reason, ruleSlot);
        if (!SecurityGroupLog.TryWrite(in item))
        {
            Counters.Add(WorkerCounter.SecurityGroupLogDropped, 1);
        }
    }

    private void TraceImplicit(ImplicitVerdict verdict, SwitchPort port, string direction)
    {
        switch (verdict)
        {
            case ImplicitVerdict.Allow:
                _trace!.Add("port_security", "allowed", $"implicit {direction} rule of port {port.Name} (ARP with own addresses, DHCP client, ND, MLD)", port.Slot);
                break;
            case ImplicitVerdict.UseRules:
                _trace!.Add("port_security", "passed", $"source MAC and IP belong to port {port.Name}", port.Slot);
                break;
            case ImplicitVerdict.DropSpoofing:
                _trace!.Drop("port_security", DropReason.Spoofing, $"source MAC/IP not port {port.Name}'s, or a DHCP server reply / router advertisement from a VM", port.Slot);
                break;
            default:
                _trace!.Drop("port_security", DropReason.SecurityGroup, "neither IP nor ARP: no rule can allow it", port.Slot);
                break;
        }
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
            // Frames the far end was not there for are port_down; the rest the port could not send.
            var down = Math.Min(errors.TxLinkDown, tx.Count - sent);
            if (down > 0)
            {
                Counters.Drop(port.Slot, DropReason.PortDown, Direction.Ingress, down);
            }
            if (tx.Count - sent - down > 0)
            {
                Counters.Drop(port.Slot, DropReason.TxFailed, Direction.Ingress, tx.Count - sent - down);
            }
        }
        tx.Count = 0;
    }
}
