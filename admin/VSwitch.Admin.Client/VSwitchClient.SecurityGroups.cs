using System.Text.Json;
using System.Text.Json.Nodes;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary><c>/v2.0/security-groups</c> and <c>/v2.0/security-group-rules</c> (rules are created one at a time or in bulk, all or nothing).</summary>
public sealed partial class VSwitchClient
{
    public Task<List<SecurityGroup>> ListSecurityGroupsAsync(IEnumerable<KeyValuePair<string, string>>? filters = null, CancellationToken cancellation = default) =>
        ListAsync("v2.0/security-groups", "security_groups", Json.ListSecurityGroup, filters, cancellation);

    /// <summary>Every security group, read again only when the groups changed since <paramref name="known"/> was read.</summary>
    public Task<Versioned<List<SecurityGroup>>> ListSecurityGroupsIfChangedAsync(Versioned<List<SecurityGroup>>? known, CancellationToken cancellation = default) =>
        ListIfChangedAsync("v2.0/security-groups", "security_groups", Json.ListSecurityGroup, known, cancellation);

    public Task<SecurityGroup> GetSecurityGroupAsync(string id, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/security-groups/{Escape(id)}", "security_group", Json.SecurityGroup, null, cancellation);

    public Task<SecurityGroup> FindSecurityGroupAsync(string nameOrId, CancellationToken cancellation = default) =>
        FindAsync("security group", nameOrId, GetSecurityGroupAsync, (name, c) => ListSecurityGroupsAsync([new("name", name)], c), cancellation);

    public Task<SecurityGroup> CreateSecurityGroupAsync(SecurityGroupRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/security-groups", "security_group", Json.SecurityGroup,
            Envelope("security_group", request, Json.SecurityGroupRequest), cancellation);

    public Task<SecurityGroup> UpdateSecurityGroupAsync(string id, SecurityGroupRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/security-groups/{Escape(id)}", "security_group", Json.SecurityGroup,
            Envelope("security_group", request, Json.SecurityGroupRequest), cancellation);

    public Task DeleteSecurityGroupAsync(string id, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/security-groups/{Escape(id)}", null, cancellation);

    public Task<List<SecurityGroupRule>> ListSecurityGroupRulesAsync(IEnumerable<KeyValuePair<string, string>>? filters = null, CancellationToken cancellation = default) =>
        ListAsync("v2.0/security-group-rules", "security_group_rules", Json.ListSecurityGroupRule, filters, cancellation);

    public Task<SecurityGroupRule> GetSecurityGroupRuleAsync(string id, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/security-group-rules/{Escape(id)}", "security_group_rule", Json.SecurityGroupRule, null, cancellation);

    public Task<SecurityGroupRule> CreateSecurityGroupRuleAsync(SecurityGroupRuleRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/security-group-rules", "security_group_rule", Json.SecurityGroupRule,
            Envelope("security_group_rule", request, Json.SecurityGroupRuleRequest), cancellation);

    /// <summary>Creates all <paramref name="requests"/> in one atomic request (Neutron bulk create): all are created or none.</summary>
    public async Task<List<SecurityGroupRule>> CreateSecurityGroupRulesAsync(IEnumerable<SecurityGroupRuleRequest> requests, CancellationToken cancellation = default)
    {
        var body = new JsonObject
        {
            ["security_group_rules"] = new JsonArray([.. requests.Select(r => JsonSerializer.SerializeToNode(r, Json.SecurityGroupRuleRequest))]),
        };
        var root = await SendAsync(HttpMethod.Post, "v2.0/security-group-rules", body, cancellation);
        return Member(root, "security_group_rules").Deserialize(Json.ListSecurityGroupRule) ?? [];
    }

    public Task DeleteSecurityGroupRuleAsync(string id, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/security-group-rules/{Escape(id)}", null, cancellation);
}
