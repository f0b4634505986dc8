using VSwitch.Control.Model;
using VSwitch.Packets;
using VSwitch.Packets.Dhcp;
using VSwitch.Packets.Ndp;

namespace VSwitch.Control;

/// <summary>
/// The DHCPv4 server the data path runs for a port (<see cref="DhcpV4Server"/>): the port's IPv4 address on a subnet with
/// <c>enable_dhcp</c>, with that subnet's mask, gateway, DNS servers and host routes, and the network's MTU; and the router
/// advertisements it answers the port's solicitations with (<see cref="RouterAdvertisementSettings"/>).
/// </summary>
/// <remarks>
/// The server identifies itself with the subnet's gateway address (the router that will own it answers for the
/// subnet), or, without a gateway, the subnet's last address; its MAC is a locally administered <c>02:76:73:xx:xx:xx</c>
/// derived from the subnet, so it never clashes with a port's <c>fa:16:3e</c> MAC. Leases are Neutron's default
/// <c>dhcp_lease_duration</c>, 86,400 s. A port with several IPv4 addresses is served its first one on such a subnet.
/// </remarks>
public static class DhcpSettings
{
    public const int LeaseSeconds = 86_400;

    public static DhcpV4Server? For(SwitchModel model, PortSpec port)
    {
        if (model.Subnets.IsEmpty)
        {
            return null;
        }
        foreach (var ip in port.FixedIps)
        {
            if (ip.Family != Ethertype.IPv4 || SubnetOperations.Holding(model, port.NetworkId, ip) is not { EnableDhcp: true } subnet)
            {
                continue;
            }
            var router = subnet.GatewayIp?.Address.Ipv4 ?? 0;
            var server = router != 0 ? router : Ipam.Address(Ipam.Range(subnet.Cidr).Last - 1).Ipv4;
            var mac = DerivedMac(subnet.Id);
            return new DhcpV4Server(
                ip.Address.Ipv4, subnet.Cidr.PrefixLength, server, mac, router,
                [.. subnet.DnsNameservers.Where(d => d.Family == Ethertype.IPv4).Select(d => d.Address.Ipv4)],
                model.Networks.TryGetValue(port.NetworkId, out var network) ? network.Mtu : 0,
                LeaseSeconds,
                [.. subnet.HostRoutes.Select(r => (r.Destination.Address.Ipv4, r.Destination.PrefixLength, r.NextHop.Address.Ipv4))]);
        }
        return null;
    }

    /// <summary>
    /// The DHCPv6 server for a port of a network with DHCP-enabled IPv6 subnets in <c>dhcpv6-stateful</c> or
    /// <c>dhcpv6-stateless</c> address mode (Neutron's dnsmasq serves exactly those): the port's address on the first
    /// stateful one (none when all are stateless: Information-requests only), their IPv6 DNS servers, Neutron's lease.
    /// The server's MAC is a <c>02:76:73</c> one derived from the first such subnet. Null when the network has none.
    /// </summary>
    public static DhcpV6Server? V6For(SwitchModel model, PortSpec port)
    {
        if (model.Subnets.IsEmpty)
        {
            return null;
        }
        var subnets = SubnetOperations.Of(model, port.NetworkId)
            .Where(s => s.Cidr.Family == Ethertype.IPv6 && s.EnableDhcp && s.Ipv6AddressMode is SubnetOperations.Dhcpv6Stateful or SubnetOperations.Dhcpv6Stateless)
            .ToList();
        if (subnets.Count == 0)
        {
            return null;
        }
        IpAddress128? address = null;
        foreach (var subnet in subnets.Where(s => s.Ipv6AddressMode == SubnetOperations.Dhcpv6Stateful))
        {
            foreach (var ip in port.FixedIps)
            {
                if (address is null && ip.Family == Ethertype.IPv6 && subnet.Cidr.Contains(ip.Address, ip.Family))
                {
                    address = ip.Address;
                }
            }
        }
        return new DhcpV6Server(address, DerivedMac(subnets[0].Id),
            [.. subnets.SelectMany(s => s.DnsNameservers).Where(d => d.Family == Ethertype.IPv6).Select(d => d.Address).Distinct()],
            LeaseSeconds);
    }

    /// <summary>
    /// The advertisement for a port of a network whose IPv6 subnets have an <c>ipv6_ra_mode</c> (Neutron sends RAs only
    /// then): every such /64 as a prefix (autonomous for <c>slaac</c> and <c>dhcpv6-stateless</c>), M for a stateful
    /// subnet, O for a stateless one, a default router when one has a gateway, the network's MTU. The router's MAC is a
    /// <c>02:76:73</c> one derived from the network; null when the network has no such subnet.
    /// </summary>
    public static RouterAdvertisementSettings? RouterAdvertisementFor(SwitchModel model, PortSpec port)
    {
        if (model.Subnets.IsEmpty)
        {
            return null;
        }
        var subnets = SubnetOperations.Of(model, port.NetworkId).Where(s => s.Cidr.Family == Ethertype.IPv6 && s.Ipv6RaMode is not null).ToList();
        if (subnets.Count == 0)
        {
            return null;
        }
        // A router's interface on one of these subnets advertises itself (its MAC, its link-local address): hosts then
        // route through it. Without one the switch's own derived MAC speaks for the subnets.
        var routerPort = model.Routers.IsEmpty ? null : model.Ports.Values.FirstOrDefault(p => p.IsRouterInterface && p.NetworkId == port.NetworkId
            && p.Mac is not null && p.FixedIps.Any(ip => subnets.Any(s => s.Cidr.Contains(ip.Address, ip.Family))));
        var mac = routerPort?.Mac ?? DerivedMac(port.NetworkId);
        return new RouterAdvertisementSettings(
            mac,
            [.. subnets.Where(s => s.Cidr.PrefixLength == 64).Select(s => (s.Cidr.Network.Address.High, s.Ipv6RaMode is SubnetOperations.Slaac or SubnetOperations.Dhcpv6Stateless))],
            Managed: subnets.Any(s => s.Ipv6RaMode == SubnetOperations.Dhcpv6Stateful),
            OtherConfig: subnets.Any(s => s.Ipv6RaMode == SubnetOperations.Dhcpv6Stateless),
            DefaultRouter: subnets.Any(s => s.GatewayIp is not null),
            Mtu: model.Networks.TryGetValue(port.NetworkId, out var network) ? network.Mtu : 0);
    }

    /// <summary>The switch's own locally administered <c>02:76:73:xx:xx:xx</c> MAC for a subnet or network (its id's last three bytes).</summary>
    private static MacAddress DerivedMac(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes);
        return new MacAddress(0x02_76_73_00_00_00UL | ((ulong)bytes[13] << 16) | ((ulong)bytes[14] << 8) | bytes[15]);
    }
}
