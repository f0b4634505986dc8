using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Tables;

namespace VSwitch.Console.Views;

/// <summary>
/// Flows: the tracked connections, fastest first (<see cref="FlowTable"/>), all or only those through one port
/// (<c>f</c> picks it from a list); by default only those that carried a packet since about the last refresh, else the first ones of the
/// table, idle or not (<c>a</c>).
/// </summary>
internal sealed class FlowsScreen : ScreenView
{
    /// <summary>One connection's line: its rates and the ports it enters and leaves by.</summary>
    internal sealed record FlowLine(FlowRate Rate, string Ports);

    /// <summary>At most this many connections are listed (the fastest); the API is asked for up to 5,000 per refresh.</summary>
    internal const int Shown = 1000;

    private readonly IConsoleCommands _commands;
    private readonly RowTable<FlowLine> _flows;
    private string _heading = "";

    public FlowsScreen(IConsoleCommands commands)
        : base(Screen.Flows, "f through one port  a active/all")
    {
        _commands = commands;
        _flows = new RowTable<FlowLine>(
            [
                new("Proto", r => r.Rate.Flow.Protocol ?? ""),
                new("Source", r => Endpoint(r.Rate.Flow.Src, r.Rate.Flow.SrcPort)),
                new("Destination", r => Endpoint(r.Rate.Flow.Dst, r.Rate.Flow.DstPort)),
                new("State", r => r.Rate.Flow.State ?? ""),
                Column<FlowLine>.Number("pps", r => Units.Si(r.Rate.PacketsPerSecond), r => r.Rate.PacketsPerSecond),
                Column<FlowLine>.Number("bps", r => Units.Si(r.Rate.BitsPerSecond), r => r.Rate.BitsPerSecond),
                Column<FlowLine>.Number("Pkts", r => Units.Count(r.Rate.Flow.PacketsOrig + r.Rate.Flow.PacketsReply), r => r.Rate.Flow.PacketsOrig + r.Rate.Flow.PacketsReply),
                Column<FlowLine>.Number("Age", r => Units.Age(r.Rate.Flow.AgeSeconds), r => r.Rate.Flow.AgeSeconds),
                new("In>Out", r => r.Ports),
            ],
            r => r.Rate.Key)
        {
            X = 0,
            Y = 1,
            Width = Dim.Fill(),
            Height = Dim.Fill(),
        };
        Add(_flows);
    }

    protected override IFilterable PrimaryList => _flows;

    internal RowTable<FlowLine> Flows => _flows;

    public override IReadOnlyList<Key> OwnKeys => [Key.F, Key.A];

    public override void Update(ConsoleState state)
    {
        var s = state.Current;
        var filter = state.FlowPortId is null ? "all ports" : $"port {s.PortName(state.FlowPortId)}";
        if (s.Flows is not { } flows)
        {
            _heading = $"Connections by rate, {filter}: reading…";
            _flows.SetRows([]);
            ShowTitle();
            return;
        }
        var elapsed = state.PreviousFlows is { } p ? s.At - p.At : TimeSpan.Zero;
        var top = FlowTable.Top(state.PreviousFlows?.Flows, flows, elapsed, state.FlowPortId, Shown);
        var tracked = s.Stats.Conntrack?.Entries ?? flows.Count;
        var cut = flows.Count >= SnapshotReader.FlowLimit ? " (the first)" : "";
        _heading = $"Connections by rate, {filter}: {tracked} tracked, " + (state.ActiveFlowsOnly
            ? $"{flows.Count} active in {SnapshotReader.ActiveWithinSeconds} s{cut}"
            : $"{flows.Count} read (idle too)");
        _flows.SetRows(top.Select(r => new FlowLine(r, $"{s.PortName(r.Flow.InPortId)}>{s.PortName(r.Flow.OutPortId)}")));
        ShowTitle();
    }

    protected override string TitleText() => _heading;

    public override bool HandleKey(Key key)
    {
        if (key == Key.F)
        {
            _commands.PickFlowPort();
            return true;
        }
        if (key == Key.A)
        {
            _commands.ToggleActiveFlows();
            return true;
        }
        return false;
    }

    private static string Endpoint(string? address, int? port) =>
        port is { } p ? (address?.Contains(':') == true ? $"[{address}]:{p}" : $"{address}:{p}") : address ?? "";
}
