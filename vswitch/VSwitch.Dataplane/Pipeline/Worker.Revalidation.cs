using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
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
            if (sp.Stateful && RuleVerdict(snapshot, NoFrame, in original, sender, sp, ingress: false) == Denied)
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
            if (rp.Stateful && RuleVerdict(snapshot, NoFrame, in original, receiver, rp, ingress: true) == Denied)
            {
                return false;
            }
        }
        return true;
    }
}
