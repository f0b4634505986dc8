using System.Globalization;
using Terminal.Gui.ViewBase;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Tables;

namespace VSwitch.Console.Views;

/// <summary>
/// Overview: every port with its state, rx/tx packet and bit rates and drops per second by reason; under the table,
/// the selected port's graphs of the last minutes (rx, tx, drops per second).
/// </summary>
internal sealed class OverviewScreen : ScreenView
{
    private readonly RowTable<PortRates> _ports;
    private readonly TextLine _graphTitle = new() { X = 0, Y = Pos.AnchorEnd(4), Width = Dim.Fill(), Height = 1 };
    private readonly Sparkline _rx = new() { X = 0, Y = Pos.AnchorEnd(3), Width = Dim.Fill() };
    private readonly Sparkline _tx = new() { X = 0, Y = Pos.AnchorEnd(2), Width = Dim.Fill() };
    private readonly Sparkline _drops = new() { X = 0, Y = Pos.AnchorEnd(1), Width = Dim.Fill() };
    private ConsoleState? _state;

    public OverviewScreen()
        : base(Screen.Overview, "↑↓ select a port for the graphs")
    {
        _ports = new RowTable<PortRates>(
            [
                new("Port", p => p.Name),
                new("St", p => State(p.Status)),
                Column<PortRates>.Number("RX pps", p => Units.Si(p.RxPacketsPerSecond), p => p.RxPacketsPerSecond),
                Column<PortRates>.Number("RX bps", p => Units.Si(p.RxBitsPerSecond), p => p.RxBitsPerSecond),
                Column<PortRates>.Number("TX pps", p => Units.Si(p.TxPacketsPerSecond), p => p.TxPacketsPerSecond),
                Column<PortRates>.Number("TX bps", p => Units.Si(p.TxBitsPerSecond), p => p.TxBitsPerSecond),
                Column<PortRates>.Number("Drop/s", p => Units.Si(p.DropsPerSecond), p => p.DropsPerSecond),
                new("Drops/s by reason", p => string.Join(' ', p.Drops.Select(d => $"{Units.Reason(d.Key)} {Units.Si(d.Value)}"))),
            ],
            p => p.PortId, sortColumn: 0)
        {
            X = 0,
            Y = 1,
            Width = Dim.Fill(),
            Height = Dim.Fill(4),
        };
        _ports.SelectedChanged += ShowGraphs;
        Add(_ports, _graphTitle, _rx, _tx, _drops);
    }

    protected override IFilterable PrimaryList => _ports;

    /// <summary>The ports table (tests read it).</summary>
    internal RowTable<PortRates> Ports => _ports;

    /// <summary>"up" for ACTIVE, the status in lower case otherwise ("down", "build").</summary>
    internal static string State(string status) => status == "ACTIVE" ? "up" : status.ToLower(CultureInfo.InvariantCulture);

    public override void Update(ConsoleState state)
    {
        _state = state;
        _ports.SetRows(state.Overview.Ports);
        ShowTitle();
        ShowGraphs();
    }

    protected override string TitleText() =>
        _ports.Total == 0 ? "No ports" : $"Ports: {_ports.Total}, rates per second";

    private void ShowGraphs()
    {
        if (_state is null || _ports.Selected is not { } port)
        {
            _graphTitle.Show("");
            _rx.Show("", []);
            _tx.Show("", []);
            _drops.Show("", []);
            return;
        }
        var series = _state.History.Of(port.PortId);
        _graphTitle.Show($"{port.Name}, last {Units.Age(series.RxPacketsPerSecond.Count)}:");
        _rx.Show("rx pps ", series.RxPacketsPerSecond);
        _tx.Show("tx pps ", series.TxPacketsPerSecond);
        _drops.Show("drop/s ", series.DropsPerSecond);
    }
}
