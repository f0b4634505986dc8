using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// The model's objects in Neutron v2.0's JSON shapes, as the OpenStack SDK and CLI expect them.
/// </summary>
/// <remarks>
/// <para><b>Shapes.</b> Every resource carries <c>project_id</c> and its old name <c>tenant_id</c>, the standard attributes
/// (<c>revision_number</c>, <c>created_at</c>/<c>updated_at</c> as <c>YYYY-MM-DDTHH:MM:SSZ</c>, <c>tags</c>) and the
/// attributes of the extensions listed by <c>GET /v2.0/extensions</c>. Fixed IPs are <c>{"subnet_id", "ip_address"}</c>
/// (the subnet holding the address, null on a network without subnets); a port's device is <c>binding:profile.device</c>.</para>
/// <para><b>Status.</b> A network is ACTIVE unless it is administratively down; a port's status is the reconciler's
/// (ACTIVE, DOWN or ERROR), DOWN for a port with no device.</para>
/// </remarks>
internal static class ResourceViews
{
    public static JsonObject Network(NetworkSpec n, SwitchModel model) => new()
    {
        ["id"] = n.Id.ToString(),
        ["name"] = n.Name,
        ["description"] = n.Description,
        ["admin_state_up"] = n.AdminStateUp,
        ["status"] = n.AdminStateUp ? "ACTIVE" : "DOWN",
        ["subnets"] = new JsonArray([.. SubnetOperations.Of(model, n.Id).Select(s => (JsonNode?)JsonValue.Create(s.Id.ToString()))]),
        ["shared"] = false,
        ["mtu"] = n.Mtu,
        ["vlan_transparent"] = n.VlanTransparent,
        ["port_security_enabled"] = true,
        ["router:external"] = n.External,
        ["availability_zone_hints"] = new JsonArray(),
        ["availability_zones"] = new JsonArray(),
        ["project_id"] = n.ProjectId.Value,
        ["tenant_id"] = n.ProjectId.Value,
        ["revision_number"] = n.RevisionNumber,
        ["created_at"] = Time(n.CreatedAt),
        ["updated_at"] = Time(n.UpdatedAt),
        ["tags"] = Tags(n.Tags),
    };

    public static JsonObject Port(PortSpec p, ImmutableDictionary<Guid, PortStatus> statuses, SwitchModel model) => new()
    {
        ["id"] = p.Id.ToString(),
        ["name"] = p.Name,
        ["description"] = p.Description,
        ["network_id"] = p.NetworkId.ToString(),
        ["mac_address"] = p.Mac?.ToString(),
        ["admin_state_up"] = p.AdminStateUp,
        ["status"] = statuses.TryGetValue(p.Id, out var s) ? s.State : PortStatus.Down,
        ["device_id"] = p.DeviceId,
        ["device_owner"] = p.DeviceOwner,
        ["fixed_ips"] = new JsonArray([.. p.FixedIps.Select(ip => (JsonNode)new JsonObject
        {
            ["subnet_id"] = SubnetOperations.Holding(model, p.NetworkId, ip)?.Id.ToString(),
            ["ip_address"] = ip.AddressText,
        })]),
        ["allowed_address_pairs"] = new JsonArray([.. p.AllowedAddressPairs.Select(a =>
            (JsonNode)new JsonObject { ["ip_address"] = a.IpAddressText, ["mac_address"] = a.MacAddress.ToString() })]),
        ["security_groups"] = new JsonArray([.. p.SecurityGroupIds.Select(id => (JsonNode)JsonValue.Create(id.ToString()))]),
        ["port_security_enabled"] = p.PortSecurityEnabled,
        ["binding:profile"] = Profile(p),
        ["binding:host_id"] = "",
        // Neutron's values: "unbound" without a device, "binding_failed" when the device could not be opened.
        ["binding:vif_type"] = p.Device.Length == 0 ? "unbound"
            : statuses.GetValueOrDefault(p.Id)?.State == PortStatus.Error ? "binding_failed" : "vswitch",
        ["binding:vif_details"] = VifDetails(statuses.GetValueOrDefault(p.Id)),
        ["binding:vnic_type"] = "normal",
        ["project_id"] = p.ProjectId.Value,
        ["tenant_id"] = p.ProjectId.Value,
        ["revision_number"] = p.RevisionNumber,
        ["created_at"] = Time(p.CreatedAt),
        ["updated_at"] = Time(p.UpdatedAt),
        ["tags"] = Tags(p.Tags),
    };

