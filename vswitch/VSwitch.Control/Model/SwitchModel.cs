using System.Collections.Immutable;

namespace VSwitch.Control.Model;

/// <summary>
/// The desired state of the whole switch: an immutable value that the configuration file and the API operations
/// (<see cref="NetworkOperations"/>, <see cref="PortOperations"/>, <see cref="SecurityGroupOperations"/>,
/// <see cref="SecurityGroupRuleOperations"/>, <see cref="NetworkLogOperations"/>) edit and the <see cref="Reconciler"/> applies.
/// </summary>
/// <remarks>
/// Every change is a pure function from one model to the next that either returns the complete new model or throws a
/// <see cref="NeutronException"/>; the old model is never modified, so nothing is half-applied after an error.
/// <para><b>Thread-safety.</b> The model and the operations are immutable values and pure functions, safe on any
/// thread. Applying a result is the caller's business: one writer at a time reads the current model, runs the
/// operation, persists the result and only then publishes it (or compares-and-swaps), so that two concurrent requests
/// cannot both validate against the same old model.</para>
/// </remarks>
public sealed record SwitchModel(ImmutableSortedDictionary<Guid, NetworkSpec> Networks, ImmutableSortedDictionary<Guid, PortSpec> Ports)
{
    public static readonly SwitchModel Empty = new(
        ImmutableSortedDictionary<Guid, NetworkSpec>.Empty,
        ImmutableSortedDictionary<Guid, PortSpec>.Empty);

    /// <summary>Every security group, with its rules.</summary>
    public ImmutableSortedDictionary<Guid, SecurityGroup> SecurityGroups { get; init; } = ImmutableSortedDictionary<Guid, SecurityGroup>.Empty;

    /// <summary>Every network log (security-group logging), by id.</summary>
    public ImmutableSortedDictionary<Guid, NetworkLog> Logs { get; init; } = ImmutableSortedDictionary<Guid, NetworkLog>.Empty;

    /// <summary>The rules new groups start with (<see cref="DefaultRuleOperations"/>); Neutron's four until changed.</summary>
    public ImmutableSortedDictionary<Guid, DefaultRuleTemplate> DefaultRules { get; init; } =
        DefaultRuleTemplate.Shipped.ToImmutableSortedDictionary(t => t.Id, t => t);

    /// <summary>RBAC policies sharing security groups, by id (<see cref="RbacOperations"/>).</summary>
    public ImmutableSortedDictionary<Guid, RbacPolicy> RbacPolicies { get; init; } = ImmutableSortedDictionary<Guid, RbacPolicy>.Empty;

    /// <summary>Subnets, by id (<see cref="SubnetOperations"/>).</summary>
    public ImmutableSortedDictionary<Guid, Subnet> Subnets { get; init; } = ImmutableSortedDictionary<Guid, Subnet>.Empty;

    /// <summary>Routers, by id (<see cref="RouterOperations"/>); their interfaces are ports.</summary>
    public ImmutableSortedDictionary<Guid, Router> Routers { get; init; } = ImmutableSortedDictionary<Guid, Router>.Empty;

    /// <summary>Floating IPs, by id (<see cref="FloatingIpOperations"/>).</summary>
    public ImmutableSortedDictionary<Guid, FloatingIp> FloatingIps { get; init; } = ImmutableSortedDictionary<Guid, FloatingIp>.Empty;

    /// <summary>Address groups, by id (<see cref="AddressGroupOperations"/>).</summary>
    public ImmutableSortedDictionary<Guid, AddressGroup> AddressGroups { get; init; } = ImmutableSortedDictionary<Guid, AddressGroup>.Empty;

    /// <summary>Projects' quota overrides, by project (<see cref="QuotaOperations"/>).</summary>
    public ImmutableSortedDictionary<ProjectId, ProjectQuota> Quotas { get; init; } = ImmutableSortedDictionary<ProjectId, ProjectQuota>.Empty;

    /// <summary>A rule by id, searched across all groups; null if there is none.</summary>
    public SecurityGroupRule? FindRule(Guid ruleId)
    {
        foreach (var group in SecurityGroups.Values)
        {
            foreach (var rule in group.Rules)
            {
                if (rule.Id == ruleId)
                {
                    return rule;
                }
            }
        }
        return null;
    }

    /// <summary>The project's <c>default</c> group, or null before the project's first use.</summary>
    public SecurityGroup? DefaultGroupOf(ProjectId projectId) =>
        SecurityGroups.Values.FirstOrDefault(g => g.IsDefault && g.ProjectId == projectId);
}
