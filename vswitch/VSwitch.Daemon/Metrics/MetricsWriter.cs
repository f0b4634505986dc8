using System.Globalization;
using System.Text;
using VSwitch.Control;
using VSwitch.Control.Model;
using VSwitch.Daemon.Hosting;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Daemon.Metrics;

/// <summary>
/// Renders the Prometheus text exposition format (version 0.0.4) from the workers' counters at scrape time.
/// </summary>
/// <remarks>
/// <para><b>What.</b> Every family of ARCHITECTURE.md §3 with exactly its names and labels, each with <c># HELP</c>
/// and <c># TYPE</c> (also when it has no sample yet), plus a few more (port up, conntrack capacity, early drops,
/// revocations, worker packets, and <c>vswitch_security_group_info</c> to join group names onto the rule hits).
/// docs/observability.md lists them.</para>
/// <para><b>Why pull.</b> Workers never push: a scrape sums each worker's single-writer counters (OVS
/// <c>pmd_counters</c>) through <see cref="SwitchStats.Collect"/>, so its cost depends on the number of ports, rules
/// and workers, never on the packet rate, and a worker never waits for it.</para>
/// <para><b>The <c>port</c> label</b> is the port's name, which Neutron lets be empty or shared: a port whose name is
/// empty or also used by another attached port is labelled with its id instead, so two ports never share a series.</para>
/// <para><b>Monotonic.</b> Counters of a slot are read under the reconciler's lock against a per-slot baseline: a
/// removed port's series disappear with it, and a new port in a reused slot starts from zero.</para>
/// <para><b>Measured.</b> One scrape of 100 ports, 24 rules, 1 worker: 0.6-1.3 ms on the shared 2-core machine, of which
/// reading the counters is 55-75 us; the rest is formatting 155 KiB of text (ScrapeCostTests, docs/observability.md).</para>
/// </remarks>
public sealed class MetricsWriter(Reconciler reconciler, SecurityGroupLogWriter? securityGroupLog = null)
{
    /// <summary>The content type of the exposition format this writer produces.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly (PortCounter Counter, string Name, string Help)[] s_portFamilies =
    [
        (PortCounter.RxPackets, "vswitch_port_rx_packets_total", "Frames the switch received from the port (sent by the VM)."),
        (PortCounter.RxBytes, "vswitch_port_rx_bytes_total", "Bytes the switch received from the port (sent by the VM)."),
        (PortCounter.TxPackets, "vswitch_port_tx_packets_total", "Frames the switch transmitted on the port (toward the VM)."),
        (PortCounter.TxBytes, "vswitch_port_tx_bytes_total", "Bytes the switch transmitted on the port (toward the VM)."),
        (PortCounter.RxErrors, "vswitch_port_rx_errors_total",
            "Frames the port received but could not hand to the switch (larger than a buffer, truncated by the ring)."),
        (PortCounter.RxRingDrops, "vswitch_port_rx_ring_dropped_packets_total",
            "Frames the kernel dropped before the switch read them because the port's receive ring was full (afpacket ports)."),
    ];

    private static readonly Direction[] s_directions = [Direction.Ingress, Direction.Egress];

    /// <summary>Reads every counter now and renders them.</summary>
    public string Render() => Render(SwitchStats.Collect(reconciler) with { SecurityGroupLogSuppressed = securityGroupLog?.Suppressed ?? 0 });

