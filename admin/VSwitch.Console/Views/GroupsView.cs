using Spectre.Console;
using Spectre.Console.Rendering;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>Groups: the security groups (selected one highlighted) and the selected group's rules with hit counts.</summary>
public static class GroupsView
{
    public static IRenderable Render(ConsoleState state, int width)
    {
        // Spectre's table shrinks the narrow columns first when the widest one does not fit, so long names and rule
        // texts are cut here to what is left after the number columns.
        var groupsWidth = Math.Clamp(width * 2 / 5, 32, 44);
        var nameWidth = groupsWidth - 20;
        var ruleWidth = Math.Max(10, width - groupsWidth - 19);
        var s = state.Current;
        var selected = state.Groups.Selected(s);
        var groups = Frame.Table(("Group", false, null), ("Rules", true, null), ("Ports", true, null));
        foreach (var g in GroupList.Ordered(s))
        {
            var style = g.Id == selected?.Id ? new Style(Color.Black, Color.White) : null;
            groups.AddRow(Frame.Cell(Fit((g.Id == selected?.Id ? "> " : "  ") + g.Name, nameWidth), style), Frame.Number(g.Rules.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), style),
                Frame.Number(GroupList.PortsWith(s, g.Id).Count.ToString(System.Globalization.CultureInfo.InvariantCulture), style));
        }
        IRenderable right;
        if (selected is null)
        {
            right = new Markup("[grey]no groups: press n to create one[/]");
        }
        else
        {
            var ports = GroupList.PortsWith(s, selected.Id);
            var title = new Markup($"[bold]{Markup.Escape(selected.Name)}[/] {(selected.Stateful ? "stateful" : "stateless")}, on: " +
                Markup.Escape(ports.Count == 0 ? "(no ports)" : string.Join(", ", ports.Select(p => p.Name)))).Overflow(Overflow.Ellipsis);
            var rules = Frame.Table(("No", true, null), ("Rule", false, null), ("Hits", true, null));
            foreach (var row in GroupList.Rules(s, selected))
            {
                rules.AddRow(Frame.Number($"{row.Number}"), Frame.Cell(Fit(row.Text, ruleWidth)), Frame.Number(row.Hits is { } h ? Units.Count(h) : "-"));
            }
            right = new Rows(title, selected.Rules.Count == 0 ? new Markup("[grey]no rules: press a to add one[/]") : rules);
        }
        var split = new Layout("groups").SplitColumns(new Layout("list").Size(groupsWidth), new Layout("rules"));
        split["list"].Update(groups);
        split["rules"].Update(right);
        return split;
    }

    private static string Fit(string text, int width) =>
        text.Length <= width ? text : string.Concat(text.AsSpan(0, Math.Max(0, width - 1)), "…");
}
