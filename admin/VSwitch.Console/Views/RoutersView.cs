using Spectre.Console;
using Spectre.Console.Rendering;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>
/// Routers and floating IPs: each router's gateway, SNAT and routed subnets; each floating IP with the port behind it,
/// the groups that decide what the outside reaches, and that port's packet rate. Text columns are cut to the terminal
/// (<see cref="Frame.TextWidths"/>), numbers never.
/// </summary>
public static class RoutersView
{
    private static readonly string[] s_routerTitles = ["Router", "Gateway", "SNAT", "Subnets"];
    private static readonly string[] s_routerNumbers = ["Routes", "FIPs"];
    private static readonly string[] s_floatingTitles = ["Floating IP", "Port", "Fixed IP", "Router", "Groups"];
    private static readonly string[] s_floatingNumbers = ["pps"];

    public static IRenderable Render(ConsoleState state, int width)
    {
        var s = state.Current;
        if (s.Routing is null)
        {
            return new Markup("[grey]reading routers and floating IPs…[/]");
        }
        var routers = RouterTable.Routers(s);
        var floating = RouterTable.FloatingIps(state.Previous, s);
        var parts = new List<IRenderable> { new Markup($"[bold]Routers[/] ({routers.Count})") };
        if (routers.Count == 0)
        {
            parts.Add(new Markup("[grey]no routers[/]"));
        }
        else
        {
            // A router's first subnet is on its line, each further one on a line of its own below it.
            var rows = routers.SelectMany(r => (r.Interfaces.Count == 0 ? ["(none)"] : r.Interfaces).Select((subnet, k) => (Row: r, First: k == 0,
                Text: k == 0 ? new[] { r.State == "ACTIVE" ? r.Name : $"{r.Name} ({r.State})", r.Gateway, r.Snat, subnet } : ["", "", "", subnet],
                Numbers: k == 0 ? new[] { Units.Count(r.Routes.Count), Units.Count(r.FloatingIps) } : ["", ""]))).ToList();
            var widths = Frame.TextWidths(width, s_routerTitles, rows.Select(r => r.Text), s_routerNumbers, rows.Select(r => r.Numbers));
            var table = Frame.Table([.. s_routerTitles.Select(t => (t, false, (int?)null)), .. s_routerNumbers.Select(t => (t, true, (int?)null))]);
            var red = new Style(Color.Red);
            foreach (var r in rows)
            {
                table.AddRow([.. r.Text.Select((t, i) => Frame.Cell(Frame.Fit(t, widths[i]), i == 0 && r.First && r.Row.State != "ACTIVE" ? red : null)),
                    .. r.Numbers.Select(n => Frame.Number(n))]);
            }
            parts.Add(table);
        }
        parts.Add(new Markup($"[bold]Floating IPs[/] ({floating.Count})"));
        if (floating.Count == 0)
        {
            parts.Add(new Markup("[grey]no floating IPs[/]"));
        }
        else
        {
            var rows = floating.Select(f => (Row: f,
                Text: new[] { f.Address, f.Port.Length == 0 ? "(unattached)" : f.Port, f.FixedIp, f.Router, f.Groups },
                Numbers: new[] { Units.Si(f.PacketsPerSecond) })).ToList();
            var widths = Frame.TextWidths(width, s_floatingTitles, rows.Select(r => r.Text), s_floatingNumbers, rows.Select(r => r.Numbers));
            var table = Frame.Table([.. s_floatingTitles.Select(t => (t, false, (int?)null)), .. s_floatingNumbers.Select(t => (t, true, (int?)null))]);
            var grey = new Style(Color.Grey);
            foreach (var r in rows)
            {
                table.AddRow([.. r.Text.Select((t, i) => Frame.Cell(Frame.Fit(t, widths[i]), i == 1 && r.Row.Port.Length == 0 ? grey : null)),
                    .. r.Numbers.Select(n => Frame.Number(n))]);
            }
            parts.Add(table);
        }
        return new Rows(parts);
    }
}
