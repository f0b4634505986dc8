using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Tables;

namespace VSwitch.Console.Views;

/// <summary>Flows: the tracked connections, fastest first (<see cref="FlowTable"/>), all or only those through one port (<c>f</c>).</summary>
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
        : base(Screen.Flows, "f only one port (next port)")
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

    public override IReadOnlyList<Key> OwnKeys => [Key.F];

    public override void Update(ConsoleState state)
    {
        var s = state.Current;
        var filter = state.FlowPortId is null ? "all ports" : $"port {s.PortName(state.FlowPortId)}";
        if (s.Flows is not { } flows)
        {
            _heading = $"Connections through {filter}: reading…";
            _flows.SetRows([]);
            ShowTitle();
            return;
        }
        var elapsed = state.PreviousFlows is { } p ? s.At - p.At : TimeSpan.Zero;
        var top = FlowTable.Top(state.PreviousFlows?.Flows, flows, elapsed, state.FlowPortId, Shown);
        var tracked = s.Stats.Conntrack?.Entries ?? flows.Count;
        _heading = $"Top connections by rate through {filter}: {tracked} tracked" + (flows.Count < tracked ? $", {flows.Count} read" : "");
        _flows.SetRows(top.Select(r => new FlowLine(r, $"{s.PortName(r.Flow.InPortId)}>{s.PortName(r.Flow.OutPortId)}")));
        ShowTitle();
    }

    protected override string TitleText() => _heading;

    public override bool HandleKey(Key key)
    {
        if (key == Key.F)
        {
            _commands.NextFlowPort();
            return true;
        }
        return false;
    }

    private static string Endpoint(string? address, int? port) =>
        port is { } p ? (address?.Contains(':') == true ? $"[{address}]:{p}" : $"{address}:{p}") : address ?? "";
}
