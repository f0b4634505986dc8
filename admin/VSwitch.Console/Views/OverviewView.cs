using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>Overview: every port with its rx/tx packet and bit rates and drops per second by reason.</summary>
public static class OverviewView
{
    public static IRenderable Render(ConsoleState state, int width)
    {
        var o = Overview.Build(state.Previous, state.Current);
        var table = Frame.Table(("Port", false, null), ("St", false, null), ("RX pps", true, null), ("RX bps", true, null),
            ("TX pps", true, null), ("TX bps", true, null), ("Drop/s", true, null), ("Drops/s by reason", false, null));
        foreach (var p in o.Ports.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var reasons = string.Join(' ', p.Drops.Select(d => $"{Units.Reason(d.Key)} {Units.Si(d.Value)}"));
            table.AddRow(Frame.Cell(p.Name), Frame.Cell(p.Status == "ACTIVE" ? "up" : p.Status.ToLower(CultureInfo.InvariantCulture), p.Status == "ACTIVE" ? new Style(Color.Green) : new Style(Color.Red)),
                Frame.Number(Units.Si(p.RxPacketsPerSecond)), Frame.Number(Units.Si(p.RxBitsPerSecond)),
                Frame.Number(Units.Si(p.TxPacketsPerSecond)), Frame.Number(Units.Si(p.TxBitsPerSecond)),
                Frame.Number(Units.Si(p.DropsPerSecond), p.DropsPerSecond > 0 ? new Style(Color.Red) : null),
                Frame.Cell(reasons, new Style(Color.Red)));
        }
        if (o.Ports.Count == 0)
        {
            return new Markup("[grey]no ports[/]");
        }
        return table;
    }
}
