using Microsoft.AspNetCore.Http;
using VSwitch.Control;
using VSwitch.Control.Model;
using VSwitch.Dataplane.Ports;

namespace VSwitch.Daemon.Api;

/// <summary>
/// What every endpoint needs: the model owner, the reconciler (port statuses), the clock, and the caller's project.
/// </summary>
/// <remarks>
/// <para><b>Who asks.</b> The API has one kind of caller, the operator: every request is admin (sees every project)
/// and acts for the project in the <c>X-Project-Id</c> header (what Keystone's middleware would set), else for
/// <see cref="DefaultProject"/> (the configuration's <c>project</c>, <c>admin</c> by default). Objects still belong
/// to projects, and a port may use only its own project's groups.</para>
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
        var project = http.Request.Headers["X-Project-Id"].FirstOrDefault();
        return new OperationContext(
            string.IsNullOrEmpty(project) ? DefaultProject : ProjectId.Parse(project),
            Guid.NewGuid,
            time.GetUtcNow,
            Presets,
            IsAdmin: true)
        {
            PortTypes = portTypes,
            QuotaDefaults = QuotaDefaults,
        };
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
