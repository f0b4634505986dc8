using Prometheus;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Daemon.Metrics;

/// <summary>
/// Every family VSwitch exports, made in one registry: the one place that holds each family's name, type, labels and
/// help text (ARCHITECTURE.md §3; docs/observability.md lists them with their labels).
/// </summary>
/// <remarks>
/// The per-port counters' families follow <see cref="PortCounter"/>, the drops' <c>reason</c> label
/// <see cref="DropReason"/>'s labels; the workers keep their counters in plain fields, and
/// <see cref="MetricsExporter"/> copies them here only when a scrape asks.
/// </remarks>
internal sealed class MetricFamilies
{
    public MetricFamilies(CollectorRegistry registry)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        Counter PerPort(string name, string help) => f.CreateCounter(name, help, ["port"]);
        Gauge PerPortGauge(string name, string help) => f.CreateGauge(name, help, ["port"]);
        Counter Total(string name, string help) => f.CreateCounter(name, help);
        Gauge Level(string name, string help) => f.CreateGauge(name, help);

        PortCounters =
        [
            (PortCounter.RxPackets, PerPort("vswitch_port_rx_packets_total", "Frames the switch received from the port (sent by the VM).")),
            (PortCounter.RxBytes, PerPort("vswitch_port_rx_bytes_total", "Bytes the switch received from the port (sent by the VM).")),
            (PortCounter.TxPackets, PerPort("vswitch_port_tx_packets_total", "Frames the switch transmitted on the port (toward the VM).")),
            (PortCounter.TxBytes, PerPort("vswitch_port_tx_bytes_total", "Bytes the switch transmitted on the port (toward the VM).")),
            (PortCounter.RxErrors, PerPort("vswitch_port_rx_errors_total",
                "Frames the port received but could not hand to the switch (larger than a buffer, truncated by the ring).")),
            (PortCounter.RxRingDrops, PerPort("vswitch_port_rx_ring_dropped_packets_total",
                "Frames the kernel dropped before the switch read them because the port's receive ring was full (afpacket ports).")),
        ];
        PortDrops = f.CreateCounter("vswitch_port_dropped_packets_total",
            "Packets dropped, by port, direction from the VM's view (ingress: toward the VM, egress: from the VM), and reason.",
            ["port", "direction", "reason"]);
        PortUp = PerPortGauge("vswitch_port_up", "1 when the port forwards (admin up, network up, interface present), else 0.");
        PortConntrackEntries = PerPortGauge("vswitch_port_conntrack_entries",
            "Connections tracked now that enter or leave on the port (a connection between two ports counts on both).");
        PortConntrackLimit = PerPortGauge("vswitch_port_conntrack_limit",
            "The most connections the port may have (0: no limit); past it new connections are dropped with reason conntrack_full.");
        RuleHits = f.CreateCounter("vswitch_security_group_rule_hits_total",
            "Packets allowed by each security-group rule (counted once per port and direction that applied it).", ["security_group", "rule"]);
        GroupInfo = f.CreateGauge("vswitch_security_group_info",
            "Always 1: the name of each security group that has rule hits, to join onto them by security_group.", ["security_group", "name"]);

