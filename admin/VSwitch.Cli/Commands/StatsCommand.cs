using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>stats [--port P]</c>: the data path's counters (<c>GET /v2.0/vswitch/stats</c>).
/// </summary>
/// <remarks>
/// Without <c>--port</c>, the table format prints three sections: per-port counters (drops summed per direction),
/// conntrack and flow-cache totals, and per-worker load; <c>-f json</c> prints the API's whole document and
/// <c>-f value</c> the port rows. With <c>--port</c>, one port's counters as a <c>show</c>, drops broken down by
/// direction and reason (<c>drops_ingress_security_group</c>, ...).
/// </remarks>
internal static class StatsCommand
{
    public static readonly Column<PortStats>[] PortColumns =
    [
        new("name", "Port", s => Str(s.Name)),
        new("port_id", "ID", s => Str(s.PortId), Listed: false),
        new("status", "Status", s => Str(s.Status)),
        new("rx_packets", "RX Packets", s => Num(s.RxPackets)),
        new("rx_bytes", "RX Bytes", s => Num(s.RxBytes)),
        new("tx_packets", "TX Packets", s => Num(s.TxPackets)),
        new("tx_bytes", "TX Bytes", s => Num(s.TxBytes)),
        new("rx_errors", "RX Errors", s => Num(s.RxErrors), Listed: false),
        new("rx_ring_drops", "RX Ring Drops", s => Num(s.RxRingDrops), Listed: false),
        new("drops_ingress", "Dropped In", s => Num(s.Drops?.Ingress.Values.Sum() ?? 0)),
        new("drops_egress", "Dropped Out", s => Num(s.Drops?.Egress.Values.Sum() ?? 0)),
    ];

    private static readonly Column<WorkerStats>[] s_workerColumns =
    [
        new("id", "Worker", w => Num((long)w.Id)),
        new("cpu", "CPU", w => NumOrNull(w.Cpu)),
        new("packets", "Packets", w => Num(w.Packets)),
        new("busy_seconds", "Busy (s)", w => Num(w.BusySeconds)),
    ];

    private static readonly Column<SwitchStats>[] s_totals =
    [
        new("conntrack_entries", "Conntrack Entries", s => Num(s.Conntrack?.Entries ?? 0)),
        new("conntrack_max_entries", "Conntrack Max Entries", s => Num(s.Conntrack?.MaxEntries ?? 0)),
        new("conntrack_created", "Conntrack Created", s => Num(s.Conntrack?.Created ?? 0)),
        new("conntrack_early_drops", "Conntrack Early Drops", s => Num(s.Conntrack?.EarlyDrops ?? 0)),
        new("flow_cache_hits", "Flow Cache Hits", s => Num(s.FlowCache?.Hits ?? 0)),
        new("flow_cache_misses", "Flow Cache Misses", s => Num(s.FlowCache?.Misses ?? 0)),
    ];

    public static Command Build(CliApp app)
    {
        var port = Flags.Text("--port", "Only this port's counters (name or ID)", "PORT");
        var command = new Command("stats", "Show data-path counters") { port };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var settings = output.Read(parse);
            var portId = parse.GetValue(port) is { } p ? (await client.FindPortAsync(p, cancellation)).Id : null;
            var stats = await client.GetStatsAsync(cancellation);
            if (portId is not null)
            {
                var one = stats.PortStats.FirstOrDefault(s => s.PortId == portId)
                    ?? throw new CommandException($"no counters for port {parse.GetValue(port)} (is it attached?)");
                Show(app.Out, settings, PortDetail(one), one);
                return;
            }
            switch (settings.Format)
            {
                case OutputFormat.Json:
                    app.Out.WriteLine(JsonSerializer.Serialize(stats, ClientJsonContext.Default.SwitchStats));
                    break;
                case OutputFormat.Value:
                    List(app.Out, settings, PortColumns, stats.PortStats);
                    break;
                default:
                    List(app.Out, settings, PortColumns, stats.PortStats);
                    app.Out.WriteLine();
                    Show(app.Out, OutputSettings.Default, s_totals, stats);
                    app.Out.WriteLine();
                    List(app.Out, OutputSettings.Default, s_workerColumns, stats.Workers);
                    break;
            }
        });
        return command;
    }

    /// <summary>One port's columns: the counters, then a column per drop direction and reason the daemon reported.</summary>
    public static Column<PortStats>[] PortDetail(PortStats stats) =>
    [
        .. PortColumns.Where(c => !c.Key.StartsWith("drops_", StringComparison.Ordinal)),
        .. Reasons(stats.Drops?.Ingress).Select(r => new Column<PortStats>($"drops_ingress_{r}", $"Dropped In {r}", s => Drop(s.Drops?.Ingress, r))),
        .. Reasons(stats.Drops?.Egress).Select(r => new Column<PortStats>($"drops_egress_{r}", $"Dropped Out {r}", s => Drop(s.Drops?.Egress, r))),
    ];

    private static IEnumerable<string> Reasons(IReadOnlyDictionary<string, long>? drops) => drops is null ? [] : drops.Keys.Order(StringComparer.Ordinal);

    private static JsonNode Drop(IReadOnlyDictionary<string, long>? drops, string reason) => Num(drops?.GetValueOrDefault(reason) ?? 0);
}
