using VSwitch.Control.Model;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Routing;
using VSwitch.Packets;

namespace VSwitch.Control;

/// <summary>
/// The model's routers as the data path runs them (<see cref="LogicalRouter"/>): interfaces from the routers' ports,
/// tables from their subnets and extra routes, neighbours from the ports on their networks; and the conntrack zones
/// the routers join networks into.
/// </summary>
/// <remarks>
/// A router's neighbours are the attached ports of its networks: each fixed IP, and each single-address allowed address
/// pair, at the port's slot and MAC (a port without a MAC cannot be routed to). Extra routes leave by the interface
/// whose subnet holds their next hop. Networks joined by a router, directly or through others, share one conntrack
/// zone: the lowest network index among them.
/// </remarks>
public sealed class RouterTables
{
    private RouterTables(LogicalRouter?[] routers, Dictionary<int, List<RouterInterface>> byNetwork, Dictionary<int, int> zones)
    {
        Routers = routers;
        ByNetwork = byNetwork;
        Zones = zones;
    }

    public static readonly RouterTables None = new([], [], []);

    /// <summary>Routers by index.</summary>
    public LogicalRouter?[] Routers { get; }

    /// <summary>Router interfaces by network index.</summary>
    public IReadOnlyDictionary<int, List<RouterInterface>> ByNetwork { get; }

    /// <summary>A network's zone when a router joins it to others (absent: its own index).</summary>
    public IReadOnlyDictionary<int, int> Zones { get; }

    public int ZoneOf(int network) => Zones.TryGetValue(network, out var zone) ? zone : network;

