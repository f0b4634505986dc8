namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's floating IPs (<c>neutron/db/l3_db.py</c>): create on an external network (an address allocated or given),
/// associate with a port's fixed IP, disassociate, delete.
/// </summary>
/// <remarks>
/// <para><b>Address.</b> A port the switch owns (<see cref="AddressOwner"/>, <c>device_id</c> the floating IP) holds it
/// on the external network: IPAM allocates it (<c>floating_ip_address</c> or <c>subnet_id</c> chosen, as a port's fixed IP)
/// and it can be nobody else's. The network must have <c>router:external</c> (400 otherwise).</para>
/// <para><b>Association</b> (<c>port_id</c>, optional <c>fixed_ip_address</c>): the port's IPv4 fixed IP (the one given, or
/// its only one: several need <c>fixed_ip_address</c>, 400) must be on a subnet of a router whose gateway is on the
/// floating network (<c>ExternalGatewayForFloatingIPNotFound</c>, 404); that router translates it. A fixed IP takes one
/// floating IP (<c>FloatingIPPortAlreadyAssociated</c>, 409). A port's delete disassociates its floating IPs; a
/// router's interface or gateway they need cannot be removed.</para>
/// </remarks>
public static class FloatingIpOperations
{
    /// <summary>Neutron's <c>device_owner</c> of the port that holds a floating IP's address.</summary>
    public const string AddressOwner = "network:floatingip";

    public static IEnumerable<FloatingIp> List(SwitchModel model, OperationContext context) =>
        model.FloatingIps.Values.Where(f => context.CanSee(f.ProjectId));

    public static FloatingIp Get(SwitchModel model, Guid id, OperationContext context) =>
        model.FloatingIps.TryGetValue(id, out var fip) && context.CanSee(fip.ProjectId) ? fip : throw NeutronErrors.FloatingIpNotFound(id);

