using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>
/// One tracked connection (<c>GET /v2.0/vswitch/flows</c>): its zone and 5-tuple in the original direction, state,
/// age, counters in both directions, and the rule, group and ports that admitted it.
/// </summary>
public sealed record FlowEntry
{
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("zone")] public int Zone { get; set; }
    [JsonPropertyName("snat_inside")] public string? SnatInside { get; set; }
    [JsonPropertyName("network_id")] public string? NetworkId { get; set; }
    [JsonPropertyName("protocol")] public string? Protocol { get; set; }
    [JsonPropertyName("src")] public string? Src { get; set; }
    [JsonPropertyName("dst")] public string? Dst { get; set; }
    [JsonPropertyName("src_port")] public int? SrcPort { get; set; }
    [JsonPropertyName("dst_port")] public int? DstPort { get; set; }
    [JsonPropertyName("state")] public string? State { get; set; }
    [JsonPropertyName("age_seconds")] public double AgeSeconds { get; set; }
    [JsonPropertyName("packets_orig")] public long PacketsOrig { get; set; }
    [JsonPropertyName("bytes_orig")] public long BytesOrig { get; set; }
    [JsonPropertyName("packets_reply")] public long PacketsReply { get; set; }
    [JsonPropertyName("bytes_reply")] public long BytesReply { get; set; }
    [JsonPropertyName("rule_id")] public string? RuleId { get; set; }
    [JsonPropertyName("security_group_id")] public string? SecurityGroupId { get; set; }
    [JsonPropertyName("in_port_id")] public string? InPortId { get; set; }
    [JsonPropertyName("out_port_id")] public string? OutPortId { get; set; }
}
