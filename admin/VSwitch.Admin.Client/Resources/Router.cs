using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>A router (<c>GET /v2.0/routers/{id}</c>): it routes between the subnets it has interfaces on.</summary>
public sealed record Router
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("admin_state_up")] public bool AdminStateUp { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("routes")] public List<HostRoute> Routes { get; set; } = [];
    [JsonPropertyName("external_gateway_info")] public RouterGatewayInfo? ExternalGateway { get; set; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("revision_number")] public long RevisionNumber { get; set; }
    [JsonPropertyName("created_at")] public string? CreatedAt { get; set; }
    [JsonPropertyName("updated_at")] public string? UpdatedAt { get; set; }
}

/// <summary>A router create or update; null members are not sent (an empty <see cref="Routes"/> clears them).</summary>
public sealed record RouterRequest
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("admin_state_up")] public bool? AdminStateUp { get; set; }
    [JsonPropertyName("routes")] public List<HostRoute>? Routes { get; set; }

    /// <summary>The gateway to set; <see cref="ClearGateway"/> sends <c>external_gateway_info: {}</c> instead.</summary>
    [JsonPropertyName("external_gateway_info")] public RouterGatewayInfo? ExternalGateway { get; set; }

    [JsonIgnore] public bool ClearGateway { get; set; }
}

/// <summary>A router's gateway: the external network, SNAT, and its addresses there.</summary>
public sealed record RouterGatewayInfo
{
    [JsonPropertyName("network_id")] public string? NetworkId { get; set; }
    [JsonPropertyName("enable_snat")] public bool? EnableSnat { get; set; }
    [JsonPropertyName("external_fixed_ips")] public List<FixedIp>? ExternalFixedIps { get; set; }
}

/// <summary>A floating IP (<c>GET /v2.0/floatingips/{id}</c>): an external address translated 1:1 to a port's fixed IP.</summary>
public sealed record FloatingIp
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("floating_ip_address")] public string FloatingIpAddress { get; set; } = "";
    [JsonPropertyName("floating_network_id")] public string FloatingNetworkId { get; set; } = "";
    [JsonPropertyName("port_id")] public string? PortId { get; set; }
    [JsonPropertyName("fixed_ip_address")] public string? FixedIpAddress { get; set; }
    [JsonPropertyName("router_id")] public string? RouterId { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("revision_number")] public long RevisionNumber { get; set; }
    [JsonPropertyName("created_at")] public string? CreatedAt { get; set; }
    [JsonPropertyName("updated_at")] public string? UpdatedAt { get; set; }
}

/// <summary>A floating IP create or update; null members are not sent (<see cref="Disassociate"/> sends <c>port_id: null</c>).</summary>
public sealed record FloatingIpRequest
{
    [JsonPropertyName("floating_network_id")] public string? FloatingNetworkId { get; set; }
    [JsonPropertyName("floating_ip_address")] public string? FloatingIpAddress { get; set; }
    [JsonPropertyName("subnet_id")] public string? SubnetId { get; set; }
    [JsonPropertyName("port_id")] public string? PortId { get; set; }
    [JsonPropertyName("fixed_ip_address")] public string? FixedIpAddress { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonIgnore] public bool Disassociate { get; set; }
}

/// <summary>The answer to adding or removing a router interface.</summary>
public sealed record RouterInterface
{
    [JsonPropertyName("id")] public string RouterId { get; set; } = "";
    [JsonPropertyName("port_id")] public string PortId { get; set; } = "";
    [JsonPropertyName("subnet_id")] public string SubnetId { get; set; } = "";
    [JsonPropertyName("network_id")] public string NetworkId { get; set; } = "";
}
