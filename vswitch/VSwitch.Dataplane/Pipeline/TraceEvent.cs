namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// What one step of a traced packet decided, as a code: the pipeline records the code and its numbers
/// (<see cref="TraceLog"/>), and <see cref="TraceText.Render"/> turns it into the stage, result and sentence operators
/// read, away from the stages' code. Grouped by stage, in pipeline order.
/// </summary>
public enum TraceEvent : byte
{
    /// <summary>parse: the packet as parsed (its description).</summary>
    Parsed,

    /// <summary>parse: dropped, VLAN-tagged on a network that is not VLAN-transparent.</summary>
    VlanTagged,

    /// <summary>parse: dropped, over the network's MTU (A: bytes after the Ethernet header, B: the MTU).</summary>
    OverMtu,

    /// <summary>parse: dropped, malformed (C: the <see cref="VSwitch.Packets.ParseError"/>).</summary>
    Malformed,

    /// <summary>port_security: dropped, the sending port is down.</summary>
    SenderDown,

    /// <summary>port_security: the sending port has port security disabled.</summary>
    SenderUnfiltered,

    /// <summary>port_security: allowed by an implicit egress rule (ARP, DHCP client, ND, MLD).</summary>
    ImplicitEgress,

    /// <summary>port_security: the source MAC and IP are the port's; its rules decide.</summary>
    SourceChecked,

    /// <summary>port_security: dropped, spoofed source (or a DHCP server reply / RA from a VM).</summary>
    Spoofed,

    /// <summary>port_security: dropped, neither IP nor ARP.</summary>
    NotIpOrArp,

    /// <summary>dhcp: the switch answered the port's DHCPv4 message (C: the reply's <see cref="VSwitch.Packets.Dhcp.DhcpMessageType"/>; A: the address).</summary>
    DhcpAnswered,

    /// <summary>dhcp: a DHCPv4 client message the switch does not answer (malformed, another MAC, another server, release).</summary>
    DhcpIgnored,

    /// <summary>dhcp: the switch answered the port's DHCPv6 message (C: the reply's <see cref="VSwitch.Packets.Dhcp.DhcpV6MessageType"/>).</summary>
    Dhcpv6Answered,

    /// <summary>dhcp: a DHCPv6 client message the switch does not answer (malformed, another server, an address on a stateless network).</summary>
    Dhcpv6Ignored,

    /// <summary>nd: the switch answers the port's router solicitation with a router advertisement.</summary>
    RouterAdvertised,

    /// <summary>fragment: a first fragment, remembered for its later fragments.</summary>
    FirstFragment,

    /// <summary>fragment: a later fragment judged with its first fragment's L4 fields.</summary>
    LaterFragmentMatched,

    /// <summary>fragment: dropped, a later fragment that overlaps its first fragment.</summary>
    FragmentOverlap,

    /// <summary>fragment: dropped (held), a later fragment whose first fragment was not seen.</summary>
    FragmentHeld,

    /// <summary>conntrack: the lookup's verdict (C: verdict | state &lt;&lt; 8 | reply &lt;&lt; 16; A: admitted generation, B: the ports' required generation).</summary>
    ConntrackLookup,

    /// <summary>conntrack: dropped, invalid for the sender's stateful groups.</summary>
    ConntrackInvalid,

    /// <summary>conntrack: re-checked after a policy change and still allowed.</summary>
    Revalidated,

    /// <summary>conntrack: dropped, re-checked and no longer allowed: the connection is cut.</summary>
    Revoked,

    /// <summary>egress: allowed, the sender has port security disabled.</summary>
    EgressUnfiltered,

    /// <summary>egress: allowed, an established connection of a stateful port.</summary>
    EgressEstablished,

    /// <summary>egress: allowed by the rule in the step's rule slot.</summary>
    EgressRule,

    /// <summary>egress: dropped, no egress rule allows it.</summary>
    EgressDenied,

    /// <summary>l3: the switch answers an ARP request or neighbor solicitation for a router's address (A: the router).</summary>
    RouterNeighborAnswered,

    /// <summary>l3: the switch answers an echo request to a router's address (A: the router).</summary>
    RouterEchoAnswered,

    /// <summary>l3: dropped, to a router's own address and not an echo request (A: the router).</summary>
    RouterLocal,

    /// <summary>l3: dropped, the router is administratively down (A: the router).</summary>
    RouterDown,

    /// <summary>l3: dropped, an IPv6 link-local source or destination, which no router forwards (A: the router).</summary>
    RouterLinkLocal,

    /// <summary>l3: dropped, TTL or hop limit exhausted; time exceeded sent (A: the router, B: the TTL).</summary>
    RouterTtlExceeded,

    /// <summary>l3: dropped, no route to the destination; unreachable sent (A: the router).</summary>
    RouterNoRoute,

    /// <summary>l3: dropped, the next hop outside is not resolved yet; an ARP request asks for it (A: the router).</summary>
    RouterResolving,

    /// <summary>l3: dropped, no port holds the next hop; unreachable sent (A: the router).</summary>
    RouterUnresolved,

    /// <summary>l3: dropped, over the next network's MTU with DF set; fragmentation needed sent (A: the router, B: the MTU).</summary>
    RouterFragmentationNeeded,

    /// <summary>l3: a floating IP's destination translated to the fixed IP of the step's port (A: the router).</summary>
    FloatingIpTranslated,

    /// <summary>l3: leaving by the gateway, the source becomes the router's SNAT address (A: the router, B: the port as the packet had it).</summary>
    SourceNatTranslated,

    /// <summary>l3: a reply to the router's SNAT address, translated back to the inside endpoint (A: the router, B: the inside port).</summary>
    SourceNatReversed,

    /// <summary>l3: routed by the router to the step's port (A: the router, B: the out network).</summary>
    Routed,

    /// <summary>l2: flooded, a broadcast or multicast destination.</summary>
    Multicast,

    /// <summary>l2: flooded, an unknown destination.</summary>
    UnknownDestination,

    /// <summary>l2: unicast to the step's port.</summary>
    KnownDestination,

    /// <summary>output: nothing sent, the destination is the port the packet came from.</summary>
    SamePort,

    /// <summary>output: dropped, the receiving port is down.</summary>
    ReceiverDown,

    /// <summary>ingress: allowed, the receiver has port security disabled.</summary>
    IngressUnfiltered,

    /// <summary>ingress: allowed by an implicit ingress rule (ARP, DHCP reply, ND, MLD).</summary>
    ImplicitIngress,

    /// <summary>ingress: allowed, an established connection of a stateful port.</summary>
    IngressEstablished,

    /// <summary>ingress: dropped, invalid for the receiver's stateful groups.</summary>
    IngressInvalid,

    /// <summary>ingress: allowed by the rule in the step's rule slot.</summary>
    IngressRule,

    /// <summary>ingress: dropped, neither IP nor ARP.</summary>
    IngressNotIpOrArp,

    /// <summary>ingress: dropped, no ingress rule allows it.</summary>
    IngressDenied,

    /// <summary>egress: dropped, the sender is at its connection limit (A: tracked, B: the limit).</summary>
    SenderConnectionLimit,

    /// <summary>ingress: dropped, the receiver is at its connection limit (A: tracked, B: the limit).</summary>
    ReceiverConnectionLimit,

    /// <summary>conntrack: the connection would be committed.</summary>
    Commit,

    /// <summary>output: transmitted on the step's port.</summary>
    Transmit,
}
