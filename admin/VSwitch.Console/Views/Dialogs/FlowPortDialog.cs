using Terminal.Gui.ViewBase;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Views.Dialogs;

/// <summary>
/// Which port's connections the flows screen lists: "all ports" (always there, never filtered), then every port by
/// name, in a list with a filter box (<c>/</c>), the current choice selected; Enter shows the selected one. Nothing
/// is sent to the daemon.
/// </summary>
internal sealed class FlowPortDialog : FormDialog<int?>
{
    private const string AllPorts = "(all ports)";
    private readonly List<Port> _ports;
    private readonly FilteredList _list;

    /// <param name="ports">The ports to choose from.</param>
    /// <param name="current">The port the screen lists now (null: all ports).</param>
    public FlowPortDialog(IReadOnlyList<Port> ports, string? current)
        : base("Connections through", "Show", 50, Math.Clamp(ports.Count + 9, 11, 22))
    {
        _ports = [.. ports.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Id, StringComparer.Ordinal)];
        _list = new FilteredList([AllPorts, .. _ports.Select(p => string.IsNullOrEmpty(p.Name) ? p.Id : p.Name)], pinned: 1)
        {
            X = 0,
            Y = 0,
            Width = Dim.Fill(),
            Height = Dim.Fill(1),
        };
        _list.Select(current is null ? 0 : _ports.FindIndex(p => p.Id == current) + 1);
        Add(_list);
        _list.SetFocus();
    }

    /// <summary>The port chosen (null: all ports); meaningful once <see cref="FormDialog{TOutcome}.Done"/>.</summary>
    public string? Picked { get; private set; }

    internal FilteredList List => _list;

    protected override Task<int?> Submit() => Task.FromResult(_list.Selected);

    protected override bool Show(int? outcome)
    {
        if (outcome is not { } item)
        {
            Footer.Text = ErrorText("no port matches the filter");
            return false;
        }
        Picked = item == 0 ? null : _ports[item - 1].Id;
        return true;
    }
}
