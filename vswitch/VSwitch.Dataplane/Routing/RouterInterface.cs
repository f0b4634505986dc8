using VSwitch.Packets;
using VSwitch.Packets.Ndp;

namespace VSwitch.Dataplane.Routing;

/// <summary>One interface of a router: where it sits on a network and the addresses it answers for there.</summary>
/// <param name="Router">Index of the router in <see cref="Pipeline.DataplaneSnapshot.Routers"/>.</param>
/// <param name="Network">Index of the network the interface is on.</param>
/// <param name="Mac">The interface's MAC (its port's): frames to it are routed.</param>
/// <param name="Ipv4">The interface's IPv4 address (host order; 0: none), usually its subnet's gateway.</param>
/// <param name="Ipv6">The interface's IPv6 addresses (besides its link-local one, <see cref="LinkLocal"/>).</param>
public sealed record RouterInterface(int Router, int Network, MacAddress Mac, uint Ipv4, IpAddress128[] Ipv6)
{
    /// <summary>The interface's link-local address, fe80::/64 with the EUI-64 of its MAC (what router advertisements come from).</summary>
    public IpAddress128 LinkLocal { get; } = RouterAdvertisement.LinkLocal(Mac);

    /// <summary>True when <paramref name="address"/> is one of the interface's own.</summary>
    public bool Owns(IpAddress128 address)
    {
        if (address.IsIpv4Mapped)
        {
            return Ipv4 != 0 && address.Ipv4 == Ipv4;
        }
        if (address == LinkLocal)
        {
            return true;
        }
        foreach (var own in Ipv6)
        {
            if (own == address)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>On a router's gateway interface: the floating IPs (host order) it answers ARP for and translates.</summary>
    public uint[] FloatingIpv4 { get; init; } = [];

    /// <summary>True when the interface answers ARP or ND for <paramref name="address"/>: its own, or a floating IP.</summary>
    public bool AnswersFor(IpAddress128 address)
    {
        if (Owns(address))
        {
            return true;
        }
        if (address.IsIpv4Mapped)
        {
            foreach (var fip in FloatingIpv4)
            {
                if (fip == address.Ipv4)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>The address ICMPv6 errors come from: the first global address, else the link-local one.</summary>
    public IpAddress128 Ipv6Source => Ipv6.Length > 0 ? Ipv6[0] : LinkLocal;
}
