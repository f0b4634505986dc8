using Spectre.Console;
using Spectre.Console.Rendering;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>Ports: each port's groups, addresses, allowed address pairs, and cumulative counters.</summary>
public static class PortsView
{
    public static IRenderable Render(ConsoleState state, int width)
    {
        var s = state.Current;
        var stats = s.Stats.PortStats.ToDictionary(p => p.PortId);
        var table = Frame.Table(("Port", false, null), ("Addresses", false, null), ("Pairs", false, null), ("Groups", false, null),
            ("RX", true, null), ("TX", true, null), ("Drops", true, null));
        foreach (var p in s.Ports.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var st = stats.GetValueOrDefault(p.Id);
            var addresses = string.Join(' ', p.FixedIps.Select(ip => ip.IpAddress).Prepend(p.MacAddress ?? ""));
            var pairs = string.Join(' ', p.AllowedAddressPairs.Select(a => a.MacAddress is null ? a.IpAddress : $"{a.IpAddress}/{a.MacAddress}"));
            var groups = p.PortSecurityEnabled ? string.Join(',', p.SecurityGroups.Select(s.GroupName)) : "(no port security)";
            var drops = st is null ? 0 : Overview.TotalDrops(st);
            table.AddRow(Frame.Cell(p.Name), Frame.Cell(addresses.Trim()), Frame.Cell(pairs), Frame.Cell(groups.Length == 0 ? "(none)" : groups),
                Frame.Number(Units.Count(st?.RxPackets ?? 0)), Frame.Number(Units.Count(st?.TxPackets ?? 0)),
                Frame.Number(Units.Count(drops), drops > 0 ? new Style(Color.Red) : null));
        }
        if (s.Ports.Count == 0)
        {
            return new Markup("[grey]no ports[/]");
        }
        return table;
    }
}
