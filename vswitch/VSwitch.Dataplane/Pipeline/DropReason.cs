namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// Why the switch dropped a packet. Each member is one value of the <c>reason</c> label of
/// <c>vswitch_port_dropped_packets_total</c> (<see cref="DropReasonNames.Label(DropReason)"/>); the summaries say what each
/// value means (docs/observability.md lists them for operators).
/// </summary>
public enum DropReason
{
    /// <summary>No security-group rule of the port allows the packet.</summary>
    SecurityGroup,

    /// <summary>The source MAC or IP is not the port's own (port security).</summary>
    Spoofing,

    /// <summary>Connection tracking found the packet invalid for its connection.</summary>
    ConntrackInvalid,

    /// <summary>The connection table is full and the packet would need a new entry.</summary>
    ConntrackFull,

    /// <summary>The frame could not be parsed (truncated, lying length fields, header loops).</summary>
    Malformed,

    /// <summary>The sending or receiving port is administratively down or its interface is gone.</summary>
    PortDown,

    /// <summary>The kernel refused the frame on transmit (queue full, interface gone, frame too large).</summary>
    TxFailed,

    /// <summary>
    /// A later IP fragment whose first fragment was not seen in time (or was malformed), or that overlaps its first
    /// fragment's data.
    /// </summary>
    Fragment,

    /// <summary>A VLAN-tagged frame from a VM on a network that is not VLAN-transparent.</summary>
    Vlan,

    /// <summary>A frame larger than the network's MTU that is not a GSO super-frame.</summary>
    Mtu,

    /// <summary>A packet to a router that it cannot forward: no route to its destination, no port holds the next hop, or the router is down.</summary>
    NoRoute,

    /// <summary>A packet to a router whose TTL or hop limit would reach zero.</summary>
    TtlExceeded,

    /// <summary>A connection leaving through a router's SNAT found every candidate port toward its remote endpoint taken.</summary>
    NatExhausted,

    /// <summary>Sentinel: the number of reasons.</summary>
    Count,
}

/// <summary>Direction from the VM's point of view, as Neutron uses it: egress leaves the VM, ingress enters it.</summary>
public enum Direction
{
    /// <summary>Toward the VM: the switch was transmitting on the port.</summary>
    Ingress,

    /// <summary>From the VM: the switch received the frame on the port.</summary>
    Egress,
}

/// <summary>Label spellings of the enums above, as the metrics contract fixes them.</summary>
public static class DropReasonNames
{
    private static readonly string[] s_reasons =
        ["security_group", "spoofing", "conntrack_invalid", "conntrack_full", "malformed", "port_down", "tx_failed", "fragment", "vlan", "mtu", "no_route", "ttl_exceeded", "nat_exhausted"];

    public static string Label(this DropReason reason) => s_reasons[(int)reason];

    public static string Label(this Direction direction) => direction == Direction.Ingress ? "ingress" : "egress";

    /// <summary>
    /// Whether the data path drops for <paramref name="reason"/> in <paramref name="direction"/>. Spoofing, malformed
    /// frames, VLAN tags, the MTU, later fragments and a router's drops happen only to frames a VM sends (egress); a
    /// transmit the kernel refused only toward a VM (ingress); the others both ways. The metrics export these pairs
    /// even at zero, as Prometheus advises for series known in advance, and any other pair as soon as it counts
    /// something (from its first count, which <c>rate()</c> does not see). The drop sites assert it in Debug builds and
    /// PipelineFuzzTests checks the paths it reaches (not routers, port down or transmit failures); 17 series a port
    /// instead of 26, a third off a scrape.
    /// </summary>
    public static bool IsCountedIn(this DropReason reason, Direction direction) => reason switch
    {
        DropReason.SecurityGroup or DropReason.ConntrackInvalid or DropReason.ConntrackFull or DropReason.PortDown => true,
        DropReason.TxFailed => direction == Direction.Ingress,
        _ => direction == Direction.Egress,
    };
}
