using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>One address a router learned by ARP outside (<c>GET /v2.0/vswitch/neighbors</c>).</summary>
public sealed record NeighborEntry
{
    [JsonPropertyName("network_id")] public string NetworkId { get; set; } = "";
    [JsonPropertyName("ip_address")] public string IpAddress { get; set; } = "";
    [JsonPropertyName("mac_address")] public string MacAddress { get; set; } = "";
    [JsonPropertyName("age_seconds")] public double AgeSeconds { get; set; }
}
