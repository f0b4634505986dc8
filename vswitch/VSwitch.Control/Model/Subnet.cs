namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's subnet: an address range of a network from which ports get their fixed IPs (<see cref="SubnetOperations"/>,
/// <see cref="Ipam"/>), with the settings DHCP and router advertisements will serve.
/// </summary>
/// <remarks><c>Cidr</c> is the subnet's network (host bits clear); its family is the subnet's IP version.</remarks>
public sealed record Subnet(Guid Id, string Name, Guid NetworkId, ProjectId ProjectId, IpPrefix Cidr)
{
    /// <summary>4 or 6.</summary>
    public int IpVersion => Cidr.Family == Ethertype.IPv4 ? 4 : 6;

    /// <summary>The gateway address (a host prefix), or null for none (<c>gateway_ip: null</c>).</summary>
    public IpPrefix? GatewayIp { get; init; }

    /// <summary>The ranges addresses are allocated from, in order; inside the CIDR, disjoint, without the gateway.</summary>
    public EquatableArray<AllocationPool> AllocationPools { get; init; } = EquatableArray<AllocationPool>.Empty;

    public bool EnableDhcp { get; init; } = true;

    /// <summary>DNS servers handed out by DHCP, in order (host prefixes).</summary>
    public EquatableArray<IpPrefix> DnsNameservers { get; init; } = EquatableArray<IpPrefix>.Empty;

    /// <summary>Static routes handed out by DHCP (classless static routes).</summary>
    public EquatableArray<HostRoute> HostRoutes { get; init; } = EquatableArray<HostRoute>.Empty;

    /// <summary>IPv6 only: <c>slaac</c>, <c>dhcpv6-stateful</c>, <c>dhcpv6-stateless</c> or null.</summary>
    public string? Ipv6RaMode { get; init; }

    /// <summary>IPv6 only: <c>slaac</c>, <c>dhcpv6-stateful</c>, <c>dhcpv6-stateless</c> or null.</summary>
    public string? Ipv6AddressMode { get; init; }

    public string Description { get; init; } = "";

    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Neutron's <c>tags</c>: sorted, no duplicates.</summary>
    public EquatableArray<string> Tags { get; init; } = EquatableArray<string>.Empty;

    /// <summary>True when ports' addresses on this subnet come from their MAC (EUI-64), not from the pools.</summary>
    public bool IsAutoAddress => Ipv6AddressMode is SubnetOperations.Slaac or SubnetOperations.Dhcpv6Stateless;
}

/// <summary>An allocation pool: <paramref name="Start"/> to <paramref name="End"/>, both included (host prefixes).</summary>
public readonly record struct AllocationPool(IpPrefix Start, IpPrefix End);

/// <summary>A static route handed to the subnet's ports: <paramref name="Destination"/> via <paramref name="NextHop"/>.</summary>
public readonly record struct HostRoute(IpPrefix Destination, IpPrefix NextHop);
