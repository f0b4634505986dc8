using System.Text.Json.Nodes;
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
            var ports = stats.Ports.OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.PortId).Select(Port);
            var body = new JsonObject
            {
                ["port_stats"] = new JsonArray([.. ports]),
                ["conntrack"] = new JsonObject
                {
                    ["entries"] = stats.ConntrackEntries,
                    ["max_entries"] = stats.ConntrackMaxEntries,
                    ["created"] = stats.ConntrackCreated,
                    ["early_drops"] = stats.ConntrackEarlyDrops,
                },
                ["flow_cache"] = new JsonObject { ["hits"] = stats.FlowCacheHits, ["misses"] = stats.FlowCacheMisses },
                ["workers"] = new JsonArray([.. stats.Workers.Select(w => new JsonObject
                {
                    ["id"] = w.Id,
                    ["cpu"] = w.Cpu,
                    ["packets"] = w.Packets,
                    ["busy_seconds"] = Math.Round(w.BusySeconds, 6),
                })]),
                ["rule_stats"] = new JsonArray([.. stats.Rules.Select(r => new JsonObject
                {
                    ["security_group_id"] = r.SecurityGroupId.ToString(),
                    ["rule_id"] = r.RuleId.ToString(),
                    ["hits"] = r.Hits,
                })]),
            };
            return NeutronResults.Json(body);
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

    private static JsonObject Port(PortStats p)
    {
        var drops = new JsonObject();
        foreach (var direction in (Direction[])[Direction.Ingress, Direction.Egress])
        {
            var reasons = new JsonObject();
            for (var r = 0; r < (int)DropReason.Count; r++)
            {
                reasons[((DropReason)r).Label()] = p.ReadDrop((DropReason)r, direction);
            }
            drops[direction.Label()] = reasons;
        }
        return new JsonObject
        {
            ["port_id"] = p.PortId.ToString(),
            ["name"] = p.Name,
            ["status"] = p.Status,
            ["rx_packets"] = p.Read(PortCounter.RxPackets),
            ["rx_bytes"] = p.Read(PortCounter.RxBytes),
            ["tx_packets"] = p.Read(PortCounter.TxPackets),
            ["tx_bytes"] = p.Read(PortCounter.TxBytes),
            ["rx_errors"] = p.Read(PortCounter.RxErrors),
            ["rx_ring_drops"] = p.Read(PortCounter.RxRingDrops),
            ["conntrack_entries"] = p.ConntrackEntries,
            ["conntrack_limit"] = p.ConntrackLimit,
            ["drops"] = drops,
        };
    }
}
