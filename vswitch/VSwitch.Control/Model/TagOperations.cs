namespace VSwitch.Control.Model;

/// <summary>The kinds of object that carry tags.</summary>
public enum TaggedKind
{
    Network,
    Port,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    Router,
    FloatingIp,
}

/// <summary>
/// Neutron's <c>standard-attr-tag</c>: free-form labels on networks, ports, security groups and rules, set whole,
/// added or removed one by one, and matched by the list filters <c>tags</c>, <c>tags-any</c>, <c>not-tags</c> and
/// <c>not-tags-any</c>.
/// </summary>
/// <remarks>
/// A tag is 1 to <see cref="MaxLength"/> characters (Neutron's <c>MAX_TAG_LEN</c>) without a comma (the filters take
/// comma-separated lists) or control characters; an object holds at most <see cref="MaxTags"/>. Tags are kept sorted
/// and unique; a change that alters them bumps the object's revision, as Neutron does. Tags change nothing in the data
/// path, though a tagged group or rule is a changed object to the policy compiler.
/// </remarks>
public static class TagOperations
{
    public const int MaxLength = 60;

    public const int MaxTags = 50;

    public static EquatableArray<string> Get(SwitchModel model, TaggedKind kind, Guid id, OperationContext context) => kind switch
    {
        TaggedKind.Network => NetworkOperations.Get(model, id, context).Tags,
        TaggedKind.Port => PortOperations.Get(model, id, context).Tags,
        TaggedKind.SecurityGroup => SecurityGroupOperations.Get(model, id, context).Tags,
        TaggedKind.Subnet => SubnetOperations.Get(model, id, context).Tags,
        TaggedKind.Router => RouterOperations.Get(model, id, context).Tags,
        TaggedKind.FloatingIp => FloatingIpOperations.Get(model, id, context).Tags,
        _ => SecurityGroupRuleOperations.Get(model, id, context).Tags,
    };

    /// <summary>Replaces every tag (<c>PUT .../tags</c>).</summary>
    public static ModelChange<EquatableArray<string>> Replace(SwitchModel model, TaggedKind kind, Guid id, IReadOnlyList<string> tags, OperationContext context) =>
        Set(model, kind, id, Validate(tags), context);

    /// <summary>Adds one tag (<c>PUT .../tags/TAG</c>); adding a tag the object has changes nothing.</summary>
    public static ModelChange<EquatableArray<string>> Add(SwitchModel model, TaggedKind kind, Guid id, string tag, OperationContext context) =>
        Set(model, kind, id, Validate([.. Get(model, kind, id, context), tag]), context);

    /// <summary>Removes one tag (<c>DELETE .../tags/TAG</c>); a tag the object lacks is <c>TagNotFound</c> (404).</summary>
    public static ModelChange<EquatableArray<string>> Remove(SwitchModel model, TaggedKind kind, Guid id, string tag, OperationContext context)
    {
        var tags = Get(model, kind, id, context);
        if (!tags.Contains(tag))
        {
            throw NeutronErrors.TagNotFound(tag);
        }
        return Set(model, kind, id, [.. tags.Where(t => t != tag)], context);
    }

    /// <summary>The object has <paramref name="tag"/>, else <c>TagNotFound</c> (404).</summary>
    public static void Check(SwitchModel model, TaggedKind kind, Guid id, string tag, OperationContext context)
    {
        if (!Get(model, kind, id, context).Contains(tag))
        {
            throw NeutronErrors.TagNotFound(tag);
        }
    }

    private static List<string> Validate(IReadOnlyList<string> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Length is 0 or > MaxLength || tag.Contains(',') || tag.Any(char.IsControl))
            {
                throw NeutronErrors.InvalidAttribute("tags", $"'{tag}' is not a valid tag: 1 to {MaxLength} characters, no comma");
            }
        }
        var unique = tags.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (unique.Count > MaxTags)
        {
            throw NeutronErrors.InvalidAttribute("tags", $"{unique.Count} tags: at most {MaxTags} are allowed");
        }
        return unique;
    }

    private static ModelChange<EquatableArray<string>> Set(SwitchModel model, TaggedKind kind, Guid id, List<string> sorted, OperationContext context)
    {
        var tags = sorted.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToEquatableArray();
        // A group shared with the caller is read-only to it, tags included.
        if (kind == TaggedKind.SecurityGroup)
        {
            SecurityGroupOperations.GetOwned(model, id, context);
        }
        else if (kind == TaggedKind.SecurityGroupRule)
        {
            SecurityGroupOperations.GetOwned(model, SecurityGroupRuleOperations.Get(model, id, context).SecurityGroupId, context);
        }
        if (Get(model, kind, id, context) == tags)
        {
            return new ModelChange<EquatableArray<string>>(model, tags);
        }
        var now = context.Now();
        switch (kind)
        {
            case TaggedKind.Network:
                var network = model.Networks[id];
                model = model with { Networks = model.Networks.SetItem(id, network with { Tags = tags, RevisionNumber = network.RevisionNumber + 1, UpdatedAt = now }) };
                break;
            case TaggedKind.Port:
                var port = model.Ports[id];
                model = model with { Ports = model.Ports.SetItem(id, port with { Tags = tags, RevisionNumber = port.RevisionNumber + 1, UpdatedAt = now }) };
                break;
            case TaggedKind.Subnet:
                var subnet = model.Subnets[id];
                model = model with { Subnets = model.Subnets.SetItem(id, subnet with { Tags = tags, RevisionNumber = subnet.RevisionNumber + 1, UpdatedAt = now }) };
                break;
            case TaggedKind.Router:
                var router = model.Routers[id];
                model = model with { Routers = model.Routers.SetItem(id, router with { Tags = tags, RevisionNumber = router.RevisionNumber + 1, UpdatedAt = now }) };
                break;
            case TaggedKind.FloatingIp:
                var fip = model.FloatingIps[id];
                model = model with { FloatingIps = model.FloatingIps.SetItem(id, fip with { Tags = tags, RevisionNumber = fip.RevisionNumber + 1, UpdatedAt = now }) };
                break;
            case TaggedKind.SecurityGroup:
                var group = model.SecurityGroups[id];
                model = SecurityGroupOperations.WithGroup(model, group with { Tags = tags, RevisionNumber = group.RevisionNumber + 1, UpdatedAt = now });
                break;
            default:
                var rule = model.FindRule(id)!;
                var owner = model.SecurityGroups[rule.SecurityGroupId];
                var updated = rule with { Tags = tags, RevisionNumber = rule.RevisionNumber + 1, UpdatedAt = now };
                model = SecurityGroupOperations.WithGroup(model, owner with { Rules = owner.Rules.Select(r => r.Id == id ? updated : r).ToEquatableArray() });
                break;
        }
        return new ModelChange<EquatableArray<string>>(model, tags);
    }
}
