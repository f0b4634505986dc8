using Microsoft.AspNetCore.Http;
using VSwitch.Control;
using VSwitch.Control.Model;
using VSwitch.Dataplane.Ports;

namespace VSwitch.Daemon.Api;

/// <summary>
/// What every endpoint needs: the model owner, the reconciler (port statuses), the clock, and the caller's project.
/// </summary>
/// <remarks>
/// <para><b>Who asks.</b> Over the Unix socket, the operator: admin (sees every project), acting for the project in the
/// <c>X-Project-Id</c> header (what Keystone's middleware would set), else for <see cref="DefaultProject"/> (the
/// configuration's <c>project</c>, <c>admin</c> by default). Over TCP, whoever the token is (<see cref="ApiTokens"/>): an
/// admin token acts as the operator (its project, if it names one, instead of the default); a member token acts for its
/// project only (the header is ignored), sees only that project's objects and may not use the admin-only calls
/// (<see cref="RequireAdmin"/>).</para>
/// <para><b>Thread-safety.</b> Immutable; <see cref="ModelService"/> serialises the writes.</para>
/// </remarks>
public sealed class ApiContext(
    ModelService models, Reconciler reconciler, TimeProvider time, ProjectId defaultProject, PortTypes portTypes, QuotaLimits? quotaDefaults = null,
    EquatableArray<PresetGroup>? presets = null)
{
    public ModelService Models { get; } = models;

    public Reconciler Reconciler { get; } = reconciler;

    public ProjectId DefaultProject { get; } = defaultProject;

    /// <summary>The groups a project gets next to <c>default</c> (the configuration's <c>preset_groups</c>).</summary>
    public EquatableArray<PresetGroup> Presets { get; } = presets ?? ProjectDefaults.ShippedPresets;

    /// <summary>The quota of a project without overrides (the configuration's <c>quotas</c>).</summary>
    public QuotaLimits QuotaDefaults { get; } = quotaDefaults ?? QuotaLimits.NeutronDefaults;

    /// <summary>The operation context of a request.</summary>
    public OperationContext For(HttpContext http)
    {
        var caller = http.Items[TokenAuthentication.CallerKey] as Caller ?? Caller.Operator;
        var header = http.Request.Headers["X-Project-Id"].FirstOrDefault();
        var project = !caller.IsAdmin ? caller.Project!.Value
            : !string.IsNullOrEmpty(header) ? ProjectId.Parse(header)
            : caller.Project ?? DefaultProject;
        return new OperationContext(
            project,
            Guid.NewGuid,
            time.GetUtcNow,
            Presets,
            IsAdmin: caller.IsAdmin)
        {
            PortTypes = portTypes,
            QuotaDefaults = QuotaDefaults,
        };
    }

    /// <summary>Refuses a caller that is not admin (Neutron's policy: 403 <c>PolicyNotAuthorized</c>).</summary>
    public OperationContext RequireAdmin(HttpContext http, string action)
    {
        var context = For(http);
        return context.IsAdmin ? context : throw NeutronErrors.PolicyNotAuthorized(action);
    }

    /// <summary>
    /// Neutron creates a project's <c>default</c> group when it lists groups or rules; so do we (a durable change, made
    /// only when the group is missing).
    /// </summary>
    public void EnsureProject(OperationContext context)
    {
        if (!context.ProjectId.IsNone && Models.Current.DefaultGroupOf(context.ProjectId) is null)
        {
            Models.Execute(model => ProjectDefaults.EnsureProject(model, context.ProjectId, context));
        }
    }
}
