namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// Per-port traffic counters kept by every worker, each exported as the family it names (the families' help text is
/// in VSwitch.Daemon's <c>MetricFamilies</c>, their one source).
/// </summary>
public enum PortCounter
{
    /// <summary>Frames received from the port: <c>vswitch_port_rx_packets_total</c>.</summary>
    RxPackets,

    /// <summary>Bytes received from the port: <c>vswitch_port_rx_bytes_total</c>.</summary>
    RxBytes,

    /// <summary>Frames transmitted on the port: <c>vswitch_port_tx_packets_total</c>.</summary>
    TxPackets,

    /// <summary>Bytes transmitted on the port: <c>vswitch_port_tx_bytes_total</c>.</summary>
    TxBytes,

    /// <summary>Frames the port could not hand to the switch: <c>vswitch_port_rx_errors_total</c>.</summary>
    RxErrors,

    /// <summary>Frames lost to a full receive ring: <c>vswitch_port_rx_ring_dropped_packets_total</c>.</summary>
    RxRingDrops,

    /// <summary>Sentinel: the number of counters.</summary>
    Count,
}

/// <summary>Whole-worker counters.</summary>
public enum WorkerCounter
{
    /// <summary>Batches processed.</summary>
    Batches,

    /// <summary>Frames processed.</summary>
    Packets,

    /// <summary>Nanoseconds spent processing (not waiting in epoll).</summary>
    BusyNanoseconds,

    /// <summary>Times the worker called epoll_wait ready to block (a sleep when nothing was ready).</summary>
    Waits,

    /// <summary>Non-blocking polls of the busy-poll mode (<see cref="DatapathOptions.BusyPollMicroseconds"/>).</summary>
    BusyPolls,

    /// <summary>Frames flooded (broadcast, multicast or unknown unicast).</summary>
    Floods,

    /// <summary>Policy verdicts answered by the exact-match flow cache.</summary>
    FlowCacheHits,

    /// <summary>Policy verdicts that needed a classifier lookup.</summary>
    FlowCacheMisses,

    /// <summary>Tracked connections re-checked against a newer policy and kept.</summary>
    ConntrackRevalidated,

    /// <summary>Tracked connections re-checked against a newer policy and cut.</summary>
    ConntrackRevoked,

    /// <summary>Security-group log events lost because the worker's log ring was full (the writer fell behind).</summary>
    SecurityGroupLogDropped,

    /// <summary>Later IP fragments that took their first fragment's L4 fields.</summary>
    FragmentsMatched,

    /// <summary>Later IP fragments held because they arrived before their first fragment.</summary>
    FragmentsHeld,

    /// <summary>DHCPv4 replies the switch sent to its ports (offers, acks, naks).</summary>
    DhcpReplies,

    /// <summary>DHCPv4 client messages the switch did not answer (malformed, another client's MAC, for another server, release).</summary>
    DhcpIgnored,

    /// <summary>DHCPv6 replies the switch sent to its ports (advertise, reply).</summary>
    Dhcpv6Replies,

    /// <summary>DHCPv6 client messages the switch did not answer (malformed, another server, an address asked on a stateless network).</summary>
    Dhcpv6Ignored,

    /// <summary>Router advertisements the switch sent in answer to its ports' router solicitations.</summary>
    RouterAdvertisements,

    /// <summary>Packets the switch's routers forwarded from one network to another.</summary>
    RouterForwarded,

    /// <summary>ARP and neighbor solicitations for a router's address that the switch answered.</summary>
    RouterNeighborReplies,

    /// <summary>Echo requests to a router's address that the switch answered.</summary>
    RouterEchoReplies,

    /// <summary>ICMP errors the switch's routers sent (time exceeded, unreachable, fragmentation needed).</summary>
    RouterIcmpErrors,

    /// <summary>ICMP errors the switch's routers did not send because of their rate limit.</summary>
    RouterIcmpRateLimited,

    /// <summary>ARP requests the switch's routers broadcast to resolve next hops on external networks that are no port's.</summary>
    RouterArpRequests,

    /// <summary>ARP answers the switch's routers learned on external networks (replies to them, and requests for their addresses).</summary>
    RouterNeighborsLearned,

    /// <summary>
    /// Packets whose address a router translated: a floating IP (to the fixed IP on the way in, to the floating IP on the way
    /// out) or SNAT (from the gateway address and a port of its own on the way out, back to the inside endpoint on the way in).
    /// </summary>
    NatTranslated,

    /// <summary>Sentinel: the number of counters.</summary>
    Count,
}
