using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary><c>/v2.0/rbac-policies</c>.</summary>
public sealed partial class VSwitchClient
{
    public Task<List<RbacPolicy>> ListRbacPoliciesAsync(CancellationToken cancellation = default) =>
        ListAsync("v2.0/rbac-policies", "rbac_policies", Json.ListRbacPolicy, null, cancellation);

    public Task<RbacPolicy> GetRbacPolicyAsync(string id, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/rbac-policies/{Escape(id)}", "rbac_policy", Json.RbacPolicy, null, cancellation);

    public Task<RbacPolicy> CreateRbacPolicyAsync(RbacPolicyRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/rbac-policies", "rbac_policy", Json.RbacPolicy, Envelope("rbac_policy", request, Json.RbacPolicyRequest), cancellation);

    public Task<RbacPolicy> UpdateRbacPolicyAsync(string id, RbacPolicyRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/rbac-policies/{Escape(id)}", "rbac_policy", Json.RbacPolicy, Envelope("rbac_policy", request, Json.RbacPolicyRequest), cancellation);

    public Task DeleteRbacPolicyAsync(string id, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/rbac-policies/{Escape(id)}", null, cancellation);
}
