using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>
/// A security group rule as the API shows it. For ICMP, <see cref="PortRangeMin"/> is the type and
/// <see cref="PortRangeMax"/> the code, as in Neutron.
/// </summary>
public sealed record SecurityGroupRule
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("security_group_id")] public string SecurityGroupId { get; set; } = "";
    [JsonPropertyName("direction")] public string Direction { get; set; } = "";
    [JsonPropertyName("ethertype")] public string Ethertype { get; set; } = "";
    [JsonPropertyName("protocol")] public string? Protocol { get; set; }
    [JsonPropertyName("port_range_min")] public int? PortRangeMin { get; set; }
    [JsonPropertyName("port_range_max")] public int? PortRangeMax { get; set; }
    [JsonPropertyName("remote_ip_prefix")] public string? RemoteIpPrefix { get; set; }
    [JsonPropertyName("remote_group_id")] public string? RemoteGroupId { get; set; }
    [JsonPropertyName("remote_address_group_id")] public string? RemoteAddressGroupId { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("revision_number")] public long RevisionNumber { get; set; }
    [JsonPropertyName("created_at")] public string? CreatedAt { get; set; }
    [JsonPropertyName("updated_at")] public string? UpdatedAt { get; set; }
}

/// <summary>The attributes of a rule create (rules are immutable); null members are not sent.</summary>
public sealed record SecurityGroupRuleRequest
{
    [JsonPropertyName("security_group_id")] public string SecurityGroupId { get; set; } = "";
    [JsonPropertyName("direction")] public string? Direction { get; set; }
    [JsonPropertyName("ethertype")] public string? Ethertype { get; set; }
    [JsonPropertyName("protocol")] public string? Protocol { get; set; }
    [JsonPropertyName("port_range_min")] public int? PortRangeMin { get; set; }
    [JsonPropertyName("port_range_max")] public int? PortRangeMax { get; set; }
    [JsonPropertyName("remote_ip_prefix")] public string? RemoteIpPrefix { get; set; }
    [JsonPropertyName("remote_group_id")] public string? RemoteGroupId { get; set; }
    [JsonPropertyName("remote_address_group_id")] public string? RemoteAddressGroupId { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
}
