using VSwitch.Dataplane.Policy;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
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

    /// <summary>What a commit would do: refused when an end is already at its per-port connection limit.</summary>
    private bool TraceCommit(SwitchPort inPort, SwitchPort outPort)
    {
        foreach (var (port, direction) in (ReadOnlySpan<(SwitchPort, string)>)[(inPort, "egress"), (outPort, "ingress")])
        {
            var tracked = _datapath.Conntrack.PortConnections(port.Slot);
            if (port.ConntrackLimit > 0 && tracked >= port.ConntrackLimit)
            {
                _trace!.Drop(direction, DropReason.ConntrackFull,
                    $"port {port.Name} already tracks {tracked} connections, its limit (conntrack_limit {port.ConntrackLimit})", port.Slot);
                return false;
            }
        }
        _trace!.Add("conntrack", "commit", "the connection would be committed: its replies and related errors will pass");
        return true;
    }
}
