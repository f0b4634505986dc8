using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;
using VSwitch.Daemon.Metrics;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>GET /v2.0/vswitch/stats[?port_id=ID]</c>: per-port traffic counters and drops by direction and reason, the
/// connection table's totals, the flow cache and the workers (what <c>vswitchctl stats</c> shows).
/// </summary>
/// <remarks>
/// <para><b>Shape.</b> <c>{"port_stats": [{"port_id", "name", "status", "rx_packets", "rx_bytes", "tx_packets",
/// "tx_bytes", "rx_errors", "rx_ring_drops", "conntrack_entries", "conntrack_limit", "drops": {"ingress": {REASON: n, ...}, "egress": {...}}}], "conntrack": {"entries", "max_entries",
/// "created", "early_drops"}, "flow_cache": {"hits", "misses"}, "workers": [{"id", "cpu", "packets",
/// "busy_seconds"}], "rule_stats": [{"security_group_id", "rule_id", "hits"}]}</c> (rule hits are
/// <c>vswitch_security_group_rule_hits_total</c>; with <c>port_id</c> the list is empty). The reasons are the <c>reason</c> label values of
/// <c>vswitch_port_dropped_packets_total</c>, every one always present; directions are from the VM's view.</para>
/// <para><b>Which ports.</b> Every port of the model, in name then id order; a port without a data-path slot (no
/// device, or failed to open) has zero counters. <c>port_id</c> selects one; an unknown id is 404 PortNotFound.</para>
/// <para><b>Same numbers as /metrics.</b> Both read <see cref="SwitchStats.Collect"/>.</para>
/// </remarks>
internal static class StatsEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/vswitch/stats", (HttpContext http) =>
        {
            api.RequireAdmin(http, "get_vswitch_stats");
            var portId = PortIdQuery(api, http);
            var stats = SwitchStats.Collect(api.Reconciler, includeDetached: true, portId);
            var ports = stats.Ports.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.PortId).ToList();
            return new StreamedJson(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("port_stats");
                foreach (var p in ports)
                {
                    Port(w, p);
                }
                w.WriteEndArray();
                w.WriteStartObject("conntrack");
                w.WriteNumber("entries", stats.ConntrackEntries);
                w.WriteNumber("max_entries", stats.ConntrackMaxEntries);
                w.WriteNumber("created", stats.ConntrackCreated);
                w.WriteNumber("early_drops", stats.ConntrackEarlyDrops);
                w.WriteEndObject();
                w.WriteStartObject("flow_cache");
                w.WriteNumber("hits", stats.FlowCacheHits);
                w.WriteNumber("misses", stats.FlowCacheMisses);
                w.WriteEndObject();
                w.WriteStartArray("workers");
                foreach (var worker in stats.Workers)
                {
                    w.WriteStartObject();
                    w.WriteNumber("id", worker.Id);
                    w.WriteNumber("cpu", worker.Cpu);
                    w.WriteNumber("packets", worker.Packets);
                    w.WriteNumber("busy_seconds", Math.Round(worker.BusySeconds, 6));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("rule_stats");
                foreach (var rule in stats.Rules)
                {
                    w.WriteStartObject();
                    w.WriteString("security_group_id", rule.SecurityGroupId.ToString());
                    w.WriteString("rule_id", rule.RuleId.ToString());
                    w.WriteNumber("hits", rule.Hits);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        });
    }

    /// <summary>The <c>port_id</c> query parameter: null when absent; 404 PortNotFound when it names no port.</summary>
    public static Guid? PortIdQuery(ApiContext api, HttpContext http)
    {
        var text = http.Request.Query["port_id"].FirstOrDefault();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (!Guid.TryParseExact(text, "D", out var id) || !api.Models.Current.Ports.ContainsKey(id))
        {
            throw new NeutronException(404, "PortNotFound", $"Port {text} could not be found.");
        }
        return id;
    }

    private static void Port(Utf8JsonWriter w, PortStats p)
    {
        w.WriteStartObject();
        w.WriteString("port_id", p.PortId.ToString());
        w.WriteString("name", p.Name);
        w.WriteString("status", p.Status);
        w.WriteNumber("rx_packets", p.Read(PortCounter.RxPackets));
        w.WriteNumber("rx_bytes", p.Read(PortCounter.RxBytes));
        w.WriteNumber("tx_packets", p.Read(PortCounter.TxPackets));
        w.WriteNumber("tx_bytes", p.Read(PortCounter.TxBytes));
        w.WriteNumber("rx_errors", p.Read(PortCounter.RxErrors));
        w.WriteNumber("rx_ring_drops", p.Read(PortCounter.RxRingDrops));
        w.WriteNumber("conntrack_entries", p.ConntrackEntries);
        w.WriteNumber("conntrack_limit", p.ConntrackLimit);
        w.WriteStartObject("drops");
        foreach (var direction in (Direction[])[Direction.Ingress, Direction.Egress])
        {
            w.WriteStartObject(direction.Label());
            for (var r = 0; r < (int)DropReason.Count; r++)
            {
                w.WriteNumber(((DropReason)r).Label(), p.ReadDrop((DropReason)r, direction));
            }
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
