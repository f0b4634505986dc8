using Spectre.Console;
using Spectre.Console.Rendering;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>Flows: the top tracked connections by rate, optionally only those through one port.</summary>
public static class FlowsView
{
    public static IRenderable Render(ConsoleState state, int width, int rows)
    {
        var s = state.Current;
        var filter = state.FlowPortId is null ? "all ports" : $"port {s.PortName(state.FlowPortId)}";
        var title = new Markup($"Top connections by rate, [bold]{Markup.Escape(filter)}[/] ({s.Flows?.Count ?? 0} tracked)");
        if (s.Flows is not { } flows)
        {
            return new Rows(title, new Markup("[grey]reading connections…[/]"));
        }
        var elapsed = state.PreviousFlows is { } p ? s.At - p.At : TimeSpan.Zero;
        var top = FlowTable.Top(state.PreviousFlows?.Flows, flows, elapsed, state.FlowPortId, Math.Max(1, rows - 4));
        var table = Frame.Table(("Proto", false, null), ("Source", false, null), ("Destination", false, null), ("State", false, null),
            ("pps", true, null), ("bps", true, null), ("Pkts", true, null), ("Age", true, null), ("In>Out", false, null));
        foreach (var r in top)
        {
            var f = r.Flow;
            table.AddRow(Frame.Cell(f.Protocol ?? ""), Frame.Cell(Endpoint(f.Src, f.SrcPort)), Frame.Cell(Endpoint(f.Dst, f.DstPort)),
                Frame.Cell(f.State ?? ""), Frame.Number(Units.Si(r.PacketsPerSecond)), Frame.Number(Units.Si(r.BitsPerSecond)),
                Frame.Number(Units.Count(f.PacketsOrig + f.PacketsReply)), Frame.Number(Units.Age(f.AgeSeconds)),
                Frame.Cell($"{s.PortName(f.InPortId)}>{s.PortName(f.OutPortId)}"));
        }
        return new Rows(title, top.Count == 0 ? new Markup("[grey]no connections[/]") : table);
    }

    private static string Endpoint(string? address, int? port) =>
        port is { } p ? (address?.Contains(':') == true ? $"[{address}]:{p}" : $"{address}:{p}") : address ?? "";
}