    /// <summary>
    /// <c>binding:profile</c>: the port's <c>device</c> and, when set on the port, its <c>conntrack_limit</c>
    /// (switch-specific keys; an empty object for a port with neither).
    /// </summary>
    private static JsonObject Profile(PortSpec p)
    {
        var profile = new JsonObject();
        if (p.Device.Length != 0)
        {
            profile["device"] = p.Device;
        }
        if (p.ConntrackLimit is { } limit)
        {
            profile["conntrack_limit"] = limit;
        }
        return profile;
    }

    /// <summary>
    /// Neutron's <c>binding:vif_details</c>, the driver's word on the binding: how the open port works (<c>queues</c>,
    /// <c>io</c> and <c>io_fallback</c> for TAP, <c>rx</c> for AF_PACKET) and <c>status_reason</c>, why the port is
    /// not ACTIVE. Keys sorted, values strings.
    /// </summary>
    private static JsonObject VifDetails(PortStatus? status)
    {
        var details = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in status?.Details ?? ImmutableDictionary<string, string>.Empty)
        {
            details[key] = value;
        }
        if (status?.Reason is { } reason)
        {
            details["status_reason"] = reason;
        }
        var json = new JsonObject();
        foreach (var (key, value) in details)
        {
            json[key] = value;
        }
        return json;
    }

    // shared: Neutron's attribute, true when an RBAC policy shares the group with the caller's project or everyone.
    public static JsonObject SecurityGroup(SecurityGroup g, bool shared) => new()
    {
        ["id"] = g.Id.ToString(),
        ["name"] = g.Name,
        ["description"] = g.Description,
        ["stateful"] = g.Stateful,
        ["shared"] = shared,
        ["security_group_rules"] = new JsonArray([.. g.Rules.Select(r => (JsonNode)Rule(r, g))]),
        ["project_id"] = g.ProjectId.Value,
        ["tenant_id"] = g.ProjectId.Value,
        ["revision_number"] = g.RevisionNumber,
        ["created_at"] = Time(g.CreatedAt),
        ["updated_at"] = Time(g.UpdatedAt),
        ["tags"] = Tags(g.Tags),
    };

    public static JsonObject Rule(SecurityGroupRule r, SecurityGroup? group) => new()
    {
        ["id"] = r.Id.ToString(),
        ["security_group_id"] = r.SecurityGroupId.ToString(),
        ["direction"] = r.Direction.ToNeutron(),
        ["ethertype"] = r.Ethertype.ToNeutron(),
        ["protocol"] = r.Protocol,
        ["port_range_min"] = r.PortRangeMin,
        ["port_range_max"] = r.PortRangeMax,
        ["remote_ip_prefix"] = r.RemoteIpPrefix?.ToString(),
        ["normalized_cidr"] = r.NormalizedCidr?.ToString(),
        ["remote_group_id"] = r.RemoteGroupId?.ToString(),
        ["remote_address_group_id"] = r.RemoteAddressGroupId?.ToString(),
        ["description"] = r.Description,
        ["belongs_to_default_sg"] = group?.IsDefault ?? false,
        ["project_id"] = r.ProjectId.Value,
        ["tenant_id"] = r.ProjectId.Value,
        ["revision_number"] = r.RevisionNumber,
        ["created_at"] = Time(r.CreatedAt),
        ["updated_at"] = Time(r.UpdatedAt),
        ["tags"] = Tags(r.Tags),
    };

    public static JsonObject Subnet(Subnet s) => new()
    {
        ["id"] = s.Id.ToString(),
        ["name"] = s.Name,
        ["description"] = s.Description,
        ["network_id"] = s.NetworkId.ToString(),
        ["ip_version"] = s.IpVersion,
        ["cidr"] = s.Cidr.ToString(),
        ["gateway_ip"] = s.GatewayIp?.AddressText,
        ["allocation_pools"] = new JsonArray([.. s.AllocationPools.Select(p => (JsonNode)new JsonObject { ["start"] = p.Start.AddressText, ["end"] = p.End.AddressText })]),
        ["enable_dhcp"] = s.EnableDhcp,
        ["dns_nameservers"] = new JsonArray([.. s.DnsNameservers.Select(d => (JsonNode?)JsonValue.Create(d.AddressText))]),
        ["host_routes"] = new JsonArray([.. s.HostRoutes.Select(r => (JsonNode)new JsonObject { ["destination"] = r.Destination.ToString(), ["nexthop"] = r.NextHop.AddressText })]),
        ["ipv6_ra_mode"] = s.Ipv6RaMode,
        ["ipv6_address_mode"] = s.Ipv6AddressMode,
        ["subnetpool_id"] = null,
        ["segment_id"] = null,
        ["service_types"] = new JsonArray(),
        ["project_id"] = s.ProjectId.Value,
        ["tenant_id"] = s.ProjectId.Value,
        ["revision_number"] = s.RevisionNumber,
        ["created_at"] = Time(s.CreatedAt),
        ["updated_at"] = Time(s.UpdatedAt),
        ["tags"] = Tags(s.Tags),
    };

    public static JsonObject Router(Router r, SwitchModel model) => new()
    {
        ["id"] = r.Id.ToString(),
        ["name"] = r.Name,
        ["description"] = r.Description,
        ["admin_state_up"] = r.AdminStateUp,
        ["status"] = "ACTIVE",
        ["external_gateway_info"] = r.ExternalGateway is { } gateway ? new JsonObject
        {
            ["network_id"] = gateway.NetworkId.ToString(),
            ["enable_snat"] = gateway.EnableSnat,
            ["external_fixed_ips"] = new JsonArray([.. (RouterOperations.GatewayPort(model, r.Id)?.FixedIps ?? []).Select(ip => (JsonNode)new JsonObject
            {
                ["subnet_id"] = SubnetOperations.Holding(model, gateway.NetworkId, ip)?.Id.ToString(),
                ["ip_address"] = ip.AddressText,
            })]),
        } : null,
        ["routes"] = new JsonArray([.. r.Routes.Select(x => (JsonNode)new JsonObject { ["destination"] = x.Destination.ToString(), ["nexthop"] = x.NextHop.AddressText })]),
        ["distributed"] = true,
        ["ha"] = false,
        ["flavor_id"] = null,
        ["availability_zone_hints"] = new JsonArray(),
        ["availability_zones"] = new JsonArray(),
        ["project_id"] = r.ProjectId.Value,
        ["tenant_id"] = r.ProjectId.Value,
        ["revision_number"] = r.RevisionNumber,
        ["created_at"] = Time(r.CreatedAt),
        ["updated_at"] = Time(r.UpdatedAt),
        ["tags"] = Tags(r.Tags),
    };

    public static JsonObject FloatingIp(FloatingIp f) => new()
    {
        ["id"] = f.Id.ToString(),
        ["floating_ip_address"] = f.FloatingIpAddress.AddressText,
        ["floating_network_id"] = f.FloatingNetworkId.ToString(),
        ["router_id"] = f.RouterId?.ToString(),
        ["port_id"] = f.PortId?.ToString(),
        ["fixed_ip_address"] = f.FixedIpAddress?.AddressText,
        ["status"] = f.Status,
        ["description"] = f.Description,
        ["port_forwardings"] = new JsonArray(),
        ["project_id"] = f.ProjectId.Value,
        ["tenant_id"] = f.ProjectId.Value,
        ["revision_number"] = f.RevisionNumber,
        ["created_at"] = Time(f.CreatedAt),
        ["updated_at"] = Time(f.UpdatedAt),
        ["tags"] = Tags(f.Tags),
    };

    public static JsonObject AddressGroup(AddressGroup g) => new()
    {
        ["id"] = g.Id.ToString(),
        ["name"] = g.Name,
        ["description"] = g.Description,
        ["addresses"] = new JsonArray([.. g.Addresses.Select(a => (JsonNode?)JsonValue.Create(a.ToString()))]),
        ["project_id"] = g.ProjectId.Value,
        ["tenant_id"] = g.ProjectId.Value,
        ["revision_number"] = g.RevisionNumber,
        ["created_at"] = Time(g.CreatedAt),
        ["updated_at"] = Time(g.UpdatedAt),
    };

    public static JsonArray Tags(EquatableArray<string> tags) => new([.. tags.Select(t => (JsonNode?)JsonValue.Create(t))]);

    public static JsonObject NetworkLog(NetworkLog l) => new()
    {
        ["id"] = l.Id.ToString(),
        ["name"] = l.Name,
        ["description"] = l.Description,
        ["resource_type"] = l.ResourceType,
        ["resource_id"] = l.ResourceId?.ToString(),
        ["target_id"] = l.TargetId?.ToString(),
        ["event"] = l.Event.ToNeutron(),
        ["enabled"] = l.Enabled,
        ["project_id"] = l.ProjectId.Value,
        ["tenant_id"] = l.ProjectId.Value,
        ["revision_number"] = l.RevisionNumber,
        ["created_at"] = Time(l.CreatedAt),
        ["updated_at"] = Time(l.UpdatedAt),
    };

    private static string? Time(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