    /// <summary>Renders <paramref name="stats"/> (only attached ports are shown).</summary>
    public static string Render(SwitchStats stats)
    {
        var ports = stats.Ports.Where(p => p.Attached).ToList();
        var labels = PortLabels(ports);
        var sb = new StringBuilder(1024 + (ports.Count * 2048));
        foreach (var (counter, name, help) in s_portFamilies)
        {
            Family(sb, name, "counter", help);
            for (var i = 0; i < ports.Count; i++)
            {
                Sample(sb, name, labels[i], ports[i].Read(counter));
            }
        }
        const string drops = "vswitch_port_dropped_packets_total";
        Family(sb, drops, "counter", "Packets dropped, by port, direction from the VM's view (ingress: toward the VM, egress: from the VM), and reason.");
        for (var i = 0; i < ports.Count; i++)
        {
            for (var r = 0; r < (int)DropReason.Count; r++)
            {
                var reason = (DropReason)r;
                foreach (var d in s_directions)
                {
                    sb.Append(drops).Append("{port=\"").Append(labels[i]).Append("\",direction=\"").Append(d.Label())
                      .Append("\",reason=\"").Append(reason.Label()).Append("\"} ")
                      .Append(CultureInfo.InvariantCulture, $"{ports[i].ReadDrop(reason, d)}").Append('\n');
                }
            }
        }
        Family(sb, "vswitch_port_up", "gauge", "1 when the port forwards (admin up, network up, interface present), else 0.");
        for (var i = 0; i < ports.Count; i++)
        {
            Sample(sb, "vswitch_port_up", labels[i], ports[i].Status == PortStatus.Active ? 1 : 0);
        }
        Family(sb, "vswitch_port_conntrack_entries", "gauge",
            "Connections tracked now that enter or leave on the port (a connection between two ports counts on both).");
        for (var i = 0; i < ports.Count; i++)
        {
            Sample(sb, "vswitch_port_conntrack_entries", labels[i], ports[i].ConntrackEntries);
        }
        Family(sb, "vswitch_port_conntrack_limit", "gauge",
            "The most connections the port may have (0: no limit); past it new connections are dropped with reason conntrack_full.");
        for (var i = 0; i < ports.Count; i++)
        {
            Sample(sb, "vswitch_port_conntrack_limit", labels[i], ports[i].ConntrackLimit);
        }
        Family(sb, "vswitch_security_group_rule_hits_total", "counter",
            "Packets allowed by each security-group rule (counted once per port and direction that applied it).");
        foreach (var rule in stats.Rules)
        {
            sb.Append("vswitch_security_group_rule_hits_total{security_group=\"").Append(CultureInfo.InvariantCulture, $"{rule.SecurityGroupId}")
              .Append("\",rule=\"").Append(CultureInfo.InvariantCulture, $"{rule.RuleId}\"}} {rule.Hits}").Append('\n');
        }
        Family(sb, "vswitch_security_group_info", "gauge", "Always 1: the name of each security group that has rule hits, to join onto them by security_group.");
        foreach (var group in stats.Rules.DistinctBy(r => r.SecurityGroupId))
        {
            sb.Append("vswitch_security_group_info{security_group=\"").Append(CultureInfo.InvariantCulture, $"{group.SecurityGroupId}")
              .Append("\",name=\"").Append(Escape(group.SecurityGroupName)).Append("\"} 1\n");
        }
        Scalar(sb, "vswitch_dhcp_replies_total", "counter", "DHCPv4 replies the switch sent to its ports (offers, acks, naks).", stats.DhcpReplies);
        Scalar(sb, "vswitch_dhcp_ignored_total", "counter",
            "DHCPv4 client messages of served ports the switch did not answer (malformed, another client's MAC, another server, releases).", stats.DhcpIgnored);
        Scalar(sb, "vswitch_dhcpv6_replies_total", "counter", "DHCPv6 replies the switch sent to its ports (advertise, reply).", stats.Dhcpv6Replies);
        Scalar(sb, "vswitch_dhcpv6_ignored_total", "counter",
            "DHCPv6 client messages of served ports the switch did not answer (malformed, another server, an address asked on a stateless network).", stats.Dhcpv6Ignored);
        Scalar(sb, "vswitch_router_advertisements_total", "counter",
            "Router advertisements the switch sent in answer to its ports' router solicitations (networks with IPv6 subnets that have an ipv6_ra_mode).", stats.RouterAdvertisements);
        var router = stats.Router ?? new RouterStats(0, 0, 0, 0, 0);
        Scalar(sb, "vswitch_router_forwarded_packets_total", "counter", "Packets the switch's routers forwarded from one network to another.", router.Forwarded);
        Scalar(sb, "vswitch_router_neighbor_replies_total", "counter", "ARP requests and neighbor solicitations for router addresses that the switch answered.", router.NeighborReplies);
        Scalar(sb, "vswitch_router_echo_replies_total", "counter", "Echo requests to router addresses that the switch answered.", router.EchoReplies);
        Scalar(sb, "vswitch_router_icmp_errors_total", "counter", "ICMP errors the switch's routers sent (time exceeded, unreachable, fragmentation needed).", router.IcmpErrors);
        Scalar(sb, "vswitch_router_icmp_rate_limited_total", "counter", "ICMP errors the switch's routers did not send because of their rate limit.", router.IcmpRateLimited);
        Scalar(sb, "vswitch_router_arp_requests_total", "counter", "ARP requests the switch's routers broadcast to resolve next hops on external networks that are no port's.", router.ArpRequests);
        Scalar(sb, "vswitch_router_neighbors_learned_total", "counter", "ARP answers the switch's routers learned on external networks (replies to them, and requests for their addresses).", router.NeighborsLearned);
        Scalar(sb, "vswitch_nat_translated_packets_total", "counter",
            "Packets whose address a router translated: a floating IP (to the fixed IP on the way in, to the floating IP on the way out) or SNAT (from the gateway address and a port of its own on the way out, back to the inside endpoint on the way in).", stats.NatTranslated);
        Scalar(sb, "vswitch_flow_cache_hits_total", "counter", "Policy verdicts answered by the per-worker exact-match flow cache.", stats.FlowCacheHits);
        Scalar(sb, "vswitch_flow_cache_misses_total", "counter", "Policy verdicts that needed a classifier lookup.", stats.FlowCacheMisses);
        Scalar(sb, "vswitch_conntrack_entries", "gauge", "Connections tracked now.", stats.ConntrackEntries);
        Scalar(sb, "vswitch_conntrack_max_entries", "gauge", "Capacity of the connection table.", stats.ConntrackMaxEntries);
        Scalar(sb, "vswitch_conntrack_created_total", "counter", "Connections committed to the table.", stats.ConntrackCreated);
        Scalar(sb, "vswitch_conntrack_early_drops_total", "counter", "Unreplied connections evicted to make room for new ones.", stats.ConntrackEarlyDrops);
        Scalar(sb, "vswitch_conntrack_revoked_total", "counter", "Tracked connections cut because the policy no longer allows them.", stats.ConntrackRevoked);
        Scalar(sb, "vswitch_security_group_log_events_dropped_total", "counter",
            "Security-group log events lost because a worker's log ring was full (the log writer fell behind).", stats.SecurityGroupLogDropped);
        Scalar(sb, "vswitch_security_group_log_events_suppressed_total", "counter",
            "Security-group log events not written because they exceeded the log's rate and burst limits.", stats.SecurityGroupLogSuppressed);
        if (stats.Fragments is { } fragments)
        {
            Scalar(sb, "vswitch_ip_first_fragments_total", "counter", "First fragments of fragmented IP datagrams whose L4 fields were recorded for their later fragments.", fragments.FirstFragments);
            Scalar(sb, "vswitch_ip_later_fragments_matched_total", "counter", "Later IP fragments judged with their first fragment's L4 fields.", fragments.LaterFragmentsMatched);
            Scalar(sb, "vswitch_ip_later_fragments_held_total", "counter", "Later IP fragments held because they arrived before their first fragment.", fragments.LaterFragmentsHeld);
            Scalar(sb, "vswitch_ip_fragment_evictions_total", "counter", "Fragmented datagrams forgotten before their timeout because the fragment table was full.", fragments.Evictions);
            Scalar(sb, "vswitch_ip_fragment_max_datagrams", "gauge", "Fragmented datagrams the switch remembers at once (fragment_max_datagrams).", fragments.MaxDatagrams);
        }
        Family(sb, "vswitch_worker_busy_seconds_total", "counter", "Seconds each worker spent processing packets (not waiting).");
        foreach (var w in stats.Workers)
        {
            sb.Append("vswitch_worker_busy_seconds_total{worker=\"").Append(CultureInfo.InvariantCulture, $"{w.Id}\"}} {w.BusySeconds:0.000000}").Append('\n');
        }
        Family(sb, "vswitch_worker_packets_total", "counter", "Frames each worker processed.");
        foreach (var w in stats.Workers)
        {
            Sample(sb, "vswitch_worker_packets_total", w.Id.ToString(CultureInfo.InvariantCulture), w.Packets, "worker");
        }
        Family(sb, "vswitch_worker_busy_polls_total", "counter", "Non-blocking polls of each worker in busy-poll mode (vswitchd --busy-poll); 0 when the mode is off.");
        foreach (var w in stats.Workers)
        {
            Sample(sb, "vswitch_worker_busy_polls_total", w.Id.ToString(CultureInfo.InvariantCulture), w.BusyPolls, "worker");
        }
        return sb.ToString();
    }