    /// <param name="model">The applied model.</param>
    /// <param name="networkIndex">Network ids to indices.</param>
    /// <param name="runningPorts">The attached ports: spec and slot.</param>
    public static RouterTables Build(SwitchModel model, IReadOnlyDictionary<Guid, int> networkIndex, IEnumerable<(PortSpec Spec, int Slot)> runningPorts)
    {
        if (model.Routers.IsEmpty)
        {
            return None;
        }
        var portsByNetwork = runningPorts.GroupBy(p => p.Spec.NetworkId).ToDictionary(g => g.Key, g => g.ToList());
        var routers = new LogicalRouter?[model.Routers.Count];
        var byNetwork = new Dictionary<int, List<RouterInterface>>();
        var parent = new Dictionary<int, int>();
        int Find(int n) => parent.TryGetValue(n, out var p) && p != n ? parent[n] = Find(p) : n;
        var index = 0;
        foreach (var router in model.Routers.Values)
        {
            var interfaces = new List<RouterInterface>();
            var routes = new List<Route>();
            var neighbors = new Dictionary<IpAddress128, Neighbor>();
            var connected = new List<(IpPrefix Cidr, int Interface)>();
            var gatewayPort = RouterOperations.GatewayPort(model, router.Id);
            // Only a floating IP whose port still holds its fixed IP translates, and a fixed IP takes one.
            var floating = model.FloatingIps.Values
                .Where(f => f.RouterId == router.Id && f.FixedIpAddress is { Family: Ethertype.IPv4 } ip && f.PortId is { } portId
                    && model.Ports.TryGetValue(portId, out var holder) && holder.FixedIps.Contains(ip))
                .DistinctBy(f => f.FixedIpAddress)
                .ToDictionary(f => f.FloatingIpAddress.Address.Ipv4, f => f.FixedIpAddress!.Value.Address.Ipv4);
            var gatewayInterface = -1;
            var internalNetworks = new List<int>();
            var ports = RouterOperations.Interfaces(model, router.Id).Append(gatewayPort).Where(p => p is { Mac: not null, AdminStateUp: true }).Select(p => p!);
            foreach (var port in ports)
            {
                if (!networkIndex.TryGetValue(port.NetworkId, out var network))
                {
                    continue;
                }
                var ipv4 = port.FixedIps.FirstOrDefault(ip => ip.Family == Ethertype.IPv4);
                var isGateway = port.DeviceOwner == RouterOperations.GatewayOwner;
                var iface = new RouterInterface(index, network, port.Mac!.Value, ipv4.Address.IsIpv4Mapped ? ipv4.Address.Ipv4 : 0,
                    [.. port.FixedIps.Where(ip => ip.Family == Ethertype.IPv6).Select(ip => ip.Address)])
                {
                    FloatingIpv4 = isGateway ? [.. floating.Keys] : [],
                };
                var ifaceIndex = interfaces.Count;
                if (isGateway)
                {
                    gatewayInterface = ifaceIndex;
                }
                else
                {
                    internalNetworks.Add(network);
                }
                interfaces.Add(iface);
                if (!byNetwork.TryGetValue(network, out var onNetwork))
                {
                    byNetwork[network] = onNetwork = [];
                }
                onNetwork.Add(iface);
                foreach (var ip in port.FixedIps)
                {
                    if (SubnetOperations.Holding(model, port.NetworkId, ip) is { } subnet)
                    {
                        connected.Add((subnet.Cidr, ifaceIndex));
                        routes.Add(new Route(subnet.Cidr.Network.Address, subnet.Cidr.PrefixLength128, ifaceIndex, default));
                        if (isGateway && subnet.GatewayIp is { } upstream)
                        {
                            // The router's default route: through the external subnet's gateway (the outside's router).
                            routes.Add(new Route(subnet.Cidr.Family == Ethertype.IPv4 ? IpAddress128.FromIpv4(0) : default,
                                subnet.Cidr.Family == Ethertype.IPv4 ? 96 : 0, ifaceIndex, upstream.Address));
                        }
                    }
                }
                foreach (var (spec, slot) in portsByNetwork.GetValueOrDefault(port.NetworkId) ?? [])
                {
                    if (spec.Mac is not { } mac || spec.IsServicePort)
                    {
                        continue;
                    }
                    foreach (var ip in spec.FixedIps)
                    {
                        neighbors[ip.Address] = new Neighbor(slot, mac);
                    }
                    foreach (var pair in spec.AllowedAddressPairs.Where(a => a.IpAddress.IsHost))
                    {
                        neighbors.TryAdd(pair.IpAddress.Address, new Neighbor(slot, pair.MacAddress));
                    }
                }
            }
            foreach (var extra in router.Routes)
            {
                var via = connected.FindIndex(c => c.Cidr.Contains(extra.NextHop.Address, extra.NextHop.Family));
                if (via >= 0)
                {
                    routes.Add(new Route(extra.Destination.Network.Address, extra.Destination.PrefixLength128, connected[via].Interface, extra.NextHop.Address));
                }
            }
            // Only the inside networks share a zone: on the way in, a floating IP's traffic is tracked by its inside tuple.
            var networks = internalNetworks.Distinct().ToList();
            foreach (var n in networks.Skip(1))
            {
                var (a, b) = (Find(networks[0]), Find(n));
                if (a != b)
                {
                    parent[Math.Max(a, b)] = Math.Min(a, b);
                }
            }
            foreach (var n in networks)
            {
                parent.TryAdd(n, n);
            }
            routers[index] = new LogicalRouter(index, router.Name.Length != 0 ? router.Name : router.Id.ToString(), router.AdminStateUp,
                [.. interfaces], routes, neighbors)
            {
                GatewayInterface = gatewayInterface,
                SnatIpv4 = router.ExternalGateway is { EnableSnat: true } && gatewayInterface >= 0 ? interfaces[gatewayInterface].Ipv4 : 0,
                NatZone = gatewayInterface >= 0 ? ConnTable.NatZone(interfaces[gatewayInterface].Network) : 0,
                FixedOf = new Ipv4Map<uint>(floating),
                FloatingOf = new Ipv4Map<uint>(floating.Select(kv => KeyValuePair.Create(kv.Value, kv.Key))),
            };
            index++;
        }
        var zones = parent.Keys.ToDictionary(n => n, Find);
        return new RouterTables(routers, byNetwork, zones);
    }
}
