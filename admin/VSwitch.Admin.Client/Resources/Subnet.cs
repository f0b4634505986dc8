using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>A subnet (<c>GET /v2.0/subnets/{id}</c>): an address range of a network that ports get their fixed IPs from.</summary>
public sealed record Subnet
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("network_id")] public string NetworkId { get; set; } = "";
    [JsonPropertyName("ip_version")] public int IpVersion { get; set; }
    [JsonPropertyName("cidr")] public string Cidr { get; set; } = "";
    [JsonPropertyName("gateway_ip")] public string? GatewayIp { get; set; }
    [JsonPropertyName("allocation_pools")] public List<AllocationPool> AllocationPools { get; set; } = [];
    [JsonPropertyName("enable_dhcp")] public bool EnableDhcp { get; set; }
    [JsonPropertyName("dns_nameservers")] public List<string> DnsNameservers { get; set; } = [];
    [JsonPropertyName("host_routes")] public List<HostRoute> HostRoutes { get; set; } = [];
    [JsonPropertyName("ipv6_ra_mode")] public string? Ipv6RaMode { get; set; }
    [JsonPropertyName("ipv6_address_mode")] public string? Ipv6AddressMode { get; set; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("revision_number")] public long RevisionNumber { get; set; }
    [JsonPropertyName("created_at")] public string? CreatedAt { get; set; }
    [JsonPropertyName("updated_at")] public string? UpdatedAt { get; set; }
}

/// <summary>An allocation pool: the first and last address of a range.</summary>
public sealed record AllocationPool
{
    [JsonPropertyName("start")] public string Start { get; set; } = "";
    [JsonPropertyName("end")] public string End { get; set; } = "";
}

/// <summary>A static route handed to a subnet's ports.</summary>
public sealed record HostRoute
{
    [JsonPropertyName("destination")] public string Destination { get; set; } = "";
    [JsonPropertyName("nexthop")] public string NextHop { get; set; } = "";
}

/// <summary>A subnet create or update; null members are not sent (<see cref="NoGateway"/> sends <c>gateway_ip: null</c>).</summary>
public sealed record SubnetRequest
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("network_id")] public string? NetworkId { get; set; }
    [JsonPropertyName("ip_version")] public int? IpVersion { get; set; }
    [JsonPropertyName("cidr")] public string? Cidr { get; set; }
    [JsonPropertyName("gateway_ip")] public string? GatewayIp { get; set; }
    [JsonIgnore] public bool NoGateway { get; set; }
    [JsonPropertyName("allocation_pools")] public List<AllocationPool>? AllocationPools { get; set; }
    [JsonPropertyName("enable_dhcp")] public bool? EnableDhcp { get; set; }
    [JsonPropertyName("dns_nameservers")] public List<string>? DnsNameservers { get; set; }
    [JsonPropertyName("host_routes")] public List<HostRoute>? HostRoutes { get; set; }
    [JsonPropertyName("ipv6_ra_mode")] public string? Ipv6RaMode { get; set; }
    [JsonPropertyName("ipv6_address_mode")] public string? Ipv6AddressMode { get; set; }
}
