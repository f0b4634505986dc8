using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary><c>/v2.0/quotas</c>.</summary>
public sealed partial class VSwitchClient
{
    /// <summary>The projects whose quota differs from the defaults.</summary>
    public Task<List<Quota>> ListQuotasAsync(CancellationToken cancellation = default) =>
        ListAsync("v2.0/quotas", "quotas", Json.ListQuota, null, cancellation);

    public Task<Quota> GetQuotaAsync(string project, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/quotas/{Escape(project)}", "quota", Json.Quota, null, cancellation);

    public Task<Quota> GetDefaultQuotaAsync(string project, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/quotas/{Escape(project)}/default", "quota", Json.Quota, null, cancellation);

    /// <summary>Limit and usage per resource (network, port, security_group, security_group_rule).</summary>
    public Task<Dictionary<string, QuotaUsage>> GetQuotaDetailsAsync(string project, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/quotas/{Escape(project)}/details", "quota", Json.DictionaryStringQuotaUsage, null, cancellation);

    public Task<Quota> UpdateQuotaAsync(string project, QuotaRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/quotas/{Escape(project)}", "quota", Json.Quota, Envelope("quota", request, Json.QuotaRequest), cancellation);

    /// <summary>Back to the defaults.</summary>
    public Task DeleteQuotaAsync(string project, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/quotas/{Escape(project)}", null, cancellation);

    /// <summary>The project this client acts for (<c>GET /v2.0/quotas/project</c>).</summary>
    public async Task<string> GetOwnProjectAsync(CancellationToken cancellation = default)
    {
        var root = await SendAsync(HttpMethod.Get, "v2.0/quotas/project", null, cancellation);
        return (string?)Member(root, "project")["project_id"] ?? throw new VSwitchConnectionException($"{_where} answered without a project_id");
    }
}
