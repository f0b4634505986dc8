namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's <c>address-group</c> extension: create (with addresses), update (name, description), add and remove
/// addresses, delete.
/// </summary>
/// <remarks>
/// <para><b>Addresses</b> are CIDRs or plain addresses of either family, stored as networks (host bits cleared:
/// Neutron stores <c>str(netaddr.IPNetwork(cidr).cidr)</c>). Adding an address the group has is
/// <c>AddressesAlreadyExist</c> (400), removing one it lacks <c>AddressesNotFound</c> (404), both naming them.</para>
/// <para><b>Rules</b> name a group with <c>remote_address_group_id</c> (<see cref="SecurityGroupRuleOperations"/>); a rule
/// matches the group's addresses of its own ethertype. A group that rules use cannot be deleted
/// (<c>AddressGroupInUse</c>, 409). A change of addresses reaches the data path at once, as a remote group's members do:
/// the ports whose rules name the group are recompiled (the compiler's inputs hold the expanded addresses).</para>
/// </remarks>
public static class AddressGroupOperations
{
    public static IEnumerable<AddressGroup> List(SwitchModel model, OperationContext context) =>
        model.AddressGroups.Values.Where(g => context.CanSee(g.ProjectId));

    public static AddressGroup Get(SwitchModel model, Guid id, OperationContext context) =>
        model.AddressGroups.TryGetValue(id, out var group) && context.CanSee(group.ProjectId) ? group : throw NeutronErrors.AddressGroupNotFound(id);

    public static ModelChange<AddressGroup> Create(SwitchModel model, AddressGroupBody request, OperationContext context)
    {
        var name = NeutronAttributes.Name(request.Name);
        var description = NeutronAttributes.Description(request.Description);
        var project = NeutronAttributes.Project(request.ProjectId, context);
        var addresses = Parse(request.Addresses ?? []);
        var now = context.Now();
        var group = new AddressGroup(context.NewId(), name, description, project, Normalise(addresses))
        {
            CreatedAt = now,
            UpdatedAt = now,
        };
        return new ModelChange<AddressGroup>(model with { AddressGroups = model.AddressGroups.Add(group.Id, group) }, group);
    }

    public static ModelChange<AddressGroup> Update(SwitchModel model, Guid id, AddressGroupBody request, OperationContext context)
    {
        var group = Get(model, id, context);
        if (request.Addresses is not null)
        {
            throw NeutronErrors.ReadOnlyAttribute("addresses");
        }
        var updated = group with
        {
            Name = request.Name is null ? group.Name : NeutronAttributes.Name(request.Name),
            Description = request.Description is null ? group.Description : NeutronAttributes.Description(request.Description),
        };
        return Commit(model, group, updated, context);
    }

    public static ModelChange<AddressGroup> AddAddresses(SwitchModel model, Guid id, IReadOnlyList<string> addresses, OperationContext context)
    {
        var group = Get(model, id, context);
        var added = Parse(addresses);
        var existing = added.Where(a => group.Addresses.Contains(a)).Distinct().ToList();
        if (existing.Count > 0)
        {
            throw NeutronErrors.AddressesAlreadyExist(existing.Select(a => a.ToString()), id);
        }
        return Commit(model, group, group with { Addresses = Normalise([.. group.Addresses, .. added]) }, context);
    }

    public static ModelChange<AddressGroup> RemoveAddresses(SwitchModel model, Guid id, IReadOnlyList<string> addresses, OperationContext context)
    {
        var group = Get(model, id, context);
        var removed = Parse(addresses);
        var missing = removed.Where(a => !group.Addresses.Contains(a)).Distinct().ToList();
        if (missing.Count > 0)
        {
            throw NeutronErrors.AddressesNotFound(missing.Select(a => a.ToString()), id);
        }
        return Commit(model, group, group with { Addresses = group.Addresses.Where(a => !removed.Contains(a)).ToEquatableArray() }, context);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id, OperationContext context)
    {
        var group = Get(model, id, context);
        if (model.SecurityGroups.Values.SelectMany(g => g.Rules).Any(r => r.RemoteAddressGroupId == group.Id))
        {
            throw NeutronErrors.AddressGroupInUse(group.Id);
        }
        return model with { AddressGroups = model.AddressGroups.Remove(group.Id) };
    }

    /// <summary>The group's networks of one family (what a rule of that ethertype matches).</summary>
    public static IEnumerable<IpPrefix> AddressesOf(SwitchModel model, Guid id, Ethertype family) =>
        model.AddressGroups.TryGetValue(id, out var group) ? group.Addresses.Where(a => a.Family == family) : [];

    private static ModelChange<AddressGroup> Commit(SwitchModel model, AddressGroup before, AddressGroup after, OperationContext context)
    {
        if (after == before)
        {
            return new ModelChange<AddressGroup>(model, before);
        }
        after = after with { RevisionNumber = before.RevisionNumber + 1, UpdatedAt = context.Now() };
        return new ModelChange<AddressGroup>(model with { AddressGroups = model.AddressGroups.SetItem(after.Id, after) }, after);
    }

    private static List<IpPrefix> Parse(IReadOnlyList<string> addresses) =>
        [.. addresses.Select(a => IpPrefix.TryParse(a, out var prefix) ? prefix.Network : throw NeutronErrors.InvalidAttribute("addresses", $"'{a}' is not a valid IP prefix"))];

    private static EquatableArray<IpPrefix> Normalise(IEnumerable<IpPrefix> addresses) =>
        addresses.Distinct().OrderBy(a => a.Family).ThenBy(a => a.ToString(), StringComparer.Ordinal).ToEquatableArray();
}
