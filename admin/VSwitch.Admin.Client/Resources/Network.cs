using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>A network as the API shows it (<c>GET /v2.0/networks/{id}</c>); an isolated L2 segment.</summary>
public sealed record Network
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("admin_state_up")] public bool AdminStateUp { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("mtu")] public int? Mtu { get; set; }
    [JsonPropertyName("vlan_transparent")] public bool? VlanTransparent { get; set; }
    [JsonPropertyName("router:external")] public bool? External { get; set; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("revision_number")] public long RevisionNumber { get; set; }
    [JsonPropertyName("created_at")] public string? CreatedAt { get; set; }
    [JsonPropertyName("updated_at")] public string? UpdatedAt { get; set; }
}

/// <summary>The attributes of a network create or update; null members are not sent (left as they are).</summary>
public sealed record NetworkRequest
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("admin_state_up")] public bool? AdminStateUp { get; set; }
    [JsonPropertyName("mtu")] public int? Mtu { get; set; }
    [JsonPropertyName("vlan_transparent")] public bool? VlanTransparent { get; set; }
    [JsonPropertyName("router:external")] public bool? External { get; set; }
}
