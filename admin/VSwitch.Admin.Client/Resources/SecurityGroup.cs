using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>A security group with its rules, as the API shows it.</summary>
public sealed record SecurityGroup
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("stateful")] public bool Stateful { get; set; } = true;
    [JsonPropertyName("security_group_rules")] public IReadOnlyList<SecurityGroupRule> Rules { get; set; } = [];
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("revision_number")] public long RevisionNumber { get; set; }
    [JsonPropertyName("created_at")] public string? CreatedAt { get; set; }
    [JsonPropertyName("updated_at")] public string? UpdatedAt { get; set; }
}

/// <summary>The attributes of a security group create or update; null members are not sent.</summary>
public sealed record SecurityGroupRequest
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("stateful")] public bool? Stateful { get; set; }
}
