using VSwitch.Dataplane.Policy;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>The sender's port-security verdict as a trace step.</summary>
    private void TraceImplicitEgress(ImplicitVerdict verdict, SwitchPort port)
    {
        switch (verdict)
        {
            case ImplicitVerdict.Allow:
                _trace!.Record(TraceEvent.ImplicitEgress, port.Slot);
                break;
            case ImplicitVerdict.UseRules:
                _trace!.Record(TraceEvent.SourceChecked, port.Slot);
                break;
            case ImplicitVerdict.DropSpoofing:
                _trace!.Drop(TraceEvent.Spoofed, DropReason.Spoofing, port.Slot);
                break;
            default:
                _trace!.Drop(TraceEvent.NotIpOrArp, DropReason.SecurityGroup, port.Slot);
                break;
        }
    }

    /// <summary>What a commit would do: refused when an end is already at its per-port connection limit.</summary>
    private bool TraceCommit(SwitchPort inPort, SwitchPort outPort)
    {
        foreach (var port in (ReadOnlySpan<SwitchPort>)[inPort, outPort])
        {
            var tracked = _datapath.Conntrack.PortConnections(port.Slot);
            if (port.ConntrackLimit > 0 && tracked >= port.ConntrackLimit)
            {
                _trace!.Drop(port.Slot == inPort.Slot ? TraceEvent.SenderConnectionLimit : TraceEvent.ReceiverConnectionLimit, DropReason.ConntrackFull,
                    port.Slot, tracked, port.ConntrackLimit);
                return false;
            }
        }
        _trace!.Record(TraceEvent.Commit);
        return true;
    }
}