    /// <summary>The escaped <c>port</c> label value of each port: its name, or its id when the name is empty or shared.</summary>
    private static string[] PortLabels(List<PortStats> ports)
    {
        var shared = ports.GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        return ports.Select(p => Escape(p.Name.Length == 0 || shared.Contains(p.Name) ? p.PortId.ToString() : p.Name)).ToArray();
    }

    private static void Family(StringBuilder sb, string name, string type, string help) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n')
          .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Scalar(StringBuilder sb, string name, string type, string help, long value)
    {
        Family(sb, name, type, help);
        sb.Append(name).Append(' ').Append(CultureInfo.InvariantCulture, $"{value}").Append('\n');
    }

    /// <summary>One sample with a single label (<paramref name="label"/>, <c>port</c> by default) whose value is already escaped.</summary>
    private static void Sample(StringBuilder sb, string name, string escapedValue, long value, string label = "port") =>
        sb.Append(name).Append('{').Append(label).Append("=\"").Append(escapedValue).Append("\"} ")
          .Append(CultureInfo.InvariantCulture, $"{value}").Append('\n');

    /// <summary>Escapes a label value as the exposition format requires (backslash, double quote, line feed).</summary>
    public static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>Escapes HELP text as the exposition format requires (backslash, line feed).</summary>
    public static string EscapeHelp(string value) => value.Replace("\\", "\\\\").Replace("\n", "\\n");
}
