using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
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
            PrefetchConnections(conntrack, network!.Zone, n);
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
                    TraceImplicitEgress(implicitVerdict, inPort);
                }
                if (implicitVerdict != ImplicitVerdict.UseRules)
                {
                    if (implicitVerdict != ImplicitVerdict.Allow)
                    {
                        output[i] = OutputDrop;
                        if (implicitVerdict == ImplicitVerdict.DropSpoofing)
                        {
                            // Port security, not a security-group decision: counted, not logged (as Neutron's log).
                            DropFrame(inPort.Slot, DropReason.Spoofing, Direction.Egress, in rx[i]);
                        }
                        else
                        {
                            SecurityGroupDrop<TMode>(inPort, DropReason.SecurityGroup, Direction.Egress, in p, in rx[i]);
                        }
                    }
                    continue;
                }
            }
            if (tracked && p.IsIp)
            {
                ref var ct = ref _ct[i];
                ct = TMode.IsTrace ? conntrack.Peek(rx[i].Span, in p, network!.Zone, now) : conntrack.TrackPrepared(rx[i].Span, in p, in _probe[i], now);
                if (ct.Verdict == ConnVerdict.New && network!.PreviousZone >= 0)
                {
                    ct = InPreviousZone<TMode>(conntrack, rx[i].Span, in p, network, now, i, in ct);
                }
                if (TMode.IsTrace)
                {
                    var tracedConnection = ct.Verdict is ConnVerdict.Established or ConnVerdict.Related;
                    _trace!.Record(TraceEvent.ConntrackLookup, a: ct.AdmittedGeneration,
                        b: tracedConnection ? snapshot.RequiredGeneration(ct.OrigInPort, ct.OrigOutPort) : 0,
                        c: (int)ct.Verdict | ((int)ct.State << 8) | (ct.IsReply ? 1 << 16 : 0));
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
                            SecurityGroupDrop<TMode>(inPort, DropReason.ConntrackInvalid, Direction.Egress, in p, in rx[i]);
                            if (TMode.IsTrace)
                            {
                                _trace!.Drop(TraceEvent.ConntrackInvalid, DropReason.ConntrackInvalid, inPort.Slot);
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
                                _trace!.Record(TraceEvent.Revalidated);
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
                                _trace!.Drop(TraceEvent.Revoked, DropReason.SecurityGroup, inPort.Slot);
                            }
                            Counters.Add(WorkerCounter.ConntrackRevoked, 1);
                            output[i] = OutputDrop;
                            SecurityGroupDrop<TMode>(inPort, DropReason.SecurityGroup, Direction.Egress, in p, in rx[i]);
                            continue;
                        }
                        break;
                }
            }
            if (policy is null || (senderStateful && _trackMode[i] == TrackMode.Established))
            {
                if (TMode.IsTrace)
                {
                    _trace!.Record(policy is null ? TraceEvent.EgressUnfiltered : TraceEvent.EgressEstablished, inPort.Slot);
                }
                continue;
            }
            var ruleSlot = RuleVerdict(snapshot, i, in p, inPort, policy, ingress: false);
            if (ruleSlot == Denied)
            {
                output[i] = OutputDrop;
                SecurityGroupDrop<TMode>(inPort, DropReason.SecurityGroup, Direction.Egress, in p, in rx[i]);
                if (TMode.IsTrace)
                {
                    _trace!.Drop(TraceEvent.EgressDenied, DropReason.SecurityGroup, inPort.Slot);
                }
            }
            else
            {
                _egressRule[i] = ruleSlot;
                Counters.RuleHit(ruleSlot);
                if (TMode.IsTrace)
                {
                    _trace!.Record(TraceEvent.EgressRule, inPort.Slot, ruleSlot);
                }
            }
        }
    }

    /// <summary>
    /// A connection tracked before a router joined or left the network is in its previous zone: found there, it carries
    /// on (and its later packets keep finding it there, <see cref="_ctZone"/>); otherwise the packet is new.
    /// </summary>
    private ConnLookup InPreviousZone<TMode>(ConnTable conntrack, ReadOnlySpan<byte> frame, in ParsedPacket p, NetworkSegment network, long now, int i,
        in ConnLookup current)
        where TMode : struct, IPipelineMode
    {
        var old = TMode.IsTrace ? conntrack.Peek(frame, in p, network.PreviousZone, now) : conntrack.Track(frame, in p, network.PreviousZone, now);
        if (old.Verdict is ConnVerdict.Established or ConnVerdict.Related)
        {
            _ctZone[i] = network.PreviousZone;
            return old;
        }
        return current;
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
}
