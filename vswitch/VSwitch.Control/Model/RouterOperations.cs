namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's routers (<c>neutron/db/l3_db.py</c> and the extraroute extension): create, update, delete and read, and
/// interfaces added and removed by subnet or by port.
/// </summary>
/// <remarks>
/// <para><b>Interfaces.</b> Adding a subnet creates a port on its network that holds the subnet's gateway address
/// (<c>Subnet for router interface must have a gateway IP</c> without one), owned by the router
/// (<see cref="InterfaceOwner"/>, <c>device_id</c> the router), without port security and never attached to a device: the
/// switch itself answers on it. Adding a port takes a port that has no device and no owner (<c>PortInUse</c>, 409) and
/// one IPv4 address at most on a subnet. Either way the new subnet must not overlap one the router already has
/// (400), nor be one it has. Removing an interface (by subnet or by port) deletes its port; a route whose next hop
/// only that subnet reaches keeps it (<c>RouterInterfaceInUseByRoute</c>, 409). A router's interface port cannot be
/// deleted through the ports API (<c>ServicePortInUse</c>, 409), and a router with interfaces cannot be deleted
/// (<c>RouterInUse</c>, 409).</para>
/// <para><b>Routes</b> (<c>routes</c>): a destination CIDR via a next hop inside one of the router's subnets that is not
/// the router's own address; at most <see cref="MaxRoutes"/> (Neutron's <c>max_routes</c>).</para>
/// <para><b>External gateway</b> (<c>external_gateway_info</c>): a network with <c>router:external</c> (else 400); the
/// router gets a port there (<see cref="GatewayOwner"/>) with an address from its subnets (or the
/// <c>external_fixed_ips</c> given) and a default route through the external subnet's gateway. <c>enable_snat</c> (true unless
/// given, as Neutron's <c>enable_snat_by_default</c>): inside ports without a floating IP reach out from the gateway's
/// IPv4 address (source ports allocated per connection, ConnTable.Nat.cs); false: they leave untranslated. Clearing it (null or <c>{}</c>) deletes the port, unless floating IPs need it
/// (<c>RouterExternalGatewayInUseByFloatingIp</c>, 409). Deleting a router deletes its gateway port.</para>
/// </remarks>
public static class RouterOperations
{
    /// <summary>Neutron's <c>device_owner</c> of a router's interface port.</summary>
    public const string InterfaceOwner = "network:router_interface";

    /// <summary>Neutron's <c>device_owner</c> of a router's gateway port (on the external network).</summary>
    public const string GatewayOwner = "network:router_gateway";

    /// <summary>Neutron's default <c>max_routes</c>.</summary>
    public const int MaxRoutes = 30;

    public static IEnumerable<Router> List(SwitchModel model, OperationContext context) =>
        model.Routers.Values.Where(r => context.CanSee(r.ProjectId));

    public static Router Get(SwitchModel model, Guid id, OperationContext context) =>
        model.Routers.TryGetValue(id, out var router) && context.CanSee(router.ProjectId) ? router : throw NeutronErrors.RouterNotFound(id);

    /// <summary>The router's gateway port, or null.</summary>
    public static PortSpec? GatewayPort(SwitchModel model, Guid routerId)
    {
        var id = routerId.ToString();
        return model.Ports.Values.FirstOrDefault(p => p.DeviceOwner == GatewayOwner && p.DeviceId == id);
    }

    /// <summary>The router's interface ports.</summary>
    public static IEnumerable<PortSpec> Interfaces(SwitchModel model, Guid routerId)
    {
        var id = routerId.ToString();
        return model.Ports.Values.Where(p => p.IsRouterInterface && p.DeviceId == id);
    }

    /// <summary>The subnets the router has an interface on (each interface port's addresses' subnets).</summary>
    public static IEnumerable<(PortSpec Port, Subnet Subnet)> Subnets(SwitchModel model, Guid routerId) =>
        Interfaces(model, routerId).SelectMany(p => p.FixedIps
            .Select(ip => SubnetOperations.Holding(model, p.NetworkId, ip))
            .Where(s => s is not null)
            .Select(s => (p, s!)));

