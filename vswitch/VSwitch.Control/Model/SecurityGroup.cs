namespace VSwitch.Control.Model;

/// <summary>A Neutron security group: a named set of allow rules that ports are members of.</summary>
/// <remarks>
/// The rules are kept inside their group, in creation order, because every reader wants them per group (the rule
/// compiler unions the groups of a port; the API shows a group with its rules). Rule ids are unique across the model;
/// <see cref="SwitchModel.FindRule"/> finds one by id.
/// </remarks>
/// <param name="Id">Neutron-style UUID.</param>
/// <param name="Name">Free text; <c>default</c> is reserved for the project's default group.</param>
/// <param name="Description">Free text.</param>
/// <param name="ProjectId">The owning project.</param>
/// <param name="Stateful">True: connections allowed by a rule are tracked and their replies allowed. False: every
/// packet is matched on its own. A port's groups are all one or all the other.</param>
/// <param name="Rules">The rules, in creation order.</param>
public sealed record SecurityGroup(
    Guid Id,
    string Name,
    string Description,
    ProjectId ProjectId,
    bool Stateful,
    EquatableArray<SecurityGroupRule> Rules)
{
    /// <summary>The name of each project's default group.</summary>
    public const string DefaultName = "default";

    /// <summary>Neutron's <c>revision_number</c>: bumped by every update of the group and every rule added or removed.</summary>
    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Neutron's <c>tags</c> (<see cref="TagOperations"/>): sorted, no duplicates.</summary>
    public EquatableArray<string> Tags { get; init; } = EquatableArray<string>.Empty;

    /// <summary>True for the project's <c>default</c> group.</summary>
    public bool IsDefault => Name == DefaultName;
}
