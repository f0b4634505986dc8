using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>The routers, floating IPs and the subnets and networks they name, read at a refresh of the routers screen.</summary>
public sealed record RoutingInventory(
    IReadOnlyList<Router> Routers,
    IReadOnlyList<FloatingIp> FloatingIps,
    IReadOnlyList<Subnet> Subnets,
    IReadOnlyList<Network> Networks);

/// <summary>One router's line: its state, its gateway to the outside, the subnets it routes between, its extra routes.</summary>
/// <remarks>Gateway: the external network and the gateway's address(es), or "(none)". Snat: "on", "off", or "" without a
/// gateway. Interfaces: the router's address on each subnet it routes, with the subnet's prefix length and name
/// (<c>198.18.20.1/24 app</c>), by subnet name.</remarks>
public sealed record RouterRow(string Name, string State, string Gateway, string Snat, IReadOnlyList<string> Interfaces,
    IReadOnlyList<string> Routes, int FloatingIps, string Id = "");

/// <summary>
/// One floating IP's line: where it leads (the port, its fixed IP, the router that translates it), what the outside
/// may reach through it (the port's groups) and the traffic of the port behind it.
/// </summary>
/// <remarks>PacketsPerSecond: the port's received and sent packets per second since the previous refresh (null: no rate
/// yet, or no port).</remarks>
public sealed record FloatingIpRow(string Address, string Port, string FixedIp, string Router, string Groups, double? PacketsPerSecond, string Id = "");

/// <summary>The routers screen's rows, built from one snapshot (and the previous one for rates).</summary>
public static class RouterTable
{
    /// <summary>Neutron's <c>device_owner</c> of a router's interface ports.</summary>
    public const string InterfaceOwner = "network:router_interface";

    /// <summary>The routers by name; empty until the routers screen's first refresh answered. A router without a status is taken as ACTIVE.</summary>
    public static IReadOnlyList<RouterRow> Routers(SwitchSnapshot s)
    {
        if (s.Routing is not { } r)
        {
            return [];
        }
        var subnets = r.Subnets.ToDictionary(x => x.Id);
        return [.. r.Routers.OrderBy(x => x.Name, StringComparer.Ordinal).ThenBy(x => x.Id, StringComparer.Ordinal).Select(router =>
        {
            var gateway = router.ExternalGateway is { NetworkId: { } net } g
                ? $"{NetworkName(r, net)} {string.Join(' ', (g.ExternalFixedIps ?? []).Select(ip => ip.IpAddress))}".TrimEnd()
                : "(none)";
            var snat = router.ExternalGateway is { NetworkId: not null } gw ? (gw.EnableSnat ?? true) ? "on" : "off" : "";
            var interfaces = s.Ports
                .Where(p => p.DeviceOwner == InterfaceOwner && p.DeviceId == router.Id)
                .SelectMany(p => p.FixedIps)
                .Select(ip => ip.SubnetId is { } id && subnets.TryGetValue(id, out var subnet)
                    ? (Name: subnet.Name ?? "", Text: $"{ip.IpAddress}{PrefixOf(subnet.Cidr)} {subnet.Name}".TrimEnd())
                    : (Name: "", Text: ip.IpAddress ?? ""))
                .OrderBy(x => x.Name, StringComparer.Ordinal).ThenBy(x => x.Text, StringComparer.Ordinal)
                .Select(x => x.Text)
                .ToArray();
            var state = !router.AdminStateUp ? "DOWN" : string.IsNullOrEmpty(router.Status) ? "ACTIVE" : router.Status;
            return new RouterRow(string.IsNullOrEmpty(router.Name) ? router.Id : router.Name, state, gateway, snat, interfaces,
                [.. router.Routes.Select(x => $"{x.Destination} via {x.NextHop}")],
                r.FloatingIps.Count(f => f.RouterId == router.Id), router.Id);
        })];
    }

    /// <summary>The floating IPs by address; a floating IP without a port leads nowhere (its port, fixed IP and router are empty).</summary>
    public static IReadOnlyList<FloatingIpRow> FloatingIps(SwitchSnapshot? previous, SwitchSnapshot s)
    {
        if (s.Routing is not { } r)
        {
            return [];
        }
        var rates = Overview.Build(previous, s).Ports.ToDictionary(p => p.PortId);
        return [.. r.FloatingIps
            .OrderBy(f => System.Net.IPAddress.TryParse(f.FloatingIpAddress, out var a) ? a.GetAddressBytes() : [], ByteOrder.Instance)
            .ThenBy(f => f.FloatingIpAddress, StringComparer.Ordinal)
            .Select(f =>
            {
                var port = f.PortId is null ? null : s.Ports.FirstOrDefault(p => p.Id == f.PortId);
                var groups = port is null ? ""
                    : !port.PortSecurityEnabled ? "(no port security)"
                    : port.SecurityGroups.Count == 0 ? "(none)"
                    : string.Join(',', port.SecurityGroups.Select(s.GroupName));
                double? pps = port is not null && rates.TryGetValue(port.Id, out var rate) && rate.RxPacketsPerSecond is { } rx && rate.TxPacketsPerSecond is { } tx
                    ? rx + tx : null;
                var router = f.RouterId is null ? "" : r.Routers.FirstOrDefault(x => x.Id == f.RouterId)?.Name is { Length: > 0 } name ? name : f.RouterId;
                return new FloatingIpRow(f.FloatingIpAddress, f.PortId is null ? "" : s.PortName(f.PortId), f.FixedIpAddress ?? "", router, groups, pps, f.Id);
            })];
    }

    /// <summary>"/24" of "198.18.20.0/24"; nothing when the CIDR has no length.</summary>
    private static string PrefixOf(string? cidr) =>
        cidr?.IndexOf('/', StringComparison.Ordinal) is int slash and >= 0 ? cidr[slash..] : "";

    private static string NetworkName(RoutingInventory r, string id) =>
        r.Networks.FirstOrDefault(n => n.Id == id)?.Name is { Length: > 0 } name ? name : id;

    /// <summary>Addresses in numeric order (IPv4 before IPv6: shorter first).</summary>
    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y)
        {
            x ??= [];
            y ??= [];
            return x.Length != y.Length ? x.Length.CompareTo(y.Length) : x.AsSpan().SequenceCompareTo(y);
        }
    }
}
