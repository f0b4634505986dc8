using System.Globalization;
using System.Text;
using VSwitch.Control;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Daemon.Metrics;

/// <summary>
/// Renders the Prometheus text exposition format (version 0.0.4) from the workers' counters at scrape time.
/// </summary>
/// <remarks>
/// Workers never push: a scrape sums each worker's single-writer counters (OVS <c>pmd_counters</c>), so its cost
/// depends on the number of ports and workers, not on the packet rate.
/// </remarks>
public sealed class MetricsWriter(Datapath datapath, Reconciler reconciler)
{
    private static readonly (PortCounter Counter, string Name, string Help)[] s_portFamilies =
    [
        (PortCounter.RxPackets, "vswitch_port_rx_packets_total", "Frames the switch received from the port (sent by the VM)."),
        (PortCounter.RxBytes, "vswitch_port_rx_bytes_total", "Bytes the switch received from the port."),
        (PortCounter.TxPackets, "vswitch_port_tx_packets_total", "Frames the switch transmitted on the port (toward the VM)."),
        (PortCounter.TxBytes, "vswitch_port_tx_bytes_total", "Bytes the switch transmitted on the port."),
    ];

    public string Render()
    {
        var model = reconciler.Applied;
        var statuses = reconciler.Statuses;
        var ports = model.Ports.Values
            .Select(p => (p.Name, Slot: statuses.TryGetValue(p.Id, out var s) ? s.Slot : -1, Up: s?.State == "ACTIVE"))
            .Where(p => p.Slot >= 0)
            .ToList();
        var sb = new StringBuilder(4096);
        foreach (var (counter, name, help) in s_portFamilies)
        {
            Family(sb, name, "counter", help);
            foreach (var p in ports)
            {
                Sample(sb, name, $"port=\"{Escape(p.Name)}\"", datapath.Read(p.Slot, counter));
            }
        }
        const string drops = "vswitch_port_dropped_packets_total";
        Family(sb, drops, "counter", "Packets dropped, by port, direction from the VM's view, and reason.");
        foreach (var p in ports)
        {
            for (var r = 0; r < (int)DropReason.Count; r++)
            {
                foreach (var d in (Direction[])[Direction.Ingress, Direction.Egress])
                {
                    var reason = (DropReason)r;
                    Sample(sb, drops, $"port=\"{Escape(p.Name)}\",direction=\"{d.Label()}\",reason=\"{reason.Label()}\"", datapath.ReadDrop(p.Slot, reason, d));
                }
            }
        }
        Family(sb, "vswitch_port_up", "gauge", "1 when the port forwards (admin up, interface present), else 0.");
        foreach (var p in ports)
        {
            Sample(sb, "vswitch_port_up", $"port=\"{Escape(p.Name)}\"", p.Up ? 1 : 0);
        }
        Family(sb, "vswitch_security_group_rule_hits_total", "counter", "Packets allowed by each security-group rule (counted once per port and direction that applied it).");
        foreach (var group in model.SecurityGroups.Values)
        {
            foreach (var rule in group.Rules)
            {
                var slot = reconciler.RuleSlot(rule.Id);
                if (slot >= 0)
                {
                    Sample(sb, "vswitch_security_group_rule_hits_total", $"security_group=\"{group.Id}\",security_group_name=\"{Escape(group.Name)}\",rule=\"{rule.Id}\"", datapath.ReadRuleHits(slot));
                }
            }
        }
        Family(sb, "vswitch_flow_cache_hits_total", "counter", "Policy verdicts answered by the per-worker exact-match flow cache.");
        sb.Append("vswitch_flow_cache_hits_total ").Append(datapath.Read(WorkerCounter.FlowCacheHits)).Append('\n');
        Family(sb, "vswitch_flow_cache_misses_total", "counter", "Policy verdicts that needed a classifier lookup.");
        sb.Append("vswitch_flow_cache_misses_total ").Append(datapath.Read(WorkerCounter.FlowCacheMisses)).Append('\n');
        var ct = datapath.Conntrack;
        Family(sb, "vswitch_conntrack_entries", "gauge", "Connections tracked now.");
        sb.Append("vswitch_conntrack_entries ").Append(ct.Count).Append('\n');
        Family(sb, "vswitch_conntrack_max_entries", "gauge", "Capacity of the connection table.");
        sb.Append("vswitch_conntrack_max_entries ").Append(ct.Capacity).Append('\n');
        Family(sb, "vswitch_conntrack_created_total", "counter", "Connections committed to the table.");
        sb.Append("vswitch_conntrack_created_total ").Append(ct.CreatedTotal).Append('\n');
        Family(sb, "vswitch_conntrack_early_drops_total", "counter", "Unreplied connections evicted to make room for new ones.");
        sb.Append("vswitch_conntrack_early_drops_total ").Append(ct.EarlyDropTotal).Append('\n');
        Family(sb, "vswitch_conntrack_revoked_total", "counter", "Tracked connections cut because the policy no longer allows them.");
        sb.Append("vswitch_conntrack_revoked_total ").Append(datapath.Read(WorkerCounter.ConntrackRevoked)).Append('\n');
        Family(sb, "vswitch_worker_busy_seconds_total", "counter", "Seconds each worker spent processing packets (not waiting).");
        foreach (var w in datapath.Workers)
        {
            sb.Append("vswitch_worker_busy_seconds_total{worker=\"").Append(w.Id).Append("\"} ")
              .Append((w.Counters.Read(WorkerCounter.BusyNanoseconds) / 1e9).ToString("0.000000", CultureInfo.InvariantCulture)).Append('\n');
        }
        Family(sb, "vswitch_worker_packets_total", "counter", "Frames each worker processed.");
        foreach (var w in datapath.Workers)
        {
            Sample(sb, "vswitch_worker_packets_total", $"worker=\"{w.Id}\"", w.Counters.Read(WorkerCounter.Packets));
        }
        return sb.ToString();
    }

    private static void Family(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder sb, string name, string labels, long value) =>
        sb.Append(name).Append('{').Append(labels).Append("} ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    /// <summary>Escapes a label value as the exposition format requires (backslash, double quote, line feed).</summary>
    public static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
