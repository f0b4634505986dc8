namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's address group: a named set of CIDRs that security group rules name as their remote side
/// (<c>remote_address_group_id</c>), so a rule follows the set as addresses are added and removed.
/// </summary>
/// <remarks><c>Addresses</c> are normalised networks (<c>198.18.0.1</c> is <c>198.18.0.1/32</c>), sorted, unique.</remarks>
public sealed record AddressGroup(Guid Id, string Name, string Description, ProjectId ProjectId, EquatableArray<IpPrefix> Addresses)
{
    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }
}