    public static ModelChange<FloatingIp> Create(SwitchModel model, FloatingIpBody request, OperationContext context)
    {
        var project = NeutronAttributes.Project(request.ProjectId, context);
        var description = NeutronAttributes.Description(request.Description);
        var networkId = request.FloatingNetworkId ?? throw NeutronErrors.MissingAttribute("floating_network_id");
        if (!model.Networks.TryGetValue(networkId, out var network))
        {
            throw NeutronErrors.NetworkNotFound(networkId);
        }
        if (!network.External)
        {
            throw NeutronErrors.NetworkNotExternal(networkId);
        }
        var id = context.NewId();
        var now = context.Now();
        var portId = context.NewId();
        var holder = new PortSpec(portId, "", networkId, "", PortOperations.FreeMac(model, networkId, portId))
        {
            ProjectId = project,
            PortSecurityEnabled = false,
            DeviceOwner = AddressOwner,
            DeviceId = id.ToString(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        var wanted = request.FloatingIpAddress is null && request.SubnetId is null ? null
            : new List<FixedIpBody> { new(request.FloatingIpAddress, request.SubnetId) };
        holder = holder with
        {
            FixedIps = [.. PortOperations.ResolveFixedIps(model, holder, wanted).Where(ip => ip.Family == Ethertype.IPv4).Take(1)],
        };
        if (holder.FixedIps.IsEmpty)
        {
            throw new NeutronException(409, "ExternalIpAddressExhausted", $"Unable to find any IP address on external network {networkId}.");
        }
        PortOperations.CheckUnique(model, holder, context.PortTypes);
        var fip = new FloatingIp(id, project, networkId, holder.FixedIps[0])
        {
            Description = description,
            CreatedAt = now,
            UpdatedAt = now,
        };
        if (request.PortId is { } associate)
        {
            fip = Associate(model, fip, associate, request.FixedIpAddress, context);
        }
        return new ModelChange<FloatingIp>(QuotaOperations.Enforce(model, model with
        {
            Ports = model.Ports.Add(holder.Id, holder),
            FloatingIps = model.FloatingIps.Add(fip.Id, fip),
        }, context), fip);
    }

    public static ModelChange<FloatingIp> Update(SwitchModel model, Guid id, FloatingIpBody request, OperationContext context)
    {
        var fip = Get(model, id, context);
        if (request.FloatingNetworkId is not null || request.FloatingIpAddress is not null || request.SubnetId is not null)
        {
            throw NeutronErrors.ReadOnlyAttribute(request.FloatingNetworkId is not null ? "floating_network_id" : request.SubnetId is not null ? "subnet_id" : "floating_ip_address");
        }
        NeutronAttributes.RefuseProjectChange(request.ProjectId, fip.ProjectId);
        var updated = fip with { Description = request.Description is null ? fip.Description : NeutronAttributes.Description(request.Description) };
        if (request.Disassociate)
        {
            updated = updated with { PortId = null, FixedIpAddress = null, RouterId = null };
        }
        else if (request.PortId is { } portId)
        {
            updated = Associate(model, updated with { PortId = null, FixedIpAddress = null, RouterId = null }, portId, request.FixedIpAddress, context);
        }
        if (updated == fip)
        {
            return new ModelChange<FloatingIp>(model, fip);
        }
        updated = updated with { RevisionNumber = fip.RevisionNumber + 1, UpdatedAt = context.Now() };
        return new ModelChange<FloatingIp>(model with { FloatingIps = model.FloatingIps.SetItem(id, updated) }, updated);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id, OperationContext context)
    {
        Get(model, id, context);
        var key = id.ToString();
        var holders = model.Ports.Values.Where(p => p.DeviceOwner == AddressOwner && p.DeviceId == key).Select(p => p.Id);
        return model with { FloatingIps = model.FloatingIps.Remove(id), Ports = model.Ports.RemoveRange(holders) };
    }

    /// <summary>The floating IP translated to the port's fixed IP (see the class remarks), or a Neutron error.</summary>
    private static FloatingIp Associate(SwitchModel model, FloatingIp fip, Guid portId, string? fixedIpText, OperationContext context)
    {
        var port = PortOperations.Get(model, portId, context);
        if (port.IsServicePort)
        {
            throw NeutronErrors.BadRequestMessage($"Port {portId} belongs to the switch ({port.DeviceOwner}) and cannot have a floating IP");
        }
        IpPrefix fixedIp;
        if (fixedIpText is not null)
        {
            if (!IpPrefix.TryParseHost(fixedIpText, out fixedIp) || !port.FixedIps.Contains(fixedIp))
            {
                throw NeutronErrors.BadRequestMessage($"Port {portId} does not have fixed ip {fixedIpText}");
            }
        }
        else
        {
            var ipv4 = port.FixedIps.Where(ip => ip.Family == Ethertype.IPv4).ToList();
            fixedIp = ipv4.Count switch
            {
                0 => throw NeutronErrors.BadRequestMessage($"Bad floatingip request: Port {portId} does not have any IPv4 address"),
                1 => ipv4[0],
                _ => throw NeutronErrors.BadRequestMessage($"Port {portId} has multiple fixed IPv4 addresses. Must provide a specific IPv4 address when assigning a floating IP"),
            };
        }
        if (fixedIp.Family != Ethertype.IPv4)
        {
            throw NeutronErrors.BadRequestMessage($"Bad floatingip request: fixed ip {fixedIp.AddressText} is not IPv4");
        }
        var subnet = SubnetOperations.Holding(model, port.NetworkId, fixedIp)
            ?? throw NeutronErrors.BadRequestMessage($"Fixed ip {fixedIp.AddressText} of port {portId} is not on a subnet");
        var router = model.Routers.Values.FirstOrDefault(r => r.ExternalGateway?.NetworkId == fip.FloatingNetworkId
            && RouterOperations.Subnets(model, r.Id).Any(s => s.Subnet.Id == subnet.Id))
            ?? throw NeutronErrors.ExternalGatewayForFloatingIpNotFound(fip.FloatingNetworkId, subnet.Id, portId);
        if (model.FloatingIps.Values.FirstOrDefault(f => f.Id != fip.Id && f.PortId == portId && f.FixedIpAddress == fixedIp) is { } other)
        {
            throw NeutronErrors.FloatingIpPortAlreadyAssociated(fixedIp.AddressText, portId, other.Id);
        }
        return fip with { PortId = portId, FixedIpAddress = fixedIp, RouterId = router.Id };
    }
}