    public static ModelChange<Router> Create(SwitchModel model, RouterBody request, OperationContext context)
    {
        var before = model;
        var name = NeutronAttributes.Name(request.Name);
        var description = NeutronAttributes.Description(request.Description);
        var project = NeutronAttributes.Project(request.ProjectId, context);
        var now = context.Now();
        var router = new Router(context.NewId(), name, project)
        {
            Description = description,
            AdminStateUp = request.AdminStateUp ?? true,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (request.Routes is { Count: > 0 } routes)
        {
            // A new router has no interfaces: no next hop is connected yet.
            throw NeutronErrors.InvalidRoutes(RoutesText(routes), "the nexthop is not connected with router");
        }
        if (request.Gateway is { } gateway)
        {
            (model, router) = SetGateway(model, router, gateway, context);
        }
        return new ModelChange<Router>(QuotaOperations.Enforce(before, model with { Routers = model.Routers.Add(router.Id, router) }, context), router);
    }

    public static ModelChange<Router> Update(SwitchModel model, Guid id, RouterBody request, OperationContext context)
    {
        var original = Get(model, id, context);
        NeutronAttributes.RefuseProjectChange(request.ProjectId, original.ProjectId);
        var before = model;
        var router = original;
        if (request.Gateway is { } gateway)
        {
            (model, router) = SetGateway(model, router, gateway, context);
        }
        else if (request.ClearGateway && router.ExternalGateway is { } old)
        {
            if (model.FloatingIps.Values.Any(f => f.RouterId == router.Id))
            {
                throw NeutronErrors.RouterExternalGatewayInUseByFloatingIp(router.Id, old.NetworkId);
            }
            var port = GatewayPort(model, router.Id);
            router = router with { ExternalGateway = null };
            model = port is null ? model : model with { Ports = model.Ports.Remove(port.Id) };
        }
        var updated = router with
        {
            Name = request.Name is null ? router.Name : NeutronAttributes.Name(request.Name),
            Description = request.Description is null ? router.Description : NeutronAttributes.Description(request.Description),
            AdminStateUp = request.AdminStateUp ?? router.AdminStateUp,
            Routes = request.Routes is null ? router.Routes : ValidateRoutes(model, router.Id, request.Routes),
        };
        if (updated == original && ReferenceEquals(model.Ports, before.Ports))
        {
            return new ModelChange<Router>(before, original);
        }
        updated = updated with { RevisionNumber = original.RevisionNumber + 1, UpdatedAt = context.Now() };
        return new ModelChange<Router>(model with { Routers = model.Routers.SetItem(id, updated) }, updated);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id, OperationContext context)
    {
        Get(model, id, context);
        if (Interfaces(model, id).Any() || model.FloatingIps.Values.Any(f => f.RouterId == id))
        {
            throw NeutronErrors.RouterInUse(id);
        }
        var gateway = GatewayPort(model, id);
        return model with
        {
            Routers = model.Routers.Remove(id),
            Ports = gateway is null ? model.Ports : model.Ports.Remove(gateway.Id),
        };
    }

    /// <summary>Sets (or changes) the router's gateway: the port on the external network, and SNAT's setting.</summary>
    private static (SwitchModel, Router) SetGateway(SwitchModel model, Router router, GatewayBody request, OperationContext context)
    {
        var networkId = request.NetworkId ?? throw NeutronErrors.InvalidAttribute("external_gateway_info", "network_id is required");
        // An external network is every project's to use, as Neutron's external-net extension makes it visible to all.
        if (!model.Networks.TryGetValue(networkId, out var network) || !(network.External || context.CanSee(network.ProjectId)))
        {
            throw NeutronErrors.NetworkNotFound(networkId);
        }
        if (!network.External)
        {
            throw NeutronErrors.NetworkNotExternal(networkId);
        }
        var existing = GatewayPort(model, router.Id);
        if (router.ExternalGateway is { } old && old.NetworkId != networkId && model.FloatingIps.Values.Any(f => f.RouterId == router.Id))
        {
            throw NeutronErrors.RouterExternalGatewayInUseByFloatingIp(router.Id, old.NetworkId);
        }
        if (existing is not null && (existing.NetworkId != networkId || request.ExternalFixedIps is not null))
        {
            model = model with { Ports = model.Ports.Remove(existing.Id) };
            existing = null;
        }
        if (existing is null)
        {
            var id = context.NewId();
            var now = context.Now();
            var port = new PortSpec(id, "", networkId, "", PortOperations.FreeMac(model, networkId, id))
            {
                ProjectId = ProjectId.None,
                PortSecurityEnabled = false,
                DeviceOwner = GatewayOwner,
                DeviceId = router.Id.ToString(),
                CreatedAt = now,
                UpdatedAt = now,
            };
            port = port with { FixedIps = PortOperations.ResolveFixedIps(model, port, request.ExternalFixedIps) };
            if (port.FixedIps.IsEmpty)
            {
                throw NeutronErrors.BadRequestMessage($"External network {networkId} has no subnet to give the router's gateway an address");
            }
            PortOperations.CheckUnique(model, port, context.PortTypes);
            model = model with { Ports = model.Ports.Add(port.Id, port) };
        }
        return (model, router with { ExternalGateway = new RouterGateway(networkId, EnableSnat: request.EnableSnat ?? true) });
    }

    /// <summary>Adds an interface on <paramref name="subnetId"/> (a new port at its gateway) or <paramref name="portId"/>.</summary>
    public static ModelChange<RouterInterfaceInfo> AddInterface(SwitchModel model, Guid routerId, Guid? subnetId, Guid? portId, OperationContext context)
    {
        var router = Get(model, routerId, context);
        if (subnetId is not null && portId is not null)
        {
            throw NeutronErrors.BadRequestMessage("Cannot specify both subnet-id and port-id");
        }
        PortSpec port;
        Subnet subnet;
        if (portId is { } pid)
        {
            port = PortOperations.Get(model, pid, context);
            if (port.DeviceId.Length != 0 || port.Device.Length != 0)
            {
                throw NeutronErrors.PortInUse(port.Id, port.NetworkId, port.DeviceId.Length != 0 ? port.DeviceId : port.Device);
            }
            var subnets = port.FixedIps.Select(ip => SubnetOperations.Holding(model, port.NetworkId, ip)).ToList();
            if (subnets.Count == 0 || subnets.Any(s => s is null))
            {
                throw NeutronErrors.BadRequestMessage("Router port must have at least one fixed IP, each on a subnet");
            }
            if (subnets.Count(s => s!.IpVersion == 4) > 1)
            {
                throw NeutronErrors.BadRequestMessage($"Cannot have multiple IPv4 subnets on router port {port.Id}");
            }
            subnet = subnets[0]!;
            foreach (var s in subnets)
            {
                CheckNoOverlap(model, router.Id, s!);
            }
            port = port with
            {
                DeviceOwner = InterfaceOwner,
                DeviceId = router.Id.ToString(),
                PortSecurityEnabled = false,
                SecurityGroupIds = [],
                AllowedAddressPairs = [],
                RevisionNumber = port.RevisionNumber + 1,
                UpdatedAt = context.Now(),
            };
        }
        else
        {
            var sid = subnetId ?? throw NeutronErrors.BadRequestMessage("Either subnet_id or port_id must be specified");
            subnet = SubnetOperations.Get(model, sid, context);
            var gateway = subnet.GatewayIp ?? throw NeutronErrors.BadRequestMessage($"Bad router request: Subnet for router interface must have a gateway IP.");
            CheckNoOverlap(model, router.Id, subnet);
            var now = context.Now();
            var id = context.NewId();
            port = new PortSpec(id, "", subnet.NetworkId, "", PortOperations.FreeMac(model, subnet.NetworkId, id))
            {
                ProjectId = router.ProjectId,
                FixedIps = [gateway],
                PortSecurityEnabled = false,
                DeviceOwner = InterfaceOwner,
                DeviceId = router.Id.ToString(),
                CreatedAt = now,
                UpdatedAt = now,
            };
        }
        PortOperations.CheckUnique(model, port, context.PortTypes);
        var after = model with { Ports = model.Ports.SetItem(port.Id, port) };
        return new ModelChange<RouterInterfaceInfo>(after, new RouterInterfaceInfo(router.Id, port.Id, subnet.Id, subnet.NetworkId, router.ProjectId));
    }

    /// <summary>Removes the interface on <paramref name="subnetId"/> or <paramref name="portId"/> (both: they must agree), deleting its port.</summary>
    public static ModelChange<RouterInterfaceInfo> RemoveInterface(SwitchModel model, Guid routerId, Guid? subnetId, Guid? portId, OperationContext context)
    {
        var router = Get(model, routerId, context);
        var attached = Subnets(model, router.Id).ToList();
        (PortSpec Port, Subnet Subnet) found;
        if (portId is { } pid)
        {
            var matches = attached.Where(a => a.Port.Id == pid).ToList();
            if (matches.Count == 0)
            {
                throw NeutronErrors.RouterInterfaceNotFound(router.Id, pid);
            }
            found = subnetId is { } sid
                ? matches.FirstOrDefault(a => a.Subnet.Id == sid) is { Port: not null } m ? m
                    : throw NeutronErrors.BadRequestMessage($"Subnet {sid} does not match the subnets of port {pid}")
                : matches[0];
        }
        else
        {
            var sid = subnetId ?? throw NeutronErrors.BadRequestMessage("Either subnet_id or port_id must be specified");
            found = attached.FirstOrDefault(a => a.Subnet.Id == sid) is { Port: not null } m ? m
                : throw NeutronErrors.RouterInterfaceNotFoundForSubnet(router.Id, sid);
        }
        // As Neutron: by subnet, a port that routes other subnets too only loses that subnet's addresses; by port, the
        // port goes with all its subnets, each of which must be free to go.
        var onlyTheSubnet = portId is null && attached.Where(a => a.Port.Id == found.Port.Id).Select(a => a.Subnet.Id).Distinct().Count() > 1;
        var remaining = attached.Where(a => onlyTheSubnet ? a.Subnet.Id != found.Subnet.Id : a.Port.Id != found.Port.Id).Select(a => a.Subnet).ToList();
        var leaving = onlyTheSubnet ? [found.Subnet] : attached.Where(a => a.Port.Id == found.Port.Id).Select(a => a.Subnet).DistinctBy(s => s.Id).ToList();
        foreach (var subnet in leaving)
        {
            if (model.FloatingIps.Values.Any(f => f.RouterId == router.Id && f.FixedIpAddress is { } ip && subnet.Cidr.Contains(ip.Address, ip.Family)))
            {
                throw new NeutronException(409, "RouterInterfaceInUseByFloatingIP",
                    $"Router interface for subnet {subnet.Id} on router {router.Id} cannot be deleted, as it is required by one or more floating IPs.");
            }
            foreach (var route in router.Routes)
            {
                if (subnet.Cidr.Contains(route.NextHop.Address, route.NextHop.Family)
                    && !remaining.Any(s => s.Cidr.Contains(route.NextHop.Address, route.NextHop.Family)))
                {
                    throw NeutronErrors.RouterInterfaceInUseByRoute(router.Id, subnet.Id);
                }
            }
        }
        var after = onlyTheSubnet
            ? model with
            {
                Ports = model.Ports.SetItem(found.Port.Id, found.Port with
                {
                    FixedIps = [.. found.Port.FixedIps.Where(ip => !found.Subnet.Cidr.Contains(ip.Address, ip.Family))],
                    RevisionNumber = found.Port.RevisionNumber + 1,
                    UpdatedAt = context.Now(),
                }),
            }
            : NetworkLogOperations.WithoutPort(model with { Ports = model.Ports.Remove(found.Port.Id) }, found.Port.Id);
        return new ModelChange<RouterInterfaceInfo>(after,
            new RouterInterfaceInfo(router.Id, found.Port.Id, found.Subnet.Id, found.Subnet.NetworkId, router.ProjectId));
    }

    private static void CheckNoOverlap(SwitchModel model, Guid routerId, Subnet subnet)
    {
        foreach (var (_, other) in Subnets(model, routerId))
        {
            if (other.Id == subnet.Id)
            {
                throw NeutronErrors.BadRequestMessage($"Bad router request: Router already has a port on subnet {subnet.Id}.");
            }
            if (other.Cidr.Family == subnet.Cidr.Family
                && (other.Cidr.Contains(subnet.Cidr.Address, subnet.Cidr.Family) || subnet.Cidr.Contains(other.Cidr.Address, other.Cidr.Family)))
            {
                throw NeutronErrors.BadRequestMessage(
                    $"Bad router request: Cidr {subnet.Cidr} of subnet {subnet.Id} overlaps with cidr {other.Cidr} of subnet {other.Id}.");
            }
        }
    }

    private static EquatableArray<HostRoute> ValidateRoutes(SwitchModel model, Guid routerId, IReadOnlyList<(string? Destination, string? NextHop)> requested)
    {
        if (requested.Count > MaxRoutes)
        {
            throw NeutronErrors.BadRequestMessage($"Unable to complete operation for {routerId}. The number of routes exceeds the maximum {MaxRoutes}.");
        }
        // The gateway's subnets are connected too (Neutron checks every port of the router).
        var connected = Subnets(model, routerId).ToList();
        if (GatewayPort(model, routerId) is { } gateway)
        {
            connected.AddRange(gateway.FixedIps.Select(ip => SubnetOperations.Holding(model, gateway.NetworkId, ip)).Where(s => s is not null).Select(s => (gateway, s!)));
        }
        var routes = new List<HostRoute>();
        foreach (var (destinationText, nextHopText) in requested)
        {
            var text = $"[{{'destination': '{destinationText}', 'nexthop': '{nextHopText}'}}]";
            if (!IpPrefix.TryParse(destinationText, out var destination) || !(destinationText ?? "").Contains('/', StringComparison.Ordinal)
                || !IpPrefix.TryParseHost(nextHopText, out var nextHop))
            {
                throw NeutronErrors.InvalidRoutes(text, "a destination CIDR and a nexthop address are required");
            }
            if (destination.Family != nextHop.Family)
            {
                throw NeutronErrors.InvalidRoutes(text, "the destination and the nexthop are of different IP versions");
            }
            if (!connected.Any(c => c.Subnet.Cidr.Contains(nextHop.Address, nextHop.Family)))
            {
                throw NeutronErrors.InvalidRoutes(text, "the nexthop is not connected with router");
            }
            if (connected.Any(c => c.Port.FixedIps.Contains(nextHop)))
            {
                throw NeutronErrors.InvalidRoutes(text, "the nexthop is used by router");
            }
            var route = new HostRoute(destination.Network, nextHop);
            if (!routes.Contains(route))
            {
                routes.Add(route);
            }
        }
        return routes.ToEquatableArray();
    }

    private static string RoutesText(IReadOnlyList<(string? Destination, string? NextHop)> routes) =>
        "[" + string.Join(", ", routes.Select(r => $"{{'destination': '{r.Destination}', 'nexthop': '{r.NextHop}'}}")) + "]";
}
