using System.Collections.Immutable;

namespace VSwitch.Control.Model;

/// <summary>
/// Who is in which security group, and what that means for rules: the queries the rule compiler asks of a model.
/// </summary>
/// <remarks>
/// <para><b>What.</b> A <c>remote_group_id</c> rule matches "any address of any port that is a member of that group"
/// (ARCHITECTURE.md §2): the fixed IPs of the member ports and the prefixes of their allowed address pairs, as Neutron's
/// firewall drivers expand it. A port's effective rules are the union of its groups' rules.</para>
/// <para><b>Why an index.</b> The compiler asks for the members of every remote group of every port; one pass over the
/// ports at construction answers all of those in O(1) instead of O(ports) each. Build one per model
/// (<see cref="Of"/>) and drop it with the model.</para>
/// <para><b>Thread-safety.</b> Immutable after construction; any thread may query it.</para>
/// </remarks>
public sealed class SecurityGroupMembership
{
    private readonly SwitchModel _model;
    private readonly ImmutableDictionary<Guid, ImmutableArray<PortSpec>> _members;
    private readonly ImmutableDictionary<Guid, ImmutableArray<IpPrefix>> _addresses;
    private readonly ImmutableDictionary<Guid, ImmutableArray<Guid>> _referencing;

    private SecurityGroupMembership(SwitchModel model)
    {
        _model = model;
        var members = new Dictionary<Guid, List<PortSpec>>();
        foreach (var port in model.Ports.Values)
        {
            foreach (var groupId in port.SecurityGroupIds)
            {
                if (!members.TryGetValue(groupId, out var list))
                {
                    members[groupId] = list = [];
                }
                list.Add(port);
            }
        }
        _members = members.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray());
        _addresses = members.ToImmutableDictionary(kv => kv.Key, kv => AddressesOf(kv.Value));
        _referencing = model.SecurityGroups.Values
            .SelectMany(g => g.Rules.Where(r => r.RemoteGroupId is not null).Select(r => (Remote: r.RemoteGroupId!.Value, Group: g.Id)))
            .GroupBy(x => x.Remote)
            .ToImmutableDictionary(g => g.Key, g => g.Select(x => x.Group).Distinct().ToImmutableArray());
    }

    /// <summary>Indexes a model.</summary>
    public static SecurityGroupMembership Of(SwitchModel model) => new(model);

    /// <summary>The ports that are members of the group (in port-id order).</summary>
    public ImmutableArray<PortSpec> Members(Guid groupId) => _members.GetValueOrDefault(groupId, []);

    /// <summary>
    /// The addresses a <c>remote_group_id</c> rule naming this group matches: every member's fixed IPs (as /32 or /128)
    /// and allowed-address-pair prefixes, without duplicates, IPv4 before IPv6, in address order.
    /// </summary>
    public ImmutableArray<IpPrefix> Addresses(Guid groupId) => _addresses.GetValueOrDefault(groupId, []);

    /// <summary>The addresses of one family (an IPv4 rule matches only the IPv4 ones).</summary>
    public ImmutableArray<IpPrefix> Addresses(Guid groupId, Ethertype family) =>
        Addresses(groupId).Where(p => p.Family == family).ToImmutableArray();

    /// <summary>
    /// The rules that apply to a port: the union of its groups' rules, group by group in the port's order (a rule is
    /// listed once). Empty for an unknown port and for a port without groups.
    /// </summary>
    public ImmutableArray<SecurityGroupRule> EffectiveRules(Guid portId)
    {
        if (!_model.Ports.TryGetValue(portId, out var port))
        {
            return [];
        }
        var seen = new HashSet<Guid>();
        var rules = ImmutableArray.CreateBuilder<SecurityGroupRule>();
        foreach (var groupId in port.SecurityGroupIds)
        {
            if (_model.SecurityGroups.TryGetValue(groupId, out var group))
            {
                rules.AddRange(group.Rules.Where(r => seen.Add(r.Id)));
            }
        }
        return rules.ToImmutable();
    }

    /// <summary>
    /// True if the port's groups are stateful (connections tracked); false for stateless groups. A port's groups all
    /// agree (<see cref="PortOperations"/> refuses a mix); a port without groups counts as stateful.
    /// </summary>
    public bool IsStateful(Guid portId) =>
        !_model.Ports.TryGetValue(portId, out var port)
        || port.SecurityGroupIds.All(id => !_model.SecurityGroups.TryGetValue(id, out var g) || g.Stateful);

    /// <summary>The groups with a rule whose <c>remote_group_id</c> is this group: their members' compiled rules change
    /// when this group's membership or addresses change.</summary>
    public ImmutableArray<Guid> GroupsReferencing(Guid groupId) => _referencing.GetValueOrDefault(groupId, []);

    /// <summary>The ports whose rules must be recompiled when the membership or addresses of this group change.</summary>
    public ImmutableArray<PortSpec> PortsDependingOn(Guid groupId) =>
        GroupsReferencing(groupId).SelectMany(g => Members(g)).DistinctBy(p => p.Id).OrderBy(p => p.Id).ToImmutableArray();

    private static ImmutableArray<IpPrefix> AddressesOf(IEnumerable<PortSpec> ports) =>
        ports.SelectMany(p => p.FixedIps.Concat(p.AllowedAddressPairs.Select(a => a.IpAddress)))
            .Distinct()
            .OrderBy(p => p.Family)
            .ThenBy(p => p.Address.High)
            .ThenBy(p => p.Address.Low)
            .ThenBy(p => p.PrefixLength)
            .ToImmutableArray();
}
