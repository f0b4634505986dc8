using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>An address group (<c>GET /v2.0/address-groups/{id}</c>): CIDRs that rules name as their remote side.</summary>
public sealed record AddressGroup
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("addresses")] public List<string> Addresses { get; set; } = [];
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("revision_number")] public long RevisionNumber { get; set; }
    [JsonPropertyName("created_at")] public string? CreatedAt { get; set; }
    [JsonPropertyName("updated_at")] public string? UpdatedAt { get; set; }
}

/// <summary>An address group create or update; null members are not sent.</summary>
public sealed record AddressGroupRequest
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("addresses")] public List<string>? Addresses { get; set; }
}

/// <summary>The body of <c>add_addresses</c> and <c>remove_addresses</c>.</summary>
public sealed record AddressesRequest
{
    [JsonPropertyName("addresses")] public List<string> Addresses { get; set; } = [];
}
