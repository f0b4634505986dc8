using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>A project's quota limits (<c>GET /v2.0/quotas/{project}</c>); -1 is unlimited.</summary>
public sealed record Quota
{
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("network")] public int Network { get; set; }
    [JsonPropertyName("subnet")] public int Subnet { get; set; }
    [JsonPropertyName("port")] public int Port { get; set; }
    [JsonPropertyName("router")] public int Router { get; set; }
    [JsonPropertyName("floatingip")] public int FloatingIp { get; set; }
    [JsonPropertyName("security_group")] public int SecurityGroup { get; set; }
    [JsonPropertyName("security_group_rule")] public int SecurityGroupRule { get; set; }
}

/// <summary>A quota update: null members are left as they are.</summary>
public sealed record QuotaRequest
{
    [JsonPropertyName("network")] public int? Network { get; set; }
    [JsonPropertyName("subnet")] public int? Subnet { get; set; }
    [JsonPropertyName("port")] public int? Port { get; set; }
    [JsonPropertyName("router")] public int? Router { get; set; }
    [JsonPropertyName("floatingip")] public int? FloatingIp { get; set; }
    [JsonPropertyName("security_group")] public int? SecurityGroup { get; set; }
    [JsonPropertyName("security_group_rule")] public int? SecurityGroupRule { get; set; }
}

/// <summary>One resource's limit and usage (<c>GET /v2.0/quotas/{project}/details</c>).</summary>
public sealed record QuotaUsage
{
    [JsonPropertyName("limit")] public int Limit { get; set; }
    [JsonPropertyName("used")] public int Used { get; set; }
    [JsonPropertyName("reserved")] public int Reserved { get; set; }
}
