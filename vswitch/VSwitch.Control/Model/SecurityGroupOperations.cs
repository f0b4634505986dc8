namespace VSwitch.Control.Model;

/// <summary>
/// Create, update, delete and read security groups, with Neutron's rules.
/// </summary>
/// <remarks>
/// <para><b>What Neutron does, and so do we</b> (<c>neutron/db/securitygroups_db.py</c>,
/// <c>neutron/extensions/securitygroup.py</c>):</para>
/// <list type="bullet">
/// <item>A new group gets two rules, egress to anywhere for IPv4 and for IPv6 (no protocol, no prefix). Creating a group
/// first creates the project's <c>default</c> group if it is missing (<c>_ensure_default_security_group</c>; here
/// <see cref="ProjectDefaults.EnsureProject"/>, which also adds the presets).</item>
/// <item>The name <c>default</c>, in any case, is refused on create and update with <c>SecurityGroupDefaultAlreadyExists</c>
/// (409, the <c>type:name_not_default</c> validator); renaming the <c>default</c> group is
/// <c>SecurityGroupCannotUpdateDefault</c> (409), while its description and statefulness may change.</item>
/// <item><c>stateful</c> may change only while no port uses the group (the <c>stateful-security-group</c> API
/// extension); otherwise <c>SecurityGroupInUse</c> (409).</item>
/// <item>Deleting a group a port uses is <c>SecurityGroupInUse</c> (409), checked before the group's existence as Neutron
/// does; a non-admin may not delete <c>default</c> (<c>SecurityGroupCannotRemoveDefault</c>, 409). Rules of other groups
/// that name the deleted group as <c>remote_group_id</c> go with it (the database's ON DELETE CASCADE), and so do the
/// network logs whose <c>resource_id</c> it is (the logging plugin's <c>_clean_logs</c>).</item>
/// </list>
/// <para><b>Revision numbers.</b> Every update of a group and every rule added to or removed from it bumps its
/// <c>revision_number</c> and <c>updated_at</c>.</para>
/// <para><b>Thread-safety.</b> Pure functions of immutable inputs (see <see cref="SwitchModel"/> on applying results).</para>
/// </remarks>
public static class SecurityGroupOperations
{
    public const string DefaultDescription = "Default security group";

    public static ModelChange<SecurityGroup> Create(SwitchModel model, SecurityGroupBody request, OperationContext context)
    {
        var name = NeutronAttributes.Name(request.Name);
        RefuseDefaultName(name);
        var description = NeutronAttributes.Description(request.Description);
        var project = NeutronAttributes.Project(request.ProjectId, context);
        model = ProjectDefaults.EnsureProject(model, project, context);
        var group = NewGroup(model, name, description, project, request.Stateful ?? true, isDefault: false, context);
        // The project's automatic groups (made just above) are not the request's: not counted against it.
        return new ModelChange<SecurityGroup>(QuotaOperations.Enforce(model, WithGroup(model, group), context), group);
    }

    public static ModelChange<SecurityGroup> Update(SwitchModel model, Guid id, SecurityGroupBody request, OperationContext context)
    {
        if (request.Name is not null)
        {
            RefuseDefaultName(NeutronAttributes.Name(request.Name));
        }
        var description = request.Description is null ? null : NeutronAttributes.Description(request.Description);
        var group = GetOwned(model, id, context);
        NeutronAttributes.RefuseProjectChange(request.ProjectId, group.ProjectId);
        if (group.IsDefault && request.Name is not null)
        {
            throw NeutronErrors.SecurityGroupCannotUpdateDefault();
        }
        if (request.Stateful is { } stateful && stateful != group.Stateful && IsInUse(model, id))
        {
            throw NeutronErrors.SecurityGroupInUse(id);
        }
        var updated = group with
        {
            Name = request.Name ?? group.Name,
            Description = description ?? group.Description,
            Stateful = request.Stateful ?? group.Stateful,
            RevisionNumber = group.RevisionNumber + 1,
            UpdatedAt = context.Now(),
        };
        return new ModelChange<SecurityGroup>(WithGroup(model, updated), updated);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id, OperationContext context)
    {
        if (IsInUse(model, id))
        {
            throw NeutronErrors.SecurityGroupInUse(id);
        }
        var group = GetOwned(model, id, context);
        if (group.IsDefault && !context.IsAdmin)
        {
            throw NeutronErrors.SecurityGroupCannotRemoveDefault();
        }
        var groups = model.SecurityGroups.Remove(id);
        var now = context.Now();
        foreach (var other in groups.Values)
        {
            if (other.Rules.Any(r => r.RemoteGroupId == id))
            {
                groups = groups.SetItem(other.Id, other with
                {
                    Rules = other.Rules.Where(r => r.RemoteGroupId != id).ToEquatableArray(),
                    RevisionNumber = other.RevisionNumber + 1,
                    UpdatedAt = now,
                });
            }
        }
        var policies = model.RbacPolicies.Values.Where(p => p.ObjectId == id).Select(p => p.Id);
        return NetworkLogOperations.WithoutGroup(model with { SecurityGroups = groups, RbacPolicies = model.RbacPolicies.RemoveRange(policies) }, id);
    }

