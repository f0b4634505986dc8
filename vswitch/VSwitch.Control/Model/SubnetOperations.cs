namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's subnets: create, update, delete and read, with Neutron's validation; <see cref="Ipam"/> does the address
/// arithmetic and <see cref="PortOperations"/> allocates ports' fixed IPs from the pools.
/// </summary>
/// <remarks>
/// <para><b>Create</b> (<c>neutron/db/db_base_plugin_v2.py</c> <c>_validate_subnet</c> and the IPAM pool checks):
/// <c>network_id</c>, <c>ip_version</c> (4 or 6) and <c>cidr</c> are required (no subnet pools); the CIDR must be of
/// that version and a network address (<c>'198.18.0.5/24' isn't a recommended CIDR</c>); it must not overlap another
/// subnet of the same network. <c>gateway_ip</c> defaults to the first address, JSON null means none, and a given one
/// must be inside the CIDR and not its network (or IPv4 broadcast) address. <c>allocation_pools</c> default to the CIDR
/// without its network and broadcast addresses and the gateway; given ones must be valid ranges of the version, inside
/// the CIDR, disjoint, and must not hold the gateway. <c>dns_nameservers</c> are addresses without repeats,
/// <c>host_routes</c> a destination CIDR and a next hop. <c>ipv6_ra_mode</c>/<c>ipv6_address_mode</c> are IPv6 only, one
/// of <c>slaac</c>, <c>dhcpv6-stateful</c>, <c>dhcpv6-stateless</c>, equal when both are given, and the SLAAC modes
/// need a /64 (EUI-64).</para>
/// <para><b>Update</b>: name, description, gateway, pools, DHCP, DNS servers and routes; the network, version, CIDR and
/// IPv6 modes are read-only. A new gateway must not be a port's address.</para>
/// <para><b>Delete</b>: refused while a port has an address in it (<c>SubnetInUse</c>, 409); a network's delete takes its
/// subnets with it (<see cref="NetworkOperations.Delete"/>).</para>
/// </remarks>
public static class SubnetOperations
{
    public const string Slaac = "slaac";
    public const string Dhcpv6Stateful = "dhcpv6-stateful";
    public const string Dhcpv6Stateless = "dhcpv6-stateless";

    private static readonly string[] s_ipv6Modes = [Slaac, Dhcpv6Stateful, Dhcpv6Stateless];

    public static IEnumerable<Subnet> List(SwitchModel model, OperationContext context) =>
        model.Subnets.Values.Where(s => context.CanSee(s.ProjectId) || (model.Networks.TryGetValue(s.NetworkId, out var n) && context.CanSee(n.ProjectId)));

    public static Subnet Get(SwitchModel model, Guid id, OperationContext context) =>
        model.Subnets.TryGetValue(id, out var subnet) && (context.CanSee(subnet.ProjectId)
            || (model.Networks.TryGetValue(subnet.NetworkId, out var n) && context.CanSee(n.ProjectId)))
            ? subnet : throw NeutronErrors.SubnetNotFound(id);

    /// <summary>The network's subnets in creation order (the order IPAM tries them in).</summary>
    public static IEnumerable<Subnet> Of(SwitchModel model, Guid networkId) =>
        model.Subnets.Values.Where(s => s.NetworkId == networkId).OrderBy(s => s.CreatedAt).ThenBy(s => s.Id);

    /// <summary>The subnet of <paramref name="networkId"/> that holds <paramref name="address"/>, or null.</summary>
    public static Subnet? Holding(SwitchModel model, Guid networkId, IpPrefix address) =>
        Of(model, networkId).FirstOrDefault(s => s.Cidr.Contains(address.Address, address.Family));

