namespace VSwitch.Control.Model;

/// <summary>
/// A rule every new security group starts with (Neutron's <c>default-security-group-rules</c>): its match fields, and
/// whether it goes into each project's <c>default</c> group, into the other groups, or both.
/// </summary>
/// <remarks>The match fields are a rule's, normalised as rules are (<see cref="SecurityGroupRule"/>);
/// <c>RemoteIsParent</c> makes the rule's remote group the group being created (Neutron's <c>PARENT</c>).</remarks>
public sealed record DefaultRuleTemplate(
    Guid Id,
    RuleDirection Direction,
    Ethertype Ethertype,
    string? Protocol,
    int? PortRangeMin,
    int? PortRangeMax,
    IpPrefix? RemoteIpPrefix,
    bool RemoteIsParent,
    string Description,
    bool UsedInDefaultSg,
    bool UsedInNonDefaultSg)
{
    /// <summary>Neutron's <c>remote_group_id</c> value for "the group being created".</summary>
    public const string Parent = "PARENT";

    /// <summary>
    /// Neutron's four: egress anywhere (IPv4, IPv6) in every group, ingress from the group's own members (IPv4, IPv6) in
    /// <c>default</c> only. Fixed ids, ordered as Neutron creates a <c>default</c> group's rules.
    /// </summary>
    public static readonly IReadOnlyList<DefaultRuleTemplate> Shipped =
    [
        new(new Guid("00000000-0000-4000-8000-0000000000d1"), RuleDirection.Ingress, Ethertype.IPv4, null, null, null, null, true, "", true, false),
        new(new Guid("00000000-0000-4000-8000-0000000000d2"), RuleDirection.Egress, Ethertype.IPv4, null, null, null, null, false, "", true, true),
        new(new Guid("00000000-0000-4000-8000-0000000000d3"), RuleDirection.Ingress, Ethertype.IPv6, null, null, null, null, true, "", true, false),
        new(new Guid("00000000-0000-4000-8000-0000000000d4"), RuleDirection.Egress, Ethertype.IPv6, null, null, null, null, false, "", true, true),
    ];

    /// <summary>The rule this template gives a new group.</summary>
    public SecurityGroupRule For(Guid ruleId, Guid groupId, ProjectId project, DateTimeOffset now) =>
        new(ruleId, groupId, project, Direction, Ethertype, Protocol, PortRangeMin, PortRangeMax, RemoteIpPrefix, RemoteIsParent ? groupId : null, Description)
        {
            CreatedAt = now,
            UpdatedAt = now,
        };
}
