using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
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
                _trace!.Record(TraceEvent.SamePort, inSlot);
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
                DropFrame(slot, DropReason.PortDown, Direction.Ingress, in frame);
                if (TMode.IsTrace)
                {
                    _trace!.Drop(TraceEvent.ReceiverDown, DropReason.PortDown, slot);
                }
            }
            return;
        }
        var mode = _trackMode[index];
        var ingressRule = -1;
        if (port.Policy is { } policy && !IngressAllowed<TMode>(snapshot, port, policy, in frame, index, mode, out ingressRule))
        {
            return;
        }
        if (TMode.IsTrace && port.Policy is null)
        {
            _trace!.Record(TraceEvent.IngressUnfiltered, slot);
        }
        // A later fragment never starts a connection: it belongs to its first fragment's.
        if (mode == TrackMode.New && !flooded && !_parsed[index].IsLaterFragment && !Commit<TMode>(snapshot, slot, in frame, index, ingressRule))
        {
            return;
        }
        if (TMode.IsTrace)
        {
            _trace!.DeliveredTo.Add(slot);
            _trace.Record(TraceEvent.Transmit, slot);
            return;
        }
        Enqueue(port, slot, in frame);
    }

    /// <summary>Puts <paramref name="frame"/> on the port's transmit batch (flushed when full, and at the end of the batch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enqueue(SwitchPort port, int slot, in Frame frame)
    {
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
    /// Commits the connection of a New packet that both ends allowed, when either end is stateful. A full table, or an
    /// end already at its per-port limit of connections, drops the packet (<c>conntrack_full</c>, counted on the sender's
    /// egress, or on the receiver's ingress when the receiver is at its limit): admitting it untracked would strand its
    /// replies. A committed connection is the security-group log's ACCEPT event, for each end that logs ACCEPT (the
    /// sender's egress, the receiver's ingress).
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
            return TraceCommit(inPort, outPort);
        }
        var admission = new ConnAdmission(snapshot.PolicyGeneration, frame.InPort, outSlot, _egressRule[index])
        {
            InPortLimit = inPort.ConntrackLimit,
            OutPortLimit = outPort.ConntrackLimit,
        };
        // A frame whose source a floating IP replaced is tracked as it left its VM (the connection's inside tuple).
        ref readonly var tracked = ref _natted[index] ? ref _preNat[index] : ref _parsed[index];
        var result = _datapath.Conntrack.Commit(frame.Span, in tracked, _ctZone[index], _datapath.NowMs(), in admission, out _);
        switch (result)
        {
            case ConnCommitResult.Full or ConnCommitResult.InPortLimit:
                DropFrame(frame.InPort, DropReason.ConntrackFull, Direction.Egress, in frame);
                ForgetSnatBinding(index);
                return false;
            case ConnCommitResult.OutPortLimit:
                DropFrame(outSlot, DropReason.ConntrackFull, Direction.Ingress, in frame);
                ForgetSnatBinding(index);
                return false;
        }
        if (((inPort.Logging | outPort.Logging) & SecurityGroupLogging.Accept) != 0)
        {
            LogAccepted(inPort, outPort, index, ingressRule);
        }
        return true;
    }

    /// <summary>A connection that could not be committed gives back the SNAT binding its first packet took (a port at its limit takes none).</summary>
    private void ForgetSnatBinding(int index)
    {
        if (_natted[index] && _snatCreated[index].IsValid)
        {
            _datapath.Conntrack.Remove(_snatCreated[index]);
        }
    }

    /// <summary>The receiving port's implicit ingress rules and security-group rules; counts the drop when they refuse.</summary>
    private bool IngressAllowed<TMode>(DataplaneSnapshot snapshot, SwitchPort port, PortPolicy policy, in Frame frame, int index, TrackMode mode, out int ruleSlot)
        where TMode : struct, IPipelineMode
    {
        ref readonly var p = ref _parsed[index];
        ruleSlot = -1;
        var verdict = PortSecurity.CheckIngress(in p);
        switch (verdict)
        {
            case ImplicitVerdict.Allow:
                if (TMode.IsTrace)
                {
                    _trace!.Record(TraceEvent.ImplicitIngress, port.Slot);
                }
                return true;
            case ImplicitVerdict.UseRules when policy.Stateful && mode == TrackMode.Established:
                if (TMode.IsTrace)
                {
                    _trace!.Record(TraceEvent.IngressEstablished, port.Slot);
                }
                return true;
            case ImplicitVerdict.UseRules when policy.Stateful && mode == TrackMode.Invalid:
                SecurityGroupDrop<TMode>(port, DropReason.ConntrackInvalid, Direction.Ingress, in p, in frame, _viaFloating[index]);
                if (TMode.IsTrace)
                {
                    _trace!.Drop(TraceEvent.IngressInvalid, DropReason.ConntrackInvalid, port.Slot);
                }
                return false;
            case ImplicitVerdict.UseRules:
                ruleSlot = RuleVerdict(snapshot, index, in p, port, policy, ingress: true);
                if (ruleSlot != Denied)
                {
                    Counters.RuleHit(ruleSlot);
                    if (TMode.IsTrace)
                    {
                        _trace!.Record(TraceEvent.IngressRule, port.Slot, ruleSlot);
                    }
                    return true;
                }
                ruleSlot = -1;
                break;
        }
        SecurityGroupDrop<TMode>(port, DropReason.SecurityGroup, Direction.Ingress, in p, in frame, _viaFloating[index]);
        if (TMode.IsTrace)
        {
            _trace!.Drop(verdict == ImplicitVerdict.DropNotAllowed ? TraceEvent.IngressNotIpOrArp : TraceEvent.IngressDenied, DropReason.SecurityGroup, port.Slot);
        }
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
        _replyCount = 0;
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
        CaptureSent(port.Slot, tx, sent);
        if (sent < tx.Count)
        {
            // Frames the far end was not there for are port_down; the rest the port could not send. A port reports only
            // how many of each, so a capture names the first unsent frames port_down and the others tx_failed.
            var down = (int)Math.Min(errors.TxLinkDown, tx.Count - sent);
            if (down > 0)
            {
                DropFrames(port.Slot, DropReason.PortDown, Direction.Ingress, tx, sent, sent + down);
            }
            if (tx.Count - sent - down > 0)
            {
                DropFrames(port.Slot, DropReason.TxFailed, Direction.Ingress, tx, sent + down, tx.Count);
            }
        }
        tx.Count = 0;
    }
}
