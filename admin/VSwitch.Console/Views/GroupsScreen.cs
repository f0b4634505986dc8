using System.Globalization;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Tables;

namespace VSwitch.Console.Views;

/// <summary>
/// Groups: the security groups with their rule and port counts (left), and the selected group's rules with the
/// packets each admitted (right). Tab moves between the two lists.
/// </summary>
/// <remarks>
/// Keys: <c>n</c> a new group; <c>a</c> a rule for the selected group; <c>x</c> or Delete deletes the selected group
/// (in the groups list) or rule (in the rules list), after a confirmation; <c>p</c> (also <c>+</c>/<c>-</c>) attaches
/// the group to ports and detaches it, in a list with checkboxes.
/// </remarks>
internal sealed class GroupsScreen : ScreenView
{
    private readonly IConsoleCommands _commands;
    private readonly RowTable<GroupRow> _groups;
    private readonly RowTable<RuleRow> _rules;
    private readonly TextLine _selected = new() { Y = 1, Width = Dim.Fill(), Height = 1 };
    private readonly TextLine _hint = new() { Y = 3, Width = Dim.Fill(), Height = 1 };
    private ConsoleState? _state;

    public GroupsScreen(IConsoleCommands commands)
        : base(Screen.Groups, "n new group  a add rule  x/Del delete  p ports  Tab switch list")
    {
        _commands = commands;
        _groups = new RowTable<GroupRow>(
            [
                new("Group", g => g.Group.Name),
                Column<GroupRow>.Number("Rules", g => g.Rules.ToString(CultureInfo.InvariantCulture), g => g.Rules),
                Column<GroupRow>.Number("Ports", g => g.Ports.ToString(CultureInfo.InvariantCulture), g => g.Ports),
            ],
            g => g.Group.Id)
        {
            X = 0,
            Y = 1,
            Width = Dim.Percent(38),
            Height = Dim.Fill(),
        };
        _rules = new RowTable<RuleRow>(
            [
                Column<RuleRow>.Number("No", r => r.Number.ToString(CultureInfo.InvariantCulture), r => r.Number),
                new("Rule", r => r.Text),
                Column<RuleRow>.Number("Hits", r => r.Hits is { } h ? Units.Count(h) : "-", r => r.Hits),
            ],
            r => r.Rule.Id)
        {
            X = Pos.Right(_groups) + 1,
            Y = 2,
            Width = Dim.Fill(),
            Height = Dim.Fill(),
        };
        _rules.Style.ExpandLastColumn = false;
        _selected.X = Pos.Right(_groups) + 1;
        _hint.X = Pos.Right(_groups) + 1;
        _groups.SelectedChanged += () =>
        {
            if (_state is not null)
            {
                _state.Groups.SelectedId = _groups.Selected?.Group.Id;
                ShowRules(_state);
            }
        };
        Add(_groups, _selected, _rules, _hint);
    }

    protected override IFilterable PrimaryList => _groups;

    internal RowTable<GroupRow> Groups => _groups;

    internal RowTable<RuleRow> Rules => _rules;

    /// <summary>The group whose rules are shown.</summary>
    internal SecurityGroup? SelectedGroup => _groups.Selected?.Group;

    public override IReadOnlyList<Key> OwnKeys => [Key.N, Key.A, Key.X, Key.Delete, Key.P, (Key)'+', (Key)'-'];

    public override void Update(ConsoleState state)
    {
        _state = state;
        _groups.SetRows(GroupList.Rows(state.Current));
        if (state.Groups.PendingId is { } pending && _groups.Select(pending))
        {
            state.Groups.PendingId = null;
        }
        else if (state.Groups.SelectedId is { } id && _groups.Selected?.Group.Id != id)
        {
            _groups.Select(id);
        }
        state.Groups.SelectedId = _groups.Selected?.Group.Id;
        ShowRules(state);
        ShowTitle();
    }

    protected override string TitleText() =>
        _groups.Total == 0 ? "No security groups: n creates one" : $"Security groups: {_groups.Total}";

    private void ShowRules(ConsoleState state)
    {
        var group = _groups.Selected?.Group;
        if (group is null)
        {
            _selected.Show("");
            _rules.SetRows([]);
            _hint.Show("");
            return;
        }
        var ports = GroupList.PortsWith(state.Current, group.Id);
        _selected.Show($"{group.Name} ({(group.Stateful ? "stateful" : "stateless")}) on " +
            (ports.Count == 0 ? "no ports" : string.Join(", ", ports.Select(p => p.Name))));
        _rules.SetRows(GroupList.Rules(state.Current, group));
        _rules.Visible = group.Rules.Count > 0;
        _hint.Show(group.Rules.Count > 0 ? "" : "no rules: a adds one");
    }

    public override bool HandleKey(Key key)
    {
        var group = _groups.Selected?.Group;
        if (key == Key.N)
        {
            _commands.NewGroup();
            return true;
        }
        if (group is null)
        {
            return false;
        }
        if (key == Key.A)
        {
            _commands.AddRule(group);
            return true;
        }
        if (key == Key.X || key == Key.Delete)
        {
            if (_rules.HasFocus && _rules.Selected is { } rule)
            {
                _commands.DeleteRule(group, rule);
            }
            else
            {
                _commands.DeleteGroup(group);
            }
            return true;
        }
        if (key == Key.P || key == (Key)'+' || key == (Key)'-')
        {
            _commands.EditPorts(group);
            return true;
        }
        return false;
    }
}
