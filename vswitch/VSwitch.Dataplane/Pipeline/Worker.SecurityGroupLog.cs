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
    private void SecurityGroupDrop<TMode>(SwitchPort port, DropReason reason, Direction direction, in ParsedPacket p, in Frame frame, uint floatingIpv4 = 0)
        where TMode : struct, IPipelineMode
    {
        DropFrame(port.Slot, reason, direction, in frame);
        if (!TMode.IsTrace && (port.Logging & SecurityGroupLogging.Drop) != 0)
        {
            RecordLogEvent(SecurityGroupLogAction.Drop, port.Slot, direction, reason, in p, -1, floatingIpv4);
        }
    }

    /// <summary>
    /// The ACCEPT events of a committed connection: the sender's egress and the receiver's ingress, each if it logs
    /// ACCEPT, each with the addresses its VM sees: the sender's as the packet left it (from its fixed IP before a
    /// floating IP or SNAT replaced it; to the floating IP it was sent to), the receiver's as it arrives.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LogAccepted(SwitchPort inPort, SwitchPort outPort, int index, int ingressRule)
    {
        if ((inPort.Logging & SecurityGroupLogging.Accept) != 0)
        {
            ref readonly var sent = ref _natted[index] ? ref _preNat[index] : ref _parsed[index];
            var sentToFloating = !_natted[index] && _viaFloating[index] != 0;
            RecordLogEvent(SecurityGroupLogAction.Accept, inPort.Slot, Direction.Egress, DropReason.SecurityGroup, in sent, _egressRule[index], _viaFloating[index],
                sentToFloating);
        }
        if ((outPort.Logging & SecurityGroupLogging.Accept) != 0)
        {
            RecordLogEvent(SecurityGroupLogAction.Accept, outPort.Slot, Direction.Ingress, DropReason.SecurityGroup, in _parsed[index], ingressRule, _viaFloating[index]);
        }
    }

    /// <summary>Puts one event on the worker's log ring; a full ring loses it and counts the loss (never waits).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordLogEvent(SecurityGroupLogAction action, int slot, Direction direction, DropReason reason, in ParsedPacket p, int ruleSlot,
        uint floatingIpv4, bool sentToFloating = false)
    {
        var item = SecurityGroupLogEvent.Of(in p, _datapath.UnixTimeMs(), action, slot, direction, reason, ruleSlot, floatingIpv4);
        if (sentToFloating)
        {
            // The packet's destination is the fixed IP now; its sender addressed the floating IP.
            item.Destination = IpAddress128.FromIpv4(floatingIpv4);
        }
        if (!SecurityGroupLog.TryWrite(in item))
        {
            Counters.Add(WorkerCounter.SecurityGroupLogDropped, 1);
        }
    }
}
