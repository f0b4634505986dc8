using System.Runtime.CompilerServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Policy;

/// <summary>
/// Neutron's implicit rules for ports with port security (ARCHITECTURE §2): anti-spoofing of MAC and IP, ARP only
/// with the port's own addresses, DHCP client traffic allowed and DHCP server replies from VMs dropped, IPv6 ND and
/// MLD allowed with spoof checks, router advertisements from VMs dropped.
/// </summary>
/// <remarks>
/// These run before the security-group rules and never consult them: a VM cannot open what they close, and needs no
/// rule for what they allow (as Neutron's OVS firewall driver).
/// </remarks>
public static class PortSecurity
{
    private const ushort DhcpServerPort = 67;
    private const ushort DhcpClientPort = 68;
    private const ushort Dhcp6ClientPort = 546;
    private const ushort Dhcp6ServerPort = 547;

    private const byte MldQuery = 130;
    private const byte MldReport = 131;
    private const byte MldDone = 132;
    private const byte RouterSolicitation = 133;
    private const byte RouterAdvertisement = 134;
    private const byte NeighborSolicitation = 135;
    private const byte NeighborAdvertisement = 136;
    private const byte Redirect = 137;
    private const byte Mld2Report = 143;

    /// <summary>Checks a packet the VM sent (egress).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ImplicitVerdict CheckEgress(in ParsedPacket p, PortAddresses addresses)
    {
        if (!addresses.AllowsMac(p.EthSource))
        {
            return ImplicitVerdict.DropSpoofing;
        }
        if (p.IsArp)
        {
            var senderOk = p.ArpSenderMac == p.EthSource
                && (p.IpSource == IpAddress128.FromIpv4(0) || addresses.Allows(p.EthSource, p.IpSource, ipv6: false));
            return senderOk ? ImplicitVerdict.Allow : ImplicitVerdict.DropSpoofing;
        }
        if (p.IsIpv4)
        {
            if (p.IpProtocol == IpProtocol.Udp && p.HasL4)
            {
                if (p.SourcePort == DhcpServerPort && p.DestinationPort == DhcpClientPort)
                {
                    return ImplicitVerdict.DropSpoofing;
                }
                if (p.SourcePort == DhcpClientPort && p.DestinationPort == DhcpServerPort)
                {
                    // A DHCP client may send from 0.0.0.0 before it has an address.
                    return p.IpSource == IpAddress128.FromIpv4(0) || addresses.Allows(p.EthSource, p.IpSource, ipv6: false)
                        ? ImplicitVerdict.Allow : ImplicitVerdict.DropSpoofing;
                }
            }
            return addresses.Allows(p.EthSource, p.IpSource, ipv6: false) ? ImplicitVerdict.UseRules : ImplicitVerdict.DropSpoofing;
        }
        if (p.IsIpv6)
        {
            var unspecified = p.IpSource.High == 0 && p.IpSource.Low == 0;
            if (p.IpProtocol == IpProtocol.Icmpv6 && p.HasL4)
            {
                switch ((byte)p.SourcePort)
                {
                    case RouterAdvertisement:
                    case Redirect:
                    case MldQuery:
                        return ImplicitVerdict.DropSpoofing;
                    case NeighborAdvertisement:
                        return addresses.Allows(p.EthSource, p.NdTarget, ipv6: true) && (unspecified || addresses.Allows(p.EthSource, p.IpSource, ipv6: true))
                            && ((p.Flags & PacketFlags.NdLinkLayerOption) == 0 || addresses.AllowsMac(p.NdLinkLayerAddress))
                            ? ImplicitVerdict.Allow : ImplicitVerdict.DropSpoofing;
                    case NeighborSolicitation:
                    case RouterSolicitation:
                    case MldReport:
                    case MldDone:
                    case Mld2Report:
                        // Duplicate address detection and MLD reports may come from the unspecified address.
                        return (unspecified || addresses.Allows(p.EthSource, p.IpSource, ipv6: true))
                            && ((p.Flags & PacketFlags.NdLinkLayerOption) == 0 || addresses.AllowsMac(p.NdLinkLayerAddress))
                            ? ImplicitVerdict.Allow : ImplicitVerdict.DropSpoofing;
                }
            }
            if (p.IpProtocol == IpProtocol.Udp && p.HasL4)
            {
                if (p.SourcePort == Dhcp6ServerPort && p.DestinationPort == Dhcp6ClientPort)
                {
                    return ImplicitVerdict.DropSpoofing;
                }
                if (p.SourcePort == Dhcp6ClientPort && p.DestinationPort == Dhcp6ServerPort && addresses.Allows(p.EthSource, p.IpSource, ipv6: true))
                {
                    return ImplicitVerdict.Allow;
                }
            }
            return addresses.Allows(p.EthSource, p.IpSource, ipv6: true) ? ImplicitVerdict.UseRules : ImplicitVerdict.DropSpoofing;
        }
        return ImplicitVerdict.DropNotAllowed;
    }

    /// <summary>Checks a packet on its way to a VM (ingress).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ImplicitVerdict CheckIngress(in ParsedPacket p)
    {
        if (p.IsArp)
        {
            return ImplicitVerdict.Allow;
        }
        if (p.IsIpv4)
        {
            return p.IpProtocol == IpProtocol.Udp && p.HasL4 && p.SourcePort == DhcpServerPort && p.DestinationPort == DhcpClientPort
                ? ImplicitVerdict.Allow : ImplicitVerdict.UseRules;
        }
        if (p.IsIpv6)
        {
            if (p.IpProtocol == IpProtocol.Icmpv6 && p.HasL4)
            {
                switch ((byte)p.SourcePort)
                {
                    case MldQuery:
                    case MldReport:
                    case MldDone:
                    case RouterSolicitation:
                    case RouterAdvertisement:
                    case NeighborSolicitation:
                    case NeighborAdvertisement:
                    case Mld2Report:
                        return ImplicitVerdict.Allow;
                }
            }
            return p.IpProtocol == IpProtocol.Udp && p.HasL4 && p.SourcePort == Dhcp6ServerPort && p.DestinationPort == Dhcp6ClientPort
                ? ImplicitVerdict.Allow : ImplicitVerdict.UseRules;
        }
        return ImplicitVerdict.DropNotAllowed;
    }
}
