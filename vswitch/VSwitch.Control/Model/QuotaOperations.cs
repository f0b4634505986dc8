using System.Collections.Immutable;

namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's quotas: per-project limits on networks, ports, security groups and rules, enforced when objects are created.
/// </summary>
/// <remarks>
/// <para><b>Limits.</b> A project's limit for a resource is its override (<see cref="SwitchModel.Quotas"/>, set with
/// <c>PUT /v2.0/quotas/PROJECT</c>) or else the default (<see cref="OperationContext.QuotaDefaults"/>: the configuration's
/// <c>quotas</c>, Neutron's defaults unless set). -1 is unlimited.</para>
/// <para><b>Usage</b> counts every object the project owns, as Neutron counts rows: its <c>default</c> group and the
/// preset groups with their rules count too (a new project starts with 5 groups and 24 rules with the shipped presets).</para>
/// <para><b>Enforcement.</b> <see cref="Enforce"/> compares the model before and after a create: a project whose usage of
/// a resource grew beyond its limit refuses the whole change with <c>OverQuota</c> (409), naming the resources, so a
/// bulk create is refused whole. Creating a project's <c>default</c> group on its first use is part of the change that
/// used it, as in Neutron. Lowering a limit below the usage is allowed (Neutron without <c>force</c> checking): nothing
/// is deleted, further creates are refused.</para>
/// </remarks>
public static class QuotaOperations
{
    /// <summary>The objects <paramref name="project"/> owns, per resource.</summary>
    public static ImmutableSortedDictionary<string, int> Usage(SwitchModel model, ProjectId project) =>
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            QuotaLimits.Resources.Select(r => new KeyValuePair<string, int>(r, Count(model, project, r))));

    /// <summary>The objects of one resource <paramref name="project"/> owns.</summary>
    public static int Count(SwitchModel model, ProjectId project, string resource) => resource switch
    {
        QuotaLimits.Network => model.Networks.Values.Count(n => n.ProjectId == project),
        QuotaLimits.Subnet => model.Subnets.Values.Count(s => s.ProjectId == project),
        QuotaLimits.Port => model.Ports.Values.Count(p => p.ProjectId == project && p.DeviceOwner != FloatingIpOperations.AddressOwner),
        QuotaLimits.Router => model.Routers.Values.Count(r => r.ProjectId == project),
        QuotaLimits.FloatingIp => model.FloatingIps.Values.Count(f => f.ProjectId == project),
        QuotaLimits.SecurityGroup => model.SecurityGroups.Values.Count(g => g.ProjectId == project),
        _ => model.SecurityGroups.Values.Sum(g => g.Rules.Count(r => r.ProjectId == project)),
    };

    /// <summary>The limits that apply to <paramref name="project"/>: its overrides over the defaults.</summary>
    public static QuotaLimits Effective(SwitchModel model, ProjectId project, QuotaLimits defaults)
    {
        var limits = defaults.Limits;
        if (model.Quotas.TryGetValue(project, out var quota))
        {
            limits = limits.SetItems(quota.Overrides.Limits);
        }
        return new QuotaLimits(limits);
    }

    /// <summary>Refuses <paramref name="after"/> if it takes a project beyond a limit it was within, or further beyond.</summary>
    /// <remarks>Only the resources that grew, and only those with a limit, are counted: a create counts one resource of
    /// one project (about 60 us over 10,000 rules; <c>perf/VSwitch.Benchmarks -- scale</c>).</remarks>
    public static SwitchModel Enforce(SwitchModel before, SwitchModel after, OperationContext context)
    {
        if (context.QuotaDefaults is not { } defaults)
        {
            return after;
        }
        var over = new List<string>();
        foreach (var project in Grown(before, after).GroupBy(g => g.Project))
        {
            var limits = Effective(after, project.Key, defaults);
            foreach (var (_, resource) in project)
            {
                if (limits[resource] is >= 0 and var limit && Count(after, project.Key, resource) is var now && now > limit
                    && now > Count(before, project.Key, resource))
                {
                    over.Add(resource);
                }
            }
            if (over.Count > 0)
            {
                throw NeutronErrors.OverQuota(QuotaLimits.Resources.Where(over.Contains));
            }
        }
        return after;
    }

    /// <summary>Sets <paramref name="project"/>'s overrides for the resources named (others keep theirs).</summary>
    public static ModelChange<QuotaLimits> Update(SwitchModel model, ProjectId project, IReadOnlyDictionary<string, int> limits, OperationContext context)
    {
        foreach (var (resource, limit) in limits)
        {
            if (!QuotaLimits.Resources.Contains(resource))
            {
                throw NeutronErrors.BadRequestMessage($"Unrecognized attribute(s) '{resource}'");
            }
            if (limit < -1)
            {
                throw NeutronErrors.InvalidAttribute(resource, $"'{limit}' should be greater than or equal to -1");
            }
        }
        if (project.IsNone)
        {
            throw NeutronErrors.BadRequestMessage("A quota needs a project id");
        }
        var overrides = model.Quotas.TryGetValue(project, out var old) ? old.Overrides.Limits : QuotaLimits.None.Limits;
        var updated = model with
        {
            Quotas = model.Quotas.SetItem(project, new ProjectQuota(project, new QuotaLimits(overrides.SetItems(limits)))),
        };
        return new ModelChange<QuotaLimits>(updated, Effective(updated, project, context.QuotaDefaults ?? QuotaLimits.Unlimited));
    }

    /// <summary>Removes <paramref name="project"/>'s overrides: the defaults apply again (Neutron answers 204 even when there were none).</summary>
    public static SwitchModel Reset(SwitchModel model, ProjectId project) =>
        model.Quotas.ContainsKey(project) ? model with { Quotas = model.Quotas.Remove(project) } : model;

    /// <summary>The (project, resource) pairs that gained an object from <paramref name="before"/> to <paramref name="after"/>.</summary>
    private static HashSet<(ProjectId Project, string Resource)> Grown(SwitchModel before, SwitchModel after)
    {
        var grown = new HashSet<(ProjectId, string)>();
        if (!ReferenceEquals(before.Networks, after.Networks))
        {
            grown.UnionWith(after.Networks.Values.Where(n => !before.Networks.ContainsKey(n.Id)).Select(n => (n.ProjectId, QuotaLimits.Network)));
        }
        if (!ReferenceEquals(before.Subnets, after.Subnets))
        {
            grown.UnionWith(after.Subnets.Values.Where(s => !before.Subnets.ContainsKey(s.Id)).Select(s => (s.ProjectId, QuotaLimits.Subnet)));
        }
        if (!ReferenceEquals(before.Ports, after.Ports))
        {
            // A floating IP's address holder counts as the floating IP, not as a port (Neutron gives it no project).
            grown.UnionWith(after.Ports.Values.Where(p => !before.Ports.ContainsKey(p.Id) && p.DeviceOwner != FloatingIpOperations.AddressOwner)
                .Select(p => (p.ProjectId, QuotaLimits.Port)));
        }
        if (!ReferenceEquals(before.Routers, after.Routers))
        {
            grown.UnionWith(after.Routers.Values.Where(r => !before.Routers.ContainsKey(r.Id)).Select(r => (r.ProjectId, QuotaLimits.Router)));
        }
        if (!ReferenceEquals(before.FloatingIps, after.FloatingIps))
        {
            grown.UnionWith(after.FloatingIps.Values.Where(f => !before.FloatingIps.ContainsKey(f.Id)).Select(f => (f.ProjectId, QuotaLimits.FloatingIp)));
        }
        if (!ReferenceEquals(before.SecurityGroups, after.SecurityGroups))
        {
            foreach (var group in after.SecurityGroups.Values)
            {
                if (!before.SecurityGroups.TryGetValue(group.Id, out var old))
                {
                    grown.Add((group.ProjectId, QuotaLimits.SecurityGroup));
                    grown.UnionWith(group.Rules.Select(r => (r.ProjectId, QuotaLimits.SecurityGroupRule)));
                }
                else if (!ReferenceEquals(old, group) && group.Rules.Count > old.Rules.Count)
                {
                    grown.UnionWith(group.Rules.Select(r => (r.ProjectId, QuotaLimits.SecurityGroupRule)));
                }
            }
        }
        // The switch's own objects (a router's gateway port) belong to no project and count against none.
        grown.RemoveWhere(g => g.Item1 == ProjectId.None);
        return grown;
    }
}
