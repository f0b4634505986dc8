namespace VSwitch.Control.Model;

/// <summary>
/// One allow rule of a security group, in the normalised form Neutron stores (see
/// <see cref="SecurityGroupRuleOperations"/> for the normalisation).
/// </summary>
/// <remarks>
/// Rules are immutable in Neutron: they are created and deleted, never updated. A rule matches traffic of its
/// <see cref="Direction"/> and <see cref="Ethertype"/> whose protocol, destination port (or ICMP type and code) and
/// remote address (the source for ingress, the destination for egress) fit the fields below; a null field matches
/// anything.
/// </remarks>
/// <param name="Id">Neutron-style UUID.</param>
/// <param name="SecurityGroupId">The group the rule belongs to.</param>
/// <param name="ProjectId">The project that owns the rule.</param>
/// <param name="Direction">Ingress (to the port) or egress (from the port).</param>
/// <param name="Ethertype">IPv4 or IPv6.</param>
/// <param name="Protocol">Null for any protocol, else a lowercase name (<c>tcp</c>, <c>ipv6-icmp</c>...) or a number as a
/// decimal string, as stored by Neutron; <see cref="ProtocolNumber"/> is the number either way.</param>
/// <param name="PortRangeMin">Lowest destination port, or the ICMP type; null for any. Never both null-and-set with
/// <paramref name="PortRangeMax"/> for port protocols, and 1-65535 is stored as null/null.</param>
/// <param name="PortRangeMax">Highest destination port, or the ICMP code (only with a type); null for any.</param>
/// <param name="RemoteIpPrefix">The remote prefix as given (host bits kept); null for anywhere.</param>
/// <param name="RemoteGroupId">Members of this group are the remote addresses; never set together with a prefix.</param>
/// <param name="Description">Free text.</param>
public sealed record SecurityGroupRule(
    Guid Id,
    Guid SecurityGroupId,
    ProjectId ProjectId,
    RuleDirection Direction,
    Ethertype Ethertype,
    string? Protocol,
    int? PortRangeMin,
    int? PortRangeMax,
    IpPrefix? RemoteIpPrefix,
    Guid? RemoteGroupId,
    string Description = "")
{
    /// <summary>Neutron's <c>revision_number</c> (rules are never updated, so it stays as created).</summary>
    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>An address group whose addresses (of this rule's ethertype) are the remote side; never with a prefix or group.</summary>
    public Guid? RemoteAddressGroupId { get; init; }

    /// <summary>Neutron's <c>tags</c> (<see cref="TagOperations"/>): sorted, no duplicates.</summary>
    public EquatableArray<string> Tags { get; init; } = EquatableArray<string>.Empty;

    /// <summary>The IP protocol number, or null for any protocol.</summary>
    public int? ProtocolNumber => ProtocolNames.NumberOf(Protocol);

    /// <summary>Neutron's <c>normalized_cidr</c>: the network address of <see cref="RemoteIpPrefix"/>.</summary>
    public IpPrefix? NormalizedCidr => RemoteIpPrefix?.Network;

    /// <summary>True if the range fields are ICMP type and code rather than ports.</summary>
    public bool IsIcmp => ProtocolNames.IsIcmp(ProtocolNumber);
}
