namespace VSwitch.Control.Model;

/// <summary>A network (an L2 segment) as the operator wants it.</summary>
/// <param name="Id">Neutron-style UUID.</param>
/// <param name="Name">Human name (unique among the configuration file's networks; Neutron does not require it).</param>
/// <param name="AdminStateUp">False: the network forwards nothing.</param>
public sealed record NetworkSpec(Guid Id, string Name, bool AdminStateUp = true)
{
    /// <summary>The owning project (<see cref="ProjectId.None"/> for configuration-file networks).</summary>
    public ProjectId ProjectId { get; init; }

    public string Description { get; init; } = "";

    /// <summary>Neutron's <c>revision_number</c>: bumped by every update.</summary>
    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }
}
