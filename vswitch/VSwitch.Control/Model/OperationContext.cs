using VSwitch.Dataplane.Ports;

namespace VSwitch.Control.Model;

/// <summary>
/// Everything an operation needs besides the model and the request: who asks, how new ids and timestamps are made,
/// and the preset groups a project gets on first use.
/// </summary>
/// <remarks>
/// Passing the id generator and the clock in (rather than calling <see cref="Guid.NewGuid"/> and
/// <see cref="DateTimeOffset.UtcNow"/>) keeps every operation a pure function of its inputs: tests use a counter and a
/// fixed time, and a replay gives the same model.
/// </remarks>
/// <param name="ProjectId">The caller's project: the owner of what it creates unless the request names another.</param>
/// <param name="NewId">Makes the id of each new object (ports, networks, groups, rules).</param>
/// <param name="Now">The time stamped on created and updated objects.</param>
/// <param name="Presets">The groups created for each project next to <c>default</c> (see <see cref="ProjectDefaults"/>).</param>
/// <param name="IsAdmin">An admin sees every project's objects and may delete a <c>default</c> group; others see
/// only their project's (another project's object is "not found", as in Neutron).</param>
public sealed record OperationContext(
    ProjectId ProjectId,
    Func<Guid> NewId,
    Func<DateTimeOffset> Now,
    EquatableArray<PresetGroup> Presets,
    bool IsAdmin = true)
{
    /// <summary>
    /// The port types whose device strings ports may name (the daemon registers every type it has; a model built
    /// without it knows <c>memory</c> ports only). Devices are parsed by their type, never here.
    /// </summary>
    public PortTypes PortTypes { get; init; } = PortTypes.MemoryOnly;

    /// <summary>
    /// The quota limits of a project without overrides, or null where quotas are not enforced (the API passes the
    /// configuration's; the configuration file's own model and a project's automatic groups are not limited).
    /// </summary>
    public QuotaLimits? QuotaDefaults { get; init; }

    /// <summary>True if the caller may see an object of that project.</summary>
    public bool CanSee(ProjectId owner) => IsAdmin || owner == ProjectId;
}