    /// <summary>
    /// Neutron's show: the group, or <c>SecurityGroupNotFound</c> (404) if it is missing or not visible to the caller
    /// (its own project's, or shared with it by an RBAC policy).
    /// </summary>
    public static SecurityGroup Get(SwitchModel model, Guid id, OperationContext context) =>
        model.SecurityGroups.TryGetValue(id, out var group) && IsVisible(model, group, context)
            ? group
            : throw NeutronErrors.SecurityGroupNotFound(id);

    /// <summary>A group the caller may change: visible and its own (or the caller is admin); a shared group is 403.</summary>
    public static SecurityGroup GetOwned(SwitchModel model, Guid id, OperationContext context)
    {
        var group = Get(model, id, context);
        return context.CanSee(group.ProjectId) ? group : throw NeutronErrors.PolicyNotAuthorized("update_security_group");
    }

    /// <summary>Neutron's list: the groups the caller can see (an API list should first call <see cref="ProjectDefaults.EnsureProject"/>, as Neutron does).</summary>
    public static IEnumerable<SecurityGroup> List(SwitchModel model, OperationContext context) =>
        model.SecurityGroups.Values.Where(g => IsVisible(model, g, context));

    /// <summary>The caller's project owns the group, or the caller is admin, or a policy shares it with the caller.</summary>
    public static bool IsVisible(SwitchModel model, SecurityGroup group, OperationContext context) =>
        context.CanSee(group.ProjectId) || RbacOperations.IsSharedWith(model, group.Id, context.ProjectId);

    /// <summary>True if some port is a member of the group.</summary>
    public static bool IsInUse(SwitchModel model, Guid id) => model.Ports.Values.Any(p => p.SecurityGroupIds.Contains(id));

    /// <summary>
    /// A new group with its initial rules, from the model's default rule templates (<see cref="DefaultRuleOperations"/>;
    /// Neutron's: egress anywhere for IPv4 and IPv6, and for the <c>default</c> group also ingress from its own members).
    /// </summary>
    internal static SecurityGroup NewGroup(SwitchModel model, string name, string description, ProjectId project, bool stateful, bool isDefault, OperationContext context)
    {
        var id = context.NewId();
        var now = context.Now();
        var rules = model.DefaultRules.Values
            .Where(t => isDefault ? t.UsedInDefaultSg : t.UsedInNonDefaultSg)
            .Select(t => t.For(context.NewId(), id, project, now))
            .ToList();
        return new SecurityGroup(id, name, description, project, stateful, rules.ToEquatableArray())
        {
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    internal static SwitchModel WithGroup(SwitchModel model, SecurityGroup group) =>
        model with { SecurityGroups = model.SecurityGroups.SetItem(group.Id, group) };

    /// <summary>Neutron's <c>_validate_name_not_default</c>: <c>default</c> in any case is taken.</summary>
    private static void RefuseDefaultName(string name)
    {
        if (string.Equals(name, SecurityGroup.DefaultName, StringComparison.OrdinalIgnoreCase))
        {
            throw NeutronErrors.SecurityGroupDefaultAlreadyExists();
        }
    }
}
