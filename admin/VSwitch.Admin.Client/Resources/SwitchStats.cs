using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>
/// <c>GET /v2.0/vswitch/stats</c>: per-port counters with drops by direction and reason, conntrack and flow-cache
/// totals, per-worker load and
/// per-rule hit counts. Counters are cumulative since the daemon started.
/// </summary>
public sealed record SwitchStats
{
    [JsonPropertyName("port_stats")] public IReadOnlyList<PortStats> PortStats { get; set; } = [];
    [JsonPropertyName("conntrack")] public ConntrackStats? Conntrack { get; set; }
    [JsonPropertyName("flow_cache")] public FlowCacheStats? FlowCache { get; set; }
    [JsonPropertyName("workers")] public IReadOnlyList<WorkerStats> Workers { get; set; } = [];
    [JsonPropertyName("rule_stats")] public IReadOnlyList<RuleStats> RuleStats { get; set; } = [];
}

/// <summary>One port's counters; drops are keyed by reason (<c>security_group</c>, <c>spoofing</c>, ...).</summary>
public sealed record PortStats
{
    [JsonPropertyName("port_id")] public string PortId { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("rx_packets")] public long RxPackets { get; set; }

    /// <summary>Frames the port received but could not hand to the switch (too large, truncated).</summary>
    [JsonPropertyName("rx_errors")] public long RxErrors { get; set; }

    /// <summary>Frames the kernel dropped because the port's receive ring was full (afpacket ports).</summary>
    [JsonPropertyName("rx_ring_drops")] public long RxRingDrops { get; set; }
    [JsonPropertyName("rx_bytes")] public long RxBytes { get; set; }
    [JsonPropertyName("tx_packets")] public long TxPackets { get; set; }
    [JsonPropertyName("tx_bytes")] public long TxBytes { get; set; }
    [JsonPropertyName("drops")] public PortDrops? Drops { get; set; }
}

/// <summary>Drops by direction (from the VM's view) and reason.</summary>
public sealed record PortDrops
{
    [JsonPropertyName("ingress")] public IReadOnlyDictionary<string, long> Ingress { get; set; } = new Dictionary<string, long>();
    [JsonPropertyName("egress")] public IReadOnlyDictionary<string, long> Egress { get; set; } = new Dictionary<string, long>();
}

/// <summary>The connection table's occupancy and totals.</summary>
public sealed record ConntrackStats
{
    [JsonPropertyName("entries")] public long Entries { get; set; }
    [JsonPropertyName("max_entries")] public long MaxEntries { get; set; }
    [JsonPropertyName("created")] public long Created { get; set; }
    [JsonPropertyName("early_drops")] public long EarlyDrops { get; set; }
}

/// <summary>The per-worker exact-match flow caches, summed.</summary>
public sealed record FlowCacheStats
{
    [JsonPropertyName("hits")] public long Hits { get; set; }
    [JsonPropertyName("misses")] public long Misses { get; set; }
}

/// <summary>One worker thread's load.</summary>
public sealed record WorkerStats
{
    [JsonPropertyName("id")] public int Id { get; set; }
    [JsonPropertyName("cpu")] public int? Cpu { get; set; }
    [JsonPropertyName("packets")] public long Packets { get; set; }
    [JsonPropertyName("busy_seconds")] public double BusySeconds { get; set; }
}

/// <summary>One security-group rule's hit counter (<c>vswitch_security_group_rule_hits_total</c>).</summary>
public sealed record RuleStats
{
    [JsonPropertyName("security_group_id")] public string SecurityGroupId { get; set; } = "";
    [JsonPropertyName("rule_id")] public string RuleId { get; set; } = "";
    [JsonPropertyName("hits")] public long Hits { get; set; }
}
