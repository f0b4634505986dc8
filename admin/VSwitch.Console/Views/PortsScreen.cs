using Terminal.Gui.ViewBase;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Tables;

namespace VSwitch.Console.Views;

/// <summary>
/// Ports: each port's state, groups, addresses, allowed address pairs, and cumulative counters: packets received,
/// receive errors and kernel ring drops (<c>Err/Ring</c>), packets sent, and the switch's drops. Above the table, a
/// line for each port that is not ACTIVE (with its <c>status_reason</c>) or runs on a fallback I/O path (and why),
/// from <c>binding:vif_details</c>.
/// </summary>
/// <remarks>
/// Receive errors and ring drops share a column, next to RX, because both are usually zero and the table must fit 80
/// columns; the numbers are right-aligned and never cut, the text columns are cut with an ellipsis (the table scrolls
/// sideways for the rest).
/// </remarks>
internal sealed class PortsScreen : ScreenView
{
    /// <summary>One port's line.</summary>
    internal sealed record PortLine(Port Port, string Groups, string Addresses, string Pairs, long Rx, long RxErrors, long RingDrops, long Tx, long Drops);

    private const int MaxNotes = 4;
    private readonly TextLine _notes = new() { X = 0, Y = 1, Width = Dim.Fill(), Height = 0 };
    private readonly RowTable<PortLine> _ports;

    public PortsScreen()
        : base(Screen.Ports, "↑↓ select  ←→ scroll")
    {
        _ports = new RowTable<PortLine>(
            [
                new("Port", p => p.Port.Name),
                new("St", p => OverviewScreen.State(p.Port.Status ?? "")),
                new("Addresses", p => p.Addresses),
                new("Pairs", p => p.Pairs),
                new("Groups", p => p.Groups),
                Column<PortLine>.Number("RX", p => Units.Count(p.Rx), p => p.Rx),
                Column<PortLine>.Number("Err/Ring", p => $"{Units.Count(p.RxErrors)}/{Units.Count(p.RingDrops)}", p => p.RxErrors + p.RingDrops),
                Column<PortLine>.Number("TX", p => Units.Count(p.Tx), p => p.Tx),
                Column<PortLine>.Number("Drops", p => Units.Count(p.Drops), p => p.Drops),
            ],
            p => p.Port.Id, sortColumn: 0)
        {
            X = 0,
            Y = Pos.Bottom(_notes),
            Width = Dim.Fill(),
            Height = Dim.Fill(),
        };
        _ports.Style.ExpandLastColumn = false;
        // Text columns are cut (with an ellipsis) so that the counters fit 80 columns whole.
        foreach (var (column, width) in new[] { (2, 18), (3, 10), (4, 14) })
        {
            _ports.Style.GetOrCreateColumnStyle(column).MaxWidth = width;
        }
        Add(_notes, _ports);
    }

    protected override IFilterable PrimaryList => _ports;

    internal RowTable<PortLine> Ports => _ports;

    /// <summary>The lines above the table (tests read them).</summary>
    internal string NotesText => _notes.Text;

    public override void Update(ConsoleState state)
    {
        var s = state.Current;
        var stats = s.Stats.PortStats.ToDictionary(p => p.PortId);
        _ports.SetRows(s.Ports.Select(p =>
        {
            var st = stats.GetValueOrDefault(p.Id);
            var groups = p.PortSecurityEnabled ? string.Join(',', p.SecurityGroups.Select(s.GroupName)) : "(no port security)";
            return new PortLine(p, groups.Length == 0 ? "(none)" : groups,
                string.Join(' ', p.FixedIps.Select(ip => ip.IpAddress).Prepend(p.MacAddress ?? "")).Trim(),
                string.Join(' ', p.AllowedAddressPairs.Select(a => a.MacAddress is null ? a.IpAddress : $"{a.IpAddress}/{a.MacAddress}")),
                st?.RxPackets ?? 0, st?.RxErrors ?? 0, st?.RxRingDrops ?? 0, st?.TxPackets ?? 0, st is null ? 0 : Overview.TotalDrops(st));
        }));
        var notes = Notes(s.Ports);
        _notes.Show(string.Join('\n', notes.Count <= MaxNotes ? notes : [.. notes.Take(MaxNotes - 1), $"… and {notes.Count - MaxNotes + 1} more"]));
        _notes.Height = Math.Min(notes.Count, MaxNotes);
        ShowTitle();
    }

    protected override string TitleText() => _ports.Total == 0 ? "No ports" : $"Ports: {_ports.Total}, counters since attached";

    /// <summary>What an operator should know about a port beyond its counters: why it is not up, why it runs slower.</summary>
    internal static List<string> Notes(IEnumerable<Port> ports)
    {
        var notes = new List<string>();
        foreach (var p in ports.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (p.Status is { } status && status != "ACTIVE")
            {
                var reason = p.VifDetail("status_reason");
                notes.Add($"! {p.Name} is {status.ToLowerInvariant()}" + (reason is null ? "" : $": {reason}"));
            }
            if (p.VifDetail("io_fallback") is { } fallback)
            {
                notes.Add($"! {p.Name} uses {p.VifDetail("io") ?? "?"} I/O: {fallback}");
            }
        }
        return notes;
    }
}
