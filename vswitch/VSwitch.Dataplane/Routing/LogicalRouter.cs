using System.Collections.Frozen;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Routing;

/// <summary>
/// A router as the data path sees it: its interfaces, its table (connected subnets and extra routes, longest prefix
/// first), its floating IPs (1:1 NAT on its gateway) and its neighbours (every address of every port on its networks, from the model: the switch knows where each
/// address lives, as OVN does, so nothing is learned and no ARP is sent).
/// </summary>
/// <remarks>
/// Immutable, built by the control plane with the snapshot. A table holds a few entries per subnet: the lookup scans
/// it in order (longest prefix first), which beats a trie at this size; neighbours are a frozen hash table.
/// </remarks>
public sealed class LogicalRouter
{
    private readonly Route[] _routes;
    private readonly FrozenDictionary<IpAddress128, Neighbor> _neighbors;

    /// <summary>The IPv4 neighbours again, for the per-packet lookup (<see cref="TryResolve"/>).</summary>
    private readonly Ipv4Map<Neighbor> _neighbors4;

    /// <summary>The interfaces' IPv4 addresses, for <see cref="Owns"/>'s check of every routed IPv4 packet.</summary>
    private readonly uint[] _ownIpv4;

    /// <param name="index">The router's index in the snapshot.</param>
    /// <param name="name">For traces and logs.</param>
    /// <param name="adminUp">False: the router forwards and answers nothing.</param>
    /// <param name="interfaces">The router's interfaces.</param>
    /// <param name="routes">Its table in any order.</param>
    /// <param name="neighbors">Its neighbours' addresses.</param>
    public LogicalRouter(int index, string name, bool adminUp, RouterInterface[] interfaces, IEnumerable<Route> routes,
        IEnumerable<KeyValuePair<IpAddress128, Neighbor>> neighbors)
    {
        Index = index;
        Name = name;
        AdminUp = adminUp;
        Interfaces = interfaces;
        _routes = [.. routes.OrderByDescending(r => r.PrefixLength128)];
        _neighbors = neighbors.ToFrozenDictionary();
        _neighbors4 = new Ipv4Map<Neighbor>(_neighbors.Where(n => n.Key.IsIpv4Mapped).Select(n => KeyValuePair.Create(n.Key.Ipv4, n.Value)));
        _ownIpv4 = [.. interfaces.Select(i => i.Ipv4).Where(a => a != 0)];
    }

    public int Index { get; }

    public string Name { get; }

    public bool AdminUp { get; }

    public RouterInterface[] Interfaces { get; }

    public int NeighborCount => _neighbors.Count;

    /// <summary>The index of the gateway interface (on the external network), or -1.</summary>
    public int GatewayInterface { get; init; } = -1;

    /// <summary>
    /// The gateway address inside connections leave from when the router does SNAT (IPv4, host order), or 0. Fixed IPs
    /// with a floating IP leave from that instead.
    /// </summary>
    public uint SnatIpv4 { get; init; }

    /// <summary>The conntrack zone of its SNAT bindings (<see cref="Conntrack.ConnTable.NatZone"/> of its external network).</summary>
    public int NatZone { get; init; }

    /// <summary>Floating IP → fixed IP (IPv4, host order): packets to the floating IP arriving on the gateway are translated.</summary>
    public Ipv4Map<uint> FixedOf { get; init; } = Ipv4Map<uint>.Empty;

    /// <summary>Fixed IP → floating IP: packets from the fixed IP leaving by the gateway are translated.</summary>
    public Ipv4Map<uint> FloatingOf { get; init; } = Ipv4Map<uint>.Empty;

    /// <summary>The longest-prefix route to <paramref name="destination"/>: its interface and the address to resolve.</summary>
    public bool TryRoute(IpAddress128 destination, out int interfaceIndex, out IpAddress128 nextHop)
    {
        foreach (ref readonly var route in _routes.AsSpan())
        {
            if (route.Contains(destination))
            {
                interfaceIndex = route.Interface;
                nextHop = route.IsConnected ? destination : route.NextHop;
                return true;
            }
        }
        interfaceIndex = -1;
        nextHop = default;
        return false;
    }

    /// <summary>True when <paramref name="address"/> is in a subnet of interface <paramref name="interfaceIndex"/> (not only routed through it).</summary>
    public bool IsConnected(IpAddress128 address, int interfaceIndex)
    {
        foreach (ref readonly var route in _routes.AsSpan())
        {
            if (route.IsConnected && route.Interface == interfaceIndex && route.Contains(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The port and MAC of <paramref name="address"/>.</summary>
    public bool TryResolve(IpAddress128 address, out Neighbor neighbor) =>
        address.IsIpv4Mapped ? _neighbors4.TryGetValue(address.Ipv4, out neighbor) : _neighbors.TryGetValue(address, out neighbor);

    /// <summary>True when <paramref name="address"/> is one of the router's own (on any interface).</summary>
    public bool Owns(IpAddress128 address)
    {
        if (address.IsIpv4Mapped)
        {
            foreach (var own in _ownIpv4)
            {
                if (own == address.Ipv4)
                {
                    return true;
                }
            }
            return false;
        }
        foreach (var i in Interfaces)
        {
            if (i.Owns(address))
            {
                return true;
            }
        }
        return false;
    }
}
