using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>One rule of the selected group on the groups screen: its number (for delete), words and hit count.</summary>
/// <remarks>Hits: Packets the rule admitted (<c>vswitch_security_group_rule_hits_total</c>); null while the rule has no data-path slot.</remarks>
public sealed record RuleRow(int Number, SecurityGroupRule Rule, string Text, long? Hits);

/// <summary>One group's line on the groups screen: how many rules it has and how many ports it is attached to.</summary>
public sealed record GroupRow(SecurityGroup Group, int Rules, int Ports);

/// <summary>
/// The groups screen's selection and what it lists: groups by name, the rules of the selected group with their hit
/// counts, and the ports each group is attached to.
/// </summary>
/// <remarks>The selection follows the group's id, so it stays on the same group when others are created or deleted.</remarks>
public sealed class GroupList
{
    /// <summary>The selected group's id (null: the first group).</summary>
    public string? SelectedId { get; set; }

    /// <summary>A group just created, to select once a refresh lists it (a read that left before the create does not).</summary>
    public string? PendingId { get; set; }

    /// <summary>Groups in display order: by name, then id.</summary>
    public static IReadOnlyList<SecurityGroup> Ordered(SwitchSnapshot s) =>
        [.. s.Groups.OrderBy(g => g.Name, StringComparer.Ordinal).ThenBy(g => g.Id, StringComparer.Ordinal)];

    /// <summary>The groups' lines, by name.</summary>
    public static IReadOnlyList<GroupRow> Rows(SwitchSnapshot s)
    {
        var ports = new Dictionary<string, int>();
        foreach (var id in s.Ports.SelectMany(p => p.SecurityGroups))
        {
            ports[id] = ports.GetValueOrDefault(id) + 1;
        }
        return [.. Ordered(s).Select(g => new GroupRow(g, g.Rules.Count, ports.GetValueOrDefault(g.Id)))];
    }

    /// <summary>The rules of <paramref name="group"/>, numbered from 1 in a stable order (direction, ethertype, protocol, ports, id), with hits.</summary>
    public static IReadOnlyList<RuleRow> Rules(SwitchSnapshot s, SecurityGroup group)
    {
        var hits = s.Stats.RuleStats.GroupBy(r => r.RuleId).ToDictionary(g => g.Key, g => g.Sum(r => r.Hits));
        return [.. group.Rules
            .OrderBy(r => r.Direction, StringComparer.Ordinal)
            .ThenBy(r => r.Ethertype, StringComparer.Ordinal)
            .ThenBy(r => r.Protocol ?? "", StringComparer.Ordinal)
            .ThenBy(r => r.PortRangeMin ?? -1)
            .ThenBy(r => r.Id, StringComparer.Ordinal)
            .Select((r, i) => new RuleRow(i + 1, r, RuleSpec.Describe(r, s.GroupName), hits.TryGetValue(r.Id, out var h) ? h : null))];
    }

    /// <summary>Ports that have <paramref name="groupId"/> among their groups, by name.</summary>
    public static IReadOnlyList<Port> PortsWith(SwitchSnapshot s, string groupId) =>
        [.. s.Ports.Where(p => p.SecurityGroups.Contains(groupId)).OrderBy(p => p.Name, StringComparer.Ordinal)];
}
