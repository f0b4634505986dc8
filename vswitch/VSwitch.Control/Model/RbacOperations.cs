namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's <c>rbac-policies</c> for security groups (<c>rbac-security-groups</c>): a group's owner shares it with
/// another project, or every project, with <c>access_as_shared</c>.
/// </summary>
/// <remarks>
/// <para><b>What sharing gives.</b> The target project sees the group and its rules (read-only) and may put its ports in
/// it and name it as a remote group; only the owner (or an admin) changes or deletes the group or its rules
/// (<c>PolicyNotAuthorized</c>, 403, for a target that tries).</para>
/// <para><b>Checks</b> (Neutron's): <c>object_type</c> <c>security_group</c> and <c>action</c> <c>access_as_shared</c>
/// only (400 otherwise; networks cannot be shared here); the object must be a group the caller owns (404 otherwise, as
/// for any group it cannot see); the same object, action and target twice is <c>DuplicateRbacPolicy</c> (409);
/// removing or retargeting a policy while a project that would lose the group has ports in it is
/// <c>RbacPolicyInUse</c> (409). A group's policies go with it.</para>
/// <para><b>Visibility.</b> A policy is seen by admins and by its owner project.</para>
/// </remarks>
public static class RbacOperations
{
    public static IEnumerable<RbacPolicy> List(SwitchModel model, OperationContext context) =>
        model.RbacPolicies.Values.Where(p => context.CanSee(p.ProjectId));

    public static RbacPolicy Get(SwitchModel model, Guid id, OperationContext context) =>
        model.RbacPolicies.TryGetValue(id, out var policy) && context.CanSee(policy.ProjectId) ? policy : throw NeutronErrors.RbacPolicyNotFound(id);

    /// <summary>True if <paramref name="project"/> may use the group through a policy (not by owning it).</summary>
    public static bool IsSharedWith(SwitchModel model, Guid groupId, ProjectId project) =>
        !model.RbacPolicies.IsEmpty && model.RbacPolicies.Values.Any(p => p.ObjectId == groupId && p.Action == RbacPolicy.AccessAsShared
            && (p.Target == RbacPolicy.Everyone || p.Target == project.Value));

    public static ModelChange<RbacPolicy> Create(SwitchModel model, RbacPolicyBody request, OperationContext context)
    {
        if (request.ObjectType != RbacPolicy.SecurityGroupType)
        {
            throw NeutronErrors.InvalidAttribute("object_type", $"'{request.ObjectType}' is not in ['{RbacPolicy.SecurityGroupType}']");
        }
        if (request.Action != RbacPolicy.AccessAsShared)
        {
            throw NeutronErrors.InvalidAttribute("action", $"'{request.Action}' is not in ['{RbacPolicy.AccessAsShared}']");
        }
        var objectId = request.ObjectId ?? throw NeutronErrors.MissingAttribute("object_id");
        var target = Target(request.Target ?? throw NeutronErrors.MissingAttribute("target_tenant"));
        NeutronAttributes.Project(request.ProjectId, context);
        var group = SecurityGroupOperations.GetOwned(model, objectId, context);
        if (model.RbacPolicies.Values.Any(p => p.ObjectId == objectId && p.Action == request.Action && p.Target == target))
        {
            throw NeutronErrors.DuplicateRbacPolicy();
        }
        var policy = new RbacPolicy(context.NewId(), RbacPolicy.SecurityGroupType, objectId, RbacPolicy.AccessAsShared, target, group.ProjectId);
        return new ModelChange<RbacPolicy>(model with { RbacPolicies = model.RbacPolicies.Add(policy.Id, policy) }, policy);
    }

    /// <summary>Retargets a policy (<c>target_tenant</c> is the only attribute that may change).</summary>
    public static ModelChange<RbacPolicy> Update(SwitchModel model, Guid id, RbacPolicyBody request, OperationContext context)
    {
        var policy = Get(model, id, context);
        foreach (var (name, given) in new[] { ("object_type", request.ObjectType), ("action", request.Action), ("project_id", request.ProjectId) })
        {
            if (given is not null)
            {
                throw NeutronErrors.ReadOnlyAttribute(name);
            }
        }
        if (request.ObjectId is not null)
        {
            throw NeutronErrors.ReadOnlyAttribute("object_id");
        }
        if (request.Target is null)
        {
            return new ModelChange<RbacPolicy>(model, policy);
        }
        var updated = policy with { Target = Target(request.Target) };
        if (model.RbacPolicies.Values.Any(p => p.Id != id && p.ObjectId == policy.ObjectId && p.Action == policy.Action && p.Target == updated.Target))
        {
            throw NeutronErrors.DuplicateRbacPolicy();
        }
        var after = model with { RbacPolicies = model.RbacPolicies.SetItem(id, updated) };
        CheckNoLoss(model, after, policy);
        return new ModelChange<RbacPolicy>(after, updated);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id, OperationContext context)
    {
        var policy = Get(model, id, context);
        var after = model with { RbacPolicies = model.RbacPolicies.Remove(id) };
        CheckNoLoss(model, after, policy);
        return after;
    }

    /// <summary>No project with ports in the group may lose access to it.</summary>
    private static void CheckNoLoss(SwitchModel before, SwitchModel after, RbacPolicy policy)
    {
        var owner = before.SecurityGroups.TryGetValue(policy.ObjectId, out var group) ? group.ProjectId : policy.ProjectId;
        var stranded = before.Ports.Values.Any(p => p.SecurityGroupIds.Contains(policy.ObjectId) && p.ProjectId != owner
            && IsSharedWith(before, policy.ObjectId, p.ProjectId) && !IsSharedWith(after, policy.ObjectId, p.ProjectId));
        if (stranded)
        {
            throw NeutronErrors.RbacPolicyInUse(policy.ObjectId);
        }
    }

    private static string Target(string text) =>
        text == RbacPolicy.Everyone ? text : ProjectId.TryParse(text, out var project) ? project.Value
            : throw NeutronErrors.InvalidAttribute("target_tenant", $"'{text}' is not a project id or *");
}