    public static ModelChange<Subnet> Create(SwitchModel model, SubnetBody request, OperationContext context)
    {
        var name = NeutronAttributes.Name(request.Name);
        var description = NeutronAttributes.Description(request.Description);
        var project = NeutronAttributes.Project(request.ProjectId, context);
        var networkId = request.NetworkId ?? throw NeutronErrors.MissingAttribute("network_id");
        var version = request.IpVersion ?? throw NeutronErrors.MissingAttribute("ip_version");
        if (version is not (4 or 6))
        {
            throw NeutronErrors.InvalidAttribute("ip_version", $"'{version}' is not in [4, 6]");
        }
        var cidr = ParseCidr(request.Cidr ?? throw NeutronErrors.MissingAttribute("cidr"), version);
        var network = NetworkOperations.Get(model, networkId, context);
        var overlapping = Of(model, network.Id).FirstOrDefault(s => s.Cidr.Family == cidr.Family
            && (s.Cidr.Contains(cidr.Address, cidr.Family) || cidr.Contains(s.Cidr.Address, s.Cidr.Family)));
        if (overlapping is not null)
        {
            throw NeutronErrors.InvalidInput($"Requested subnet with cidr: {cidr} for network: {network.Id} overlaps with another subnet");
        }
        var (raMode, addressMode) = Ipv6Modes(request.Ipv6RaMode, request.Ipv6AddressMode, cidr);
        IpPrefix? gateway = request.NoGateway ? null
            : request.GatewayIp is { } g ? ValidateGateway(g, cidr)
            : Ipam.Host(Ipam.Range(cidr).First + 1, cidr.Family);
        var pools = request.AllocationPools is null ? Ipam.DefaultPools(cidr, gateway) : ValidatePools(request.AllocationPools, cidr, gateway);
        var now = context.Now();
        var subnet = new Subnet(context.NewId(), name, network.Id, project, cidr)
        {
            GatewayIp = gateway,
            AllocationPools = pools,
            EnableDhcp = request.EnableDhcp ?? true,
            DnsNameservers = ValidateNameservers(request.DnsNameservers ?? []),
            HostRoutes = ValidateRoutes(request.HostRoutes ?? [], cidr.Family),
            Ipv6RaMode = raMode,
            Ipv6AddressMode = addressMode,
            Description = description,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return new ModelChange<Subnet>(QuotaOperations.Enforce(model, model with { Subnets = model.Subnets.Add(subnet.Id, subnet) }, context), subnet);
    }

    public static ModelChange<Subnet> Update(SwitchModel model, Guid id, SubnetBody request, OperationContext context)
    {
        var subnet = Get(model, id, context);
        foreach (var (given, attribute) in new (bool, string)[]
        {
            (request.NetworkId is not null, "network_id"), (request.IpVersion is not null, "ip_version"), (request.Cidr is not null, "cidr"),
            (request.Ipv6RaMode is not null, "ipv6_ra_mode"), (request.Ipv6AddressMode is not null, "ipv6_address_mode"),
        })
        {
            if (given)
            {
                throw NeutronErrors.ReadOnlyAttribute(attribute);
            }
        }
        NeutronAttributes.RefuseProjectChange(request.ProjectId, subnet.ProjectId);
        var gateway = request.NoGateway ? null : request.GatewayIp is { } g ? ValidateGateway(g, subnet.Cidr) : subnet.GatewayIp;
        if (gateway is { } newGateway && newGateway != subnet.GatewayIp
            && model.Ports.Values.FirstOrDefault(p => p.NetworkId == subnet.NetworkId && p.FixedIps.Contains(newGateway)) is { } holder)
        {
            throw NeutronErrors.GatewayIpInUse(newGateway.AddressText, holder.Id);
        }
        var pools = request.AllocationPools is null ? subnet.AllocationPools : ValidatePools(request.AllocationPools, subnet.Cidr, gateway);
        foreach (var pool in pools)
        {
            if (gateway is { } kept && Ipam.InPools([pool], kept))
            {
                throw NeutronErrors.GatewayConflictWithAllocationPools(kept.AddressText, PoolText(pool));
            }
        }
        var updated = subnet with
        {
            Name = request.Name is null ? subnet.Name : NeutronAttributes.Name(request.Name),
            Description = request.Description is null ? subnet.Description : NeutronAttributes.Description(request.Description),
            GatewayIp = gateway,
            AllocationPools = pools,
            EnableDhcp = request.EnableDhcp ?? subnet.EnableDhcp,
            DnsNameservers = request.DnsNameservers is null ? subnet.DnsNameservers : ValidateNameservers(request.DnsNameservers),
            HostRoutes = request.HostRoutes is null ? subnet.HostRoutes : ValidateRoutes(request.HostRoutes, subnet.Cidr.Family),
        };
        if (updated == subnet)
        {
            return new ModelChange<Subnet>(model, subnet);
        }
        updated = updated with { RevisionNumber = subnet.RevisionNumber + 1, UpdatedAt = context.Now() };
        return new ModelChange<Subnet>(model with { Subnets = model.Subnets.SetItem(id, updated) }, updated);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id, OperationContext context)
    {
        var subnet = Get(model, id, context);
        if (model.Ports.Values.Any(p => p.NetworkId == subnet.NetworkId && p.FixedIps.Any(ip => subnet.Cidr.Contains(ip.Address, ip.Family))))
        {
            throw NeutronErrors.SubnetInUse(id);
        }
        return model with { Subnets = model.Subnets.Remove(id) };
    }

    private static IpPrefix ParseCidr(string text, int version)
    {
        if (!IpPrefix.TryParse(text, out var cidr) || !text.Contains('/', StringComparison.Ordinal))
        {
            throw NeutronErrors.InvalidAttribute("cidr", $"'{text}' is not a valid IP subnet");
        }
        if ((cidr.Family == Ethertype.IPv4 ? 4 : 6) != version)
        {
            throw NeutronErrors.InvalidInput($"Cidr {text} does not match ip_version {version}");
        }
        if (cidr.Network != cidr)
        {
            throw NeutronErrors.InvalidAttribute("cidr", $"'{text}' isn't a recommended CIDR, it should be '{cidr.Network}'");
        }
        return cidr;
    }

    private static IpPrefix ValidateGateway(string text, IpPrefix cidr)
    {
        if (!IpPrefix.TryParseHost(text, out var gateway) || gateway.Family != cidr.Family)
        {
            throw NeutronErrors.InvalidAttribute("gateway_ip", $"'{text}' is not a valid IP address");
        }
        var (first, last) = Ipam.Range(cidr);
        var value = Ipam.Value(gateway.Address);
        var broadcast = cidr.Family == Ethertype.IPv4 && cidr.PrefixLength <= 30 && value == last;
        if (!cidr.Contains(gateway.Address, gateway.Family) || (value == first && cidr.PrefixLength128 < 127) || broadcast)
        {
            throw NeutronErrors.InvalidInput("Gateway is not valid on subnet");
        }
        return gateway;
    }

    private static EquatableArray<AllocationPool> ValidatePools(IReadOnlyList<(string? Start, string? End)> requested, IpPrefix cidr, IpPrefix? gateway)
    {
        var pools = new List<AllocationPool>();
        foreach (var (startText, endText) in requested)
        {
            var text = $"{startText}-{endText}";
            if (!IpPrefix.TryParseHost(startText, out var start) || !IpPrefix.TryParseHost(endText, out var end)
                || start.Family != cidr.Family || end.Family != cidr.Family || Ipam.Value(start.Address) > Ipam.Value(end.Address))
            {
                throw NeutronErrors.InvalidAllocationPool(text);
            }
            if (!cidr.Contains(start.Address, start.Family) || !cidr.Contains(end.Address, end.Family))
            {
                throw NeutronErrors.OutOfBoundsAllocationPool(text, cidr.ToString());
            }
            pools.Add(new AllocationPool(start, end));
        }
        var ordered = pools.OrderBy(p => Ipam.Value(p.Start.Address)).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (Ipam.Value(ordered[i].Start.Address) <= Ipam.Value(ordered[i - 1].End.Address))
            {
                throw NeutronErrors.OverlappingAllocationPools(PoolText(ordered[i - 1]), PoolText(ordered[i]), cidr.ToString());
            }
        }
        foreach (var pool in ordered)
        {
            if (gateway is { } g && Ipam.InPools([pool], g))
            {
                throw NeutronErrors.GatewayConflictWithAllocationPools(g.AddressText, PoolText(pool));
            }
        }
        return ordered.ToEquatableArray();
    }

