using System.Collections.Immutable;

namespace VSwitch.Control.Model;

/// <summary>
/// How many objects of each quota resource a project may own: Neutron's <c>[QUOTAS]</c> resources that this switch has
/// (<c>network</c>, <c>subnet</c>, <c>port</c>, <c>router</c>, <c>floatingip</c>, <c>security_group</c>,
/// <c>security_group_rule</c>); -1 is unlimited.
/// </summary>
/// <remarks>
/// Used twice: as the defaults (from the configuration, Neutron's defaults unless set) and as a project's overrides,
/// where a missing resource means "the default". Immutable.
/// </remarks>
public sealed record QuotaLimits(ImmutableSortedDictionary<string, int> Limits)
{
    public const string Network = "network";
    public const string Subnet = "subnet";
    public const string Port = "port";
    public const string SecurityGroup = "security_group";
    public const string SecurityGroupRule = "security_group_rule";
    public const string Router = "router";
    public const string FloatingIp = "floatingip";

    /// <summary>The resources, in Neutron's order of its quota listing.</summary>
    public static readonly ImmutableArray<string> Resources = [Network, Subnet, Port, Router, FloatingIp, SecurityGroup, SecurityGroupRule];

    /// <summary>
    /// Neutron's shipped defaults (<c>quota_network</c> 100, <c>quota_subnet</c> 100, <c>quota_port</c> 500,
    /// <c>quota_router</c> 10, <c>quota_floatingip</c> 50, <c>quota_security_group</c> 10, <c>quota_security_group_rule</c> 100).
    /// </summary>
    public static readonly QuotaLimits NeutronDefaults = Of(new(Network, 100), new(Subnet, 100), new(Port, 500), new(Router, 10), new(FloatingIp, 50),
        new(SecurityGroup, 10), new(SecurityGroupRule, 100));

    /// <summary>No limit on anything (a model built without quotas: the configuration file, tests).</summary>
    public static readonly QuotaLimits Unlimited = Of([.. Resources.Select(r => new KeyValuePair<string, int>(r, -1))]);

    public static readonly QuotaLimits None = new(ImmutableSortedDictionary<string, int>.Empty.WithComparers(StringComparer.Ordinal));

    public static QuotaLimits Of(params KeyValuePair<string, int>[] limits) =>
        new(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, limits));

    public int? this[string resource] => Limits.TryGetValue(resource, out var limit) ? limit : null;

    public bool Equals(QuotaLimits? other) =>
        other is not null && Limits.Count == other.Limits.Count && Limits.All(p => other.Limits.TryGetValue(p.Key, out var v) && v == p.Value);

    public override int GetHashCode() => Limits.Aggregate(0, (h, p) => HashCode.Combine(h, p.Key, p.Value));
}
