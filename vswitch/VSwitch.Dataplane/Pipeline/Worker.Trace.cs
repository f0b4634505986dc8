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
}
