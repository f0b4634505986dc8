using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>
/// <c>POST /v2.0/vswitch/trace</c>'s answer: what the pipeline would do with a packet entering a port, stage by stage,
/// and the verdict with the rule or drop reason that decided it.
/// </summary>
public sealed record PacketTrace
{
    [JsonPropertyName("verdict")] public string Verdict { get; set; } = "";
    [JsonPropertyName("reason")] public string? Reason { get; set; }
    [JsonPropertyName("steps")] public IReadOnlyList<TraceStep> Steps { get; set; } = [];
}

/// <summary>One pipeline stage of a trace.</summary>
public sealed record TraceStep
{
    [JsonPropertyName("stage")] public string Stage { get; set; } = "";
    [JsonPropertyName("result")] public string? Result { get; set; }
    [JsonPropertyName("detail")] public string? Detail { get; set; }
}

/// <summary>The body of a trace request: the ingress port and the packet in words (<c>tcp 198.18.0.1:40000 &gt; 198.18.0.2:80 syn</c>).</summary>
public sealed record TraceRequest
{
    [JsonPropertyName("port_id")] public string PortId { get; set; } = "";
    [JsonPropertyName("packet")] public string Packet { get; set; } = "";
}
