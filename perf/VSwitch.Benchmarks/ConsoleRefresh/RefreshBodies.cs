using System.Text.Json;

namespace VSwitch.Benchmarks.ConsoleRefresh;

/// <summary>
/// The bodies vswitchd answers a console refresh with at scale, in the daemon's shape (the same members, compact):
/// stats of every port, the ports, the security groups, and the tracked connections.
/// </summary>
/// <remarks>
/// Two versions of the counters (tick 0 and 1) so that consecutive refreshes see rates.
/// </remarks>
internal static class RefreshBodies
{
    private static readonly string[] s_reasons =
    [
        "security_group", "spoofing", "conntrack_invalid", "conntrack_full", "malformed", "port_down", "tx_failed",
        "fragment", "vlan", "mtu", "no_route", "ttl_exceeded", "nat_exhausted",
    ];

    private static string Id(int kind, int n) => $"{kind:x8}-0000-4000-8000-{n:x12}";

    public static byte[] Stats(int ports, int tick) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("port_stats");
        for (var p = 0; p < ports; p++)
        {
            var scale = p % 10 == 0 ? 1_000 : 0;
            w.WriteStartObject();
            w.WriteString("port_id", Id(1, p));
            w.WriteString("name", $"vm{p:0000}");
            w.WriteString("status", "ACTIVE");
            w.WriteNumber("rx_packets", (long)scale * (100 + tick));
            w.WriteNumber("rx_bytes", (long)scale * 64 * (100 + tick));
            w.WriteNumber("tx_packets", (long)scale * (90 + tick));
            w.WriteNumber("tx_bytes", (long)scale * 64 * (90 + tick));
            w.WriteNumber("rx_errors", 0);
            w.WriteNumber("rx_ring_drops", 0);
            w.WriteNumber("conntrack_entries", 0);
            w.WriteNumber("conntrack_limit", 0);
            w.WriteStartObject("drops");
            foreach (var direction in new[] { "ingress", "egress" })
            {
                w.WriteStartObject(direction);
                foreach (var reason in s_reasons)
                {
                    w.WriteNumber(reason, reason == "security_group" ? scale * tick : 0);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("conntrack");
        w.WriteNumber("entries", 10_000);
        w.WriteNumber("max_entries", 262_144);
        w.WriteNumber("created", 10_000 + tick);
        w.WriteNumber("early_drops", 0);
        w.WriteEndObject();
        w.WriteStartObject("flow_cache");
        w.WriteNumber("hits", 1_000 * tick);
        w.WriteNumber("misses", 20_000);
        w.WriteEndObject();
        w.WriteStartArray("workers");
        w.WriteStartObject();
        w.WriteNumber("id", 0);
        w.WriteNumber("cpu", 1);
        w.WriteNumber("packets", 1_000_000 + tick);
        w.WriteNumber("busy_seconds", 1.5 + tick);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteStartArray("rule_stats");
        for (var r = 0; r < 24; r++)
        {
            w.WriteStartObject();
            w.WriteString("security_group_id", Id(3, r / 4));
            w.WriteString("rule_id", Id(4, r));
            w.WriteNumber("hits", r * (10 + tick));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static byte[] Ports(int ports) => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("ports");
        for (var p = 0; p < ports; p++)
        {
            w.WriteStartObject();
            w.WriteString("id", Id(1, p));
            w.WriteString("name", $"vm{p:0000}");
            w.WriteString("description", "");
            w.WriteString("network_id", Id(2, 0));
            w.WriteString("mac_address", $"fa:16:3e:00:{p >> 8:x2}:{p & 0xff:x2}");
            w.WriteBoolean("admin_state_up", true);
            w.WriteString("status", "ACTIVE");
            w.WriteString("device_id", "");
            w.WriteString("device_owner", "");
            w.WriteStartArray("fixed_ips");
            w.WriteStartObject();
            w.WriteString("subnet_id", Id(5, 0));
            w.WriteString("ip_address", $"198.18.{p >> 8}.{p & 0xff}");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteStartArray("allowed_address_pairs");
            w.WriteEndArray();
            w.WriteStartArray("security_groups");
            w.WriteStringValue(Id(3, p % 6));
            w.WriteEndArray();
            w.WriteBoolean("port_security_enabled", true);
            w.WriteStartObject("binding:profile");
            w.WriteString("device", $"memory:vm{p}");
            w.WriteEndObject();
            w.WriteString("binding:host_id", "");
            w.WriteString("binding:vif_type", "vswitch");
            w.WriteStartObject("binding:vif_details");
            w.WriteString("queues", "1");
            w.WriteEndObject();
            w.WriteString("binding:vnic_type", "normal");
            w.WriteString("project_id", "admin");
            w.WriteString("tenant_id", "admin");
            w.WriteNumber("revision_number", 0);
            w.WriteString("created_at", "2026-12-03T20:24:24Z");
            w.WriteString("updated_at", "2026-12-03T20:24:24Z");
            w.WriteStartArray("tags");
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    public static byte[] Groups() => Write(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("security_groups");
        for (var g = 0; g < 6; g++)
        {
            w.WriteStartObject();
            w.WriteString("id", Id(3, g));
            w.WriteString("name", $"group{g}");
            w.WriteString("description", "");
            w.WriteBoolean("stateful", true);
            w.WriteString("project_id", "admin");
            w.WriteStartArray("security_group_rules");
            for (var r = 0; r < 4; r++)
            {
                w.WriteStartObject();
                w.WriteString("id", Id(4, g * 4 + r));
                w.WriteString("security_group_id", Id(3, g));
                w.WriteString("direction", r < 2 ? "egress" : "ingress");
                w.WriteString("ethertype", r % 2 == 0 ? "IPv4" : "IPv6");
                if (r < 2)
                {
                    w.WriteNull("protocol");
                }
                else
                {
                    w.WriteString("protocol", "tcp");
                    w.WriteNumber("port_range_min", 22);
                    w.WriteNumber("port_range_max", 22);
                }
                w.WriteNull("remote_ip_prefix");
                w.WriteNull("remote_group_id");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>
    /// <paramref name="count"/> UDP connections between two ports, every one with a packet since the last refresh;
    /// with <paramref name="fields"/>, only those attributes (as the daemon answers <c>fields=</c>).
    /// </summary>
    public static byte[] Flows(int count, int tick, IReadOnlyCollection<string>? fields = null) => Write(w =>
    {
        bool Want(string name) => fields is null || fields.Contains(name);
        w.WriteStartObject();
        w.WriteStartArray("flows");
        for (var f = 0; f < count; f++)
        {
            var packets = 1 + f % 50 + tick * (1 + f % 7);
            w.WriteStartObject();
            if (Want("kind")) { w.WriteString("kind", "connection"); }
            if (Want("zone")) { w.WriteNumber("zone", 0); }
            if (Want("network_id")) { w.WriteString("network_id", Id(2, 0)); }
            if (Want("snat_inside")) { w.WriteNull("snat_inside"); }
            if (Want("protocol")) { w.WriteString("protocol", "udp"); }
            if (Want("src")) { w.WriteString("src", "198.18.31.1"); }
            if (Want("dst")) { w.WriteString("dst", "198.18.31.2"); }
            if (Want("src_port")) { w.WriteNumber("src_port", 10_000 + f); }
            if (Want("dst_port")) { w.WriteNumber("dst_port", 9); }
            if (Want("state")) { w.WriteString("state", "UNREPLIED"); }
            if (Want("age_seconds")) { w.WriteNumber("age_seconds", Math.Round(20 + f / 1000.0 + tick, 3)); }
            if (Want("packets_orig")) { w.WriteNumber("packets_orig", packets); }
            if (Want("bytes_orig")) { w.WriteNumber("bytes_orig", packets * 28L); }
            if (Want("packets_reply")) { w.WriteNumber("packets_reply", 0); }
            if (Want("bytes_reply")) { w.WriteNumber("bytes_reply", 0); }
            if (Want("rule_id")) { w.WriteString("rule_id", Id(4, 0)); }
            if (Want("security_group_id")) { w.WriteString("security_group_id", Id(3, 0)); }
            if (Want("in_port_id")) { w.WriteString("in_port_id", Id(1, 0)); }
            if (Want("out_port_id")) { w.WriteString("out_port_id", Id(1, 1)); }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }
        return buffer.ToArray();
    }
}