    private static EquatableArray<IpPrefix> ValidateNameservers(IReadOnlyList<string> requested)
    {
        var servers = new List<IpPrefix>();
        foreach (var text in requested)
        {
            if (!IpPrefix.TryParseHost(text, out var server))
            {
                throw NeutronErrors.InvalidAttribute("dns_nameservers", $"'{text}' is not a valid nameserver");
            }
            if (servers.Contains(server))
            {
                throw NeutronErrors.InvalidAttribute("dns_nameservers", $"Duplicate nameserver '{text}'");
            }
            servers.Add(server);
        }
        return servers.ToEquatableArray();
    }

    private static EquatableArray<HostRoute> ValidateRoutes(IReadOnlyList<(string? Destination, string? NextHop)> requested, Ethertype family)
    {
        var routes = new List<HostRoute>();
        foreach (var (destinationText, nextHopText) in requested)
        {
            if (!IpPrefix.TryParse(destinationText, out var destination) || destination.Family != family
                || !IpPrefix.TryParseHost(nextHopText, out var nextHop) || nextHop.Family != family)
            {
                throw NeutronErrors.InvalidAttribute("host_routes", $"'{destinationText} via {nextHopText}' is not a valid route of the subnet's IP version");
            }
            var route = new HostRoute(destination.Network, nextHop);
            if (routes.Contains(route))
            {
                throw NeutronErrors.InvalidAttribute("host_routes", $"Duplicate hostroute '{destinationText} via {nextHopText}'");
            }
            routes.Add(route);
        }
        return routes.ToEquatableArray();
    }

    private static (string? RaMode, string? AddressMode) Ipv6Modes(string? raMode, string? addressMode, IpPrefix cidr)
    {
        foreach (var (mode, attribute) in new[] { (raMode, "ipv6_ra_mode"), (addressMode, "ipv6_address_mode") })
        {
            if (mode is null)
            {
                continue;
            }
            if (!s_ipv6Modes.Contains(mode))
            {
                throw NeutronErrors.InvalidAttribute(attribute, $"'{mode}' is not in [{string.Join(", ", s_ipv6Modes.Select(m => $"'{m}'"))}]");
            }
            if (cidr.Family == Ethertype.IPv4)
            {
                throw NeutronErrors.InvalidInput($"{attribute} set to '{mode}' with ip_version set to '4' is not valid. Modes are only valid for IPv6");
            }
        }
        if (raMode is not null && addressMode is not null && raMode != addressMode)
        {
            throw NeutronErrors.InvalidInput($"ipv6_ra_mode set to '{raMode}' with ipv6_address_mode set to '{addressMode}' is not valid. If both attributes are set, they must be the same value");
        }
        if ((addressMode ?? raMode) is Slaac or Dhcpv6Stateless && cidr.PrefixLength != 64)
        {
            throw NeutronErrors.InvalidInput($"Invalid CIDR {cidr} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64");
        }
        return (raMode, addressMode);
    }

    private static string PoolText(AllocationPool pool) => $"{pool.Start.AddressText}-{pool.End.AddressText}";
}
