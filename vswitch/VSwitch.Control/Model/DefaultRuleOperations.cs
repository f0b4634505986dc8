namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's <c>default-security-group-rules</c>: the templates of the rules new security groups start with.
/// </summary>
/// <remarks>
/// <para><b>What.</b> A template is validated exactly as a rule is (<see cref="SecurityGroupRuleOperations"/>), with
/// <c>remote_group_id</c> either absent or <c>PARENT</c> (the group being created); <c>used_in_default_sg</c> defaults
/// to false and <c>used_in_non_default_sg</c> to true, as in Neutron. Two templates that would make the same rule are
/// <c>DefaultSecurityGroupRuleExists</c> (409). Templates are created and deleted, never updated.</para>
/// <para><b>Effect.</b> Only groups created afterwards: existing groups keep their rules. Deleting every template makes
/// new groups empty (deny all, both ways), which is how an operator switches the shipped rules off.</para>
/// <para><b>Not copied.</b> Neutron also accepts a fixed group's id as <c>remote_group_id</c>; here that would put one
/// project's group into every project's groups, so only <c>PARENT</c> is accepted (400 otherwise). Address groups are
/// not supported (<c>remote_address_group_id</c> 400, as for rules).</para>
/// </remarks>
public static class DefaultRuleOperations
{
    public static IEnumerable<DefaultRuleTemplate> List(SwitchModel model) => model.DefaultRules.Values;

    public static DefaultRuleTemplate Get(SwitchModel model, Guid id) =>
        model.DefaultRules.TryGetValue(id, out var template) ? template : throw NeutronErrors.DefaultSecurityGroupRuleNotFound(id);

    public static ModelChange<DefaultRuleTemplate> Create(SwitchModel model, DefaultRuleBody request, OperationContext context)
    {
        var parent = request.RemoteGroupId switch
        {
            null => false,
            DefaultRuleTemplate.Parent => true,
            _ => throw NeutronErrors.InvalidAttribute("remote_group_id", $"'{request.RemoteGroupId}' is not {DefaultRuleTemplate.Parent}: a template's remote group can only be the group being created"),
        };
        // Validated as a rule of a scratch group, so every check and normalisation of rules applies unchanged.
        var scratch = new SecurityGroup(context.NewId(), "template-check", "", ProjectId.None, Stateful: true, Rules: []);
        var scratchModel = SecurityGroupOperations.WithGroup(SwitchModel.Empty, scratch);
        var rule = SecurityGroupRuleOperations.Normalize(scratchModel,
            new SecurityGroupRuleBody(scratch.Id, request.Direction, request.Ethertype, request.Protocol, request.PortRangeMin, request.PortRangeMax,
                request.RemoteIpPrefix, parent ? scratch.Id : null, request.Description),
            context with { IsAdmin = true });
        var template = new DefaultRuleTemplate(context.NewId(), rule.Direction, rule.Ethertype, rule.Protocol, rule.PortRangeMin, rule.PortRangeMax,
            rule.RemoteIpPrefix, parent, rule.Description, request.UsedInDefaultSg ?? false, request.UsedInNonDefaultSg ?? true);
        foreach (var existing in model.DefaultRules.Values)
        {
            if (SecurityGroupRuleOperations.AreDuplicates(existing.For(Guid.Empty, scratch.Id, ProjectId.None, default), template.For(Guid.Empty, scratch.Id, ProjectId.None, default)))
            {
                throw NeutronErrors.DefaultSecurityGroupRuleExists(existing.Id);
            }
        }
        return new ModelChange<DefaultRuleTemplate>(model with { DefaultRules = model.DefaultRules.Add(template.Id, template) }, template);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id)
    {
        Get(model, id);
        return model with { DefaultRules = model.DefaultRules.Remove(id) };
    }
}
