using System.Runtime.CompilerServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>
    /// Counts a security-group drop (<c>security_group</c> or <c>conntrack_invalid</c>) and, when the port logs DROP,
    /// records it for the security-group log. Trace runs record nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SecurityGroupDrop<TMode>(SwitchPort port, DropReason reason, Direction direction, in ParsedPacket p, uint floatingIpv4 = 0)
        where TMode : struct, IPipelineMode
    {
        Counters.Drop(port.Slot, reason, direction);
        if (!TMode.IsTrace && (port.Logging & SecurityGroupLogging.Drop) != 0)
        {
            RecordLogEvent(SecurityGroupLogAction.Drop, port.Slot, direction, reason, in p, -1, floatingIpv4);
        }
    }

    /// <summary>
    /// The ACCEPT events of a committed connection: the sender's egress and the receiver's ingress, each if it logs
    /// ACCEPT. The sender's event has its source as it left the sender (before a floating IP or SNAT replaced it), the
    /// receiver's its destination as it arrives (after a floating IP's translation): the addresses each VM sees.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LogAccepted(SwitchPort inPort, SwitchPort outPort, int index, int ingressRule)
    {
        if ((inPort.Logging & SecurityGroupLogging.Accept) != 0)
        {
            ref readonly var sent = ref _natted[index] ? ref _preNat[index] : ref _parsed[index];
            RecordLogEvent(SecurityGroupLogAction.Accept, inPort.Slot, Direction.Egress, DropReason.SecurityGroup, in sent, _egressRule[index], _viaFloating[index]);
        }
        if ((outPort.Logging & SecurityGroupLogging.Accept) != 0)
        {
            RecordLogEvent(SecurityGroupLogAction.Accept, outPort.Slot, Direction.Ingress, DropReason.SecurityGroup, in _parsed[index], ingressRule, _viaFloating[index]);
        }
    }

    /// <summary>Puts one event on the worker's log ring; a full ring loses it and counts the loss (never waits).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordLogEvent(SecurityGroupLogAction action, int slot, Direction direction, DropReason reason, in ParsedPacket p, int ruleSlot,
        uint floatingIpv4)
    {
        var item = SecurityGroupLogEvent.Of(in p, _datapath.UnixTimeMs(), action, slot, direction, reason, ruleSlot, floatingIpv4);
        if (!SecurityGroupLog.TryWrite(in item))
        {
            Counters.Add(WorkerCounter.SecurityGroupLogDropped, 1);
        }
    }
}
