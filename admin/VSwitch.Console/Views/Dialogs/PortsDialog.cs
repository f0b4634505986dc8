using Terminal.Gui.ViewBase;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views.Dialogs;

/// <summary>
/// Which ports a group is on: every port with a checkbox, checked where the group is attached. Space (or a click)
/// checks and unchecks; <c>/</c> narrows the list (a box hidden by the filter keeps its mark); Enter applies: one port
/// update for each port whose box changed.
/// </summary>
/// <remarks>
/// Each update sends the port's whole new group list, so a port is either changed or not. When some updates are
/// refused (a stateless group beside stateful ones, a port without port security, ...) the dialog stays open with the
/// refusals at its foot, and the boxes of the ports that were changed are taken as they now are, so Enter again
/// retries only what failed.
/// </remarks>
internal sealed class PortsDialog : FormDialog<IReadOnlyList<(Port Port, bool Attach, Message Message)>>
{
    /// <summary>Attaches (or detaches) the group to one port; answers the message, an error when refused.</summary>
    internal delegate Task<Message> SetAttached(Port port, bool attach);

    private readonly SecurityGroup _group;
    private readonly List<Port> _ports;
    private readonly bool[] _attached;
    private readonly FilteredList _list;
    private readonly SetAttached _set;

    public PortsDialog(SecurityGroup group, IReadOnlyList<Port> ports, SetAttached set)
        : base($"Ports with {group.Name}", "Apply", 60, Math.Clamp(ports.Count + 8, 10, 20))
    {
        _group = group;
        _set = set;
        _ports = [.. ports.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)];
        _attached = [.. _ports.Select(p => p.SecurityGroups.Contains(group.Id))];
        _list = new FilteredList([.. _ports.Select(p => string.IsNullOrEmpty(p.Name) ? p.Id : p.Name)], _attached)
        {
            X = 0,
            Y = 0,
            Width = Dim.Fill(),
            Height = Dim.Fill(1),
        };
        Add(_list);
        _list.SetFocus();
    }

    /// <summary>What each applied change said, once all succeeded.</summary>
    public IReadOnlyList<Message> Applied { get; private set; } = [];

    internal FilteredList List => _list;

    /// <summary>The ports whose box is checked now, shown or hidden by the filter.</summary>
    internal IEnumerable<Port> Checked => _ports.Where((_, i) => _list.IsMarked(i));

    protected override async Task<IReadOnlyList<(Port Port, bool Attach, Message Message)>> Submit()
    {
        var changes = _ports.Select((p, i) => (Port: p, Attach: _list.IsMarked(i), Was: _attached[i]))
            .Where(c => c.Attach != c.Was).ToList();
        var answers = new List<(Port, bool, Message)>();
        foreach (var (port, attach, _) in changes)
        {
            answers.Add((port, attach, await _set(port, attach).ConfigureAwait(false)));
        }
        return answers;
    }

    protected override bool Show(IReadOnlyList<(Port Port, bool Attach, Message Message)> outcome)
    {
        foreach (var (port, attach, message) in outcome.Where(o => !o.Message.IsError))
        {
            _attached[_ports.IndexOf(port)] = attach;
        }
        var refused = outcome.Where(o => o.Message.IsError).Select(o => o.Message.Text).ToList();
        if (refused.Count == 0)
        {
            Applied = outcome.Count == 0 ? [Message.Info($"no change to the ports of {_group.Name}")] : [.. outcome.Select(o => o.Message)];
            return true;
        }
        Footer.Text = ErrorText(string.Join("; ", refused));
        return false;
    }
}