        DhcpReplies = Total("vswitch_dhcp_replies_total", "DHCPv4 replies the switch sent to its ports (offers, acks, naks).");
        DhcpIgnored = Total("vswitch_dhcp_ignored_total",
            "DHCPv4 client messages of served ports the switch did not answer (malformed, another client's MAC, another server, releases).");
        Dhcpv6Replies = Total("vswitch_dhcpv6_replies_total", "DHCPv6 replies the switch sent to its ports (advertise, reply).");
        Dhcpv6Ignored = Total("vswitch_dhcpv6_ignored_total",
            "DHCPv6 client messages of served ports the switch did not answer (malformed, another server, an address asked on a stateless network).");
        RouterAdvertisements = Total("vswitch_router_advertisements_total",
            "Router advertisements the switch sent in answer to its ports' router solicitations (networks with IPv6 subnets that have an ipv6_ra_mode).");
        RouterForwarded = Total("vswitch_router_forwarded_packets_total", "Packets the switch's routers forwarded from one network to another.");
        RouterNeighborReplies = Total("vswitch_router_neighbor_replies_total", "ARP requests and neighbor solicitations for router addresses that the switch answered.");
        RouterEchoReplies = Total("vswitch_router_echo_replies_total", "Echo requests to router addresses that the switch answered.");
        RouterIcmpErrors = Total("vswitch_router_icmp_errors_total", "ICMP errors the switch's routers sent (time exceeded, unreachable, fragmentation needed).");
        RouterIcmpRateLimited = Total("vswitch_router_icmp_rate_limited_total", "ICMP errors the switch's routers did not send because of their rate limit.");
        RouterArpRequests = Total("vswitch_router_arp_requests_total",
            "ARP requests the switch's routers broadcast to resolve next hops on external networks that are no port's.");
        RouterNeighborsLearned = Total("vswitch_router_neighbors_learned_total",
            "ARP answers the switch's routers learned on external networks (replies to them, and requests for their addresses).");
        NatTranslated = Total("vswitch_nat_translated_packets_total",
            "Packets whose address a router translated: a floating IP (to the fixed IP on the way in, to the floating IP on the way out) or SNAT (from the gateway address and a port of its own on the way out, back to the inside endpoint on the way in).");
        FlowCacheHits = Total("vswitch_flow_cache_hits_total", "Policy verdicts answered by the per-worker exact-match flow cache.");
        FlowCacheMisses = Total("vswitch_flow_cache_misses_total", "Policy verdicts that needed a classifier lookup.");
        ConntrackEntries = Level("vswitch_conntrack_entries", "Connections tracked now.");
        ConntrackMaxEntries = Level("vswitch_conntrack_max_entries", "Capacity of the connection table.");
        ConntrackCreated = Total("vswitch_conntrack_created_total", "Connections committed to the table.");
        ConntrackEarlyDrops = Total("vswitch_conntrack_early_drops_total", "Unreplied connections evicted to make room for new ones.");
        ConntrackRevoked = Total("vswitch_conntrack_revoked_total", "Tracked connections cut because the policy no longer allows them.");
        SecurityGroupLogDropped = Total("vswitch_security_group_log_events_dropped_total",
            "Security-group log events lost because a worker's log ring was full (the log writer fell behind).");
        SecurityGroupLogSuppressed = Total("vswitch_security_group_log_events_suppressed_total",
            "Security-group log events not written because they exceeded the log's rate and burst limits.");
        FirstFragments = Total("vswitch_ip_first_fragments_total", "First fragments of fragmented IP datagrams whose L4 fields were recorded for their later fragments.");
        LaterFragmentsMatched = Total("vswitch_ip_later_fragments_matched_total", "Later IP fragments judged with their first fragment's L4 fields.");
        LaterFragmentsHeld = Total("vswitch_ip_later_fragments_held_total", "Later IP fragments held because they arrived before their first fragment.");
        FragmentEvictions = Total("vswitch_ip_fragment_evictions_total", "Fragmented datagrams forgotten before their timeout because the fragment table was full.");
        FragmentMaxDatagrams = Level("vswitch_ip_fragment_max_datagrams", "Fragmented datagrams the switch remembers at once (fragment_max_datagrams).");
        WorkerBusySeconds = f.CreateCounter("vswitch_worker_busy_seconds_total", "Seconds each worker spent processing packets (not waiting).", ["worker"]);
        WorkerPackets = f.CreateCounter("vswitch_worker_packets_total", "Frames each worker processed.", ["worker"]);
        WorkerBusyPolls = f.CreateCounter("vswitch_worker_busy_polls_total",
            "Non-blocking polls of each worker in busy-poll mode (vswitchd --busy-poll); 0 when the mode is off.", ["worker"]);
    }

    /// <summary>The per-port counters, each with the <see cref="PortCounter"/> it exports.</summary>
    public (PortCounter Counter, Counter Family)[] PortCounters { get; }

    public Counter PortDrops { get; }
    public Gauge PortUp { get; }
    public Gauge PortConntrackEntries { get; }
    public Gauge PortConntrackLimit { get; }
    public Counter RuleHits { get; }
    public Gauge GroupInfo { get; }
    public Counter DhcpReplies { get; }
    public Counter DhcpIgnored { get; }
    public Counter Dhcpv6Replies { get; }
    public Counter Dhcpv6Ignored { get; }
    public Counter RouterAdvertisements { get; }
    public Counter RouterForwarded { get; }
    public Counter RouterNeighborReplies { get; }
    public Counter RouterEchoReplies { get; }
    public Counter RouterIcmpErrors { get; }
    public Counter RouterIcmpRateLimited { get; }
    public Counter RouterArpRequests { get; }
    public Counter RouterNeighborsLearned { get; }
    public Counter NatTranslated { get; }
    public Counter FlowCacheHits { get; }
    public Counter FlowCacheMisses { get; }
    public Gauge ConntrackEntries { get; }
    public Gauge ConntrackMaxEntries { get; }
    public Counter ConntrackCreated { get; }
    public Counter ConntrackEarlyDrops { get; }
    public Counter ConntrackRevoked { get; }
    public Counter SecurityGroupLogDropped { get; }
    public Counter SecurityGroupLogSuppressed { get; }
    public Counter FirstFragments { get; }
    public Counter LaterFragmentsMatched { get; }
    public Counter LaterFragmentsHeld { get; }
    public Counter FragmentEvictions { get; }
    public Gauge FragmentMaxDatagrams { get; }
    public Counter WorkerBusySeconds { get; }
    public Counter WorkerPackets { get; }
    public Counter WorkerBusyPolls { get; }
}
