using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>An RBAC policy (<c>GET /v2.0/rbac-policies/{id}</c>): an object shared with a project or everyone (<c>*</c>).</summary>
public sealed record RbacPolicy
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("object_type")] public string ObjectType { get; set; } = "";
    [JsonPropertyName("object_id")] public string ObjectId { get; set; } = "";
    [JsonPropertyName("action")] public string Action { get; set; } = "";
    [JsonPropertyName("target_tenant")] public string Target { get; set; } = "";
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
}

/// <summary>An RBAC policy create (every member) or update (<c>target_tenant</c> only); null members are not sent.</summary>
public sealed record RbacPolicyRequest
{
    [JsonPropertyName("object_type")] public string? ObjectType { get; set; }
    [JsonPropertyName("object_id")] public string? ObjectId { get; set; }
    [JsonPropertyName("action")] public string? Action { get; set; }
    [JsonPropertyName("target_tenant")] public string? Target { get; set; }
}
