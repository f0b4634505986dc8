using Spectre.Console;
using Spectre.Console.Rendering;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>
/// Ports: each port's groups, addresses, allowed address pairs, and cumulative counters: packets received, receive
/// errors and kernel ring drops (<c>Err/Ring</c>), packets sent, and the switch's drops. Above the table, a line for
/// each port that is not ACTIVE (and why) or runs on a fallback I/O path (and why), from <c>binding:vif_details</c>.
/// </summary>
/// <remarks>
/// Receive errors (frames the port could not hand to the switch) and ring drops (frames the kernel dropped because the
/// port's receive ring was full) share a column, next to RX, because both are usually zero and the view must fit 80
/// columns: with two 7-digit counters, the text columns are down to their titles there.
/// Widths: every column is one line that Spectre cuts evenly when the table is too wide, numbers included, so the
/// text columns are cut here to what the numbers leave: each gets its whole text or an equal share of the rest,
/// never less than its title.
/// </remarks>
public static class PortsView
{
    private static readonly string[] s_textTitles = ["Port", "Addresses", "Pairs", "Groups"];
    private static readonly string[] s_numberTitles = ["RX", "Err/Ring", "TX", "Drops"];

    public static IRenderable Render(ConsoleState state, int width)
    {
        var s = state.Current;
        if (s.Ports.Count == 0)
        {
            return new Markup("[grey]no ports[/]");
        }
        var stats = s.Stats.PortStats.ToDictionary(p => p.PortId);
        var rows = s.Ports.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p =>
        {
            var st = stats.GetValueOrDefault(p.Id);
            var addresses = string.Join(' ', p.FixedIps.Select(ip => ip.IpAddress).Prepend(p.MacAddress ?? "")).Trim();
            var pairs = string.Join(' ', p.AllowedAddressPairs.Select(a => a.MacAddress is null ? a.IpAddress : $"{a.IpAddress}/{a.MacAddress}"));
            var groups = p.PortSecurityEnabled ? string.Join(',', p.SecurityGroups.Select(s.GroupName)) : "(no port security)";
            var rxErrors = st?.RxErrors ?? 0;
            var ringDrops = st?.RxRingDrops ?? 0;
            var drops = st is null ? 0 : Overview.TotalDrops(st);
            return (Text: new[] { p.Name, addresses, pairs, groups.Length == 0 ? "(none)" : groups },
                Numbers: new[] { Units.Count(st?.RxPackets ?? 0), $"{Units.Count(rxErrors)}/{Units.Count(ringDrops)}", Units.Count(st?.TxPackets ?? 0), Units.Count(drops) },
                ReceiveLoss: rxErrors + ringDrops > 0, Drops: drops > 0);
        }).ToList();

        var textWidths = Frame.TextWidths(width, s_textTitles, rows.Select(r => r.Text), s_numberTitles, rows.Select(r => r.Numbers));

        var table = Frame.Table([.. s_textTitles.Select(t => (t, false, (int?)null)), .. s_numberTitles.Select(t => (t, true, (int?)null))]);
        var red = new Style(Color.Red);
        foreach (var r in rows)
        {
            table.AddRow([.. r.Text.Select((t, i) => Frame.Cell(Frame.Fit(t, textWidths[i]))),
                Frame.Number(r.Numbers[0]), Frame.Number(r.Numbers[1], r.ReceiveLoss ? red : null),
                Frame.Number(r.Numbers[2]), Frame.Number(r.Numbers[3], r.Drops ? red : null)]);
        }
        var notes = Notes(s.Ports);
        // Notes first: when the screen is too short for every port, the table's tail is what gets cut.
        return notes.Count == 0 ? table : new Rows([.. notes, table]);
    }

    /// <summary>What an operator should know about a port beyond its counters: why it is not up, why it runs slower.</summary>
    private static List<IRenderable> Notes(IEnumerable<Port> ports)
    {
        var notes = new List<IRenderable>();
        foreach (var p in ports.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (p.Status is { } status && status != "ACTIVE")
            {
                var reason = p.VifDetail("status_reason");
                notes.Add(new Markup($"[red]{Markup.Escape(p.Name)} is {Markup.Escape(status.ToLowerInvariant())}[/]"
                    + (reason is null ? "" : $": {Markup.Escape(reason)}")));
            }
            if (p.VifDetail("io_fallback") is { } fallback)
            {
                notes.Add(new Markup($"[yellow]{Markup.Escape(p.Name)} uses {Markup.Escape(p.VifDetail("io") ?? "?")} I/O[/]: {Markup.Escape(fallback)}"));
            }
        }
        return notes;
    }
}
