using System.Globalization;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Fragments;
using VSwitch.Packets;
using static VSwitch.Dataplane.Pipeline.TraceEvent;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// The words of a trace: each coded step (<see cref="TraceEvent"/>) rendered as its stage, result and sentence, and
/// one-line descriptions of parsed packets. Never on the data path: only <see cref="TraceLog.Steps"/> calls it.
/// </summary>
internal static class TraceText
{
    /// <summary>The step in words; <paramref name="portName"/> names a port slot, <paramref name="routerName"/> a router.</summary>
    public static TraceStep Render(in TraceRecord r, Func<int, string> portName, Func<int, string>? routerName = null)
    {
        var router = routerName?.Invoke((int)r.A) ?? r.A.ToString(CultureInfo.InvariantCulture);
        var p = r.Packet;
        var name = r.Port >= 0 ? portName(r.Port) : "";
        var (stage, result, detail) = r.Event switch
        {
            Parsed => ("parse", "ok", Describe(in p)),
            VlanTagged => ("parse", "", $"a frame with {p.VlanCount} VLAN tag(s) on a network that is not VLAN-transparent"),
            OverMtu => ("parse", "", $"{r.A} bytes after the Ethernet header, over the network's MTU of {r.B}"),
            Malformed => ("parse", "", ((ParseError)r.C).ToString()),
            SenderDown => ("port_security", "", $"port {name} is down"),
            SenderUnfiltered => ("port_security", "disabled", $"port {name} has port security disabled: nothing is filtered"),
            ImplicitEgress => ("port_security", "allowed", $"implicit egress rule of port {name} (ARP with own addresses, DHCP client, ND, MLD)"),
            SourceChecked => ("port_security", "passed", $"source MAC and IP belong to port {name}"),
            Spoofed => ("port_security", "", $"source MAC/IP not port {name}'s, or a DHCP server reply / router advertisement from a VM"),
            NotIpOrArp => ("port_security", "", "neither IP nor ARP: no rule can allow it"),
            DhcpAnswered => ("dhcp", ((VSwitch.Packets.Dhcp.DhcpMessageType)r.C).ToString().ToLowerInvariant(),
                $"the switch answers port {name}'s DHCP request with {((VSwitch.Packets.Dhcp.DhcpMessageType)r.C).ToString().ToUpperInvariant()} for {Ipv4Text((uint)r.A)}; it is not forwarded"),
            DhcpIgnored => ("dhcp", "ignored", $"a DHCP client message of port {name} the switch does not answer (malformed, another client's MAC, another server, or a release): not forwarded"),
            Dhcpv6Answered => ("dhcp", ((VSwitch.Packets.Dhcp.DhcpV6MessageType)r.C).ToString().ToLowerInvariant(),
                $"the switch answers port {name}'s DHCPv6 message with {((VSwitch.Packets.Dhcp.DhcpV6MessageType)r.C).ToString().ToUpperInvariant()}; it is not forwarded"),
            Dhcpv6Ignored => ("dhcp", "ignored", $"a DHCPv6 client message of port {name} the switch does not answer (malformed, another server, or an address asked on a stateless network): not forwarded"),
            RouterAdvertised => ("nd", "advertised", $"the switch answers port {name}'s router solicitation with its subnets' prefixes; it is not forwarded"),
            FirstFragment => ("fragment", "first",
                $"first fragment of datagram {p.FragmentId}: its later fragments are judged with its L4 fields ({p.FragmentDataLength} bytes of data)"),
            LaterFragmentMatched => ("fragment", "matched",
                $"later fragment (offset {p.FragmentOffset}) of datagram {p.FragmentId}: judged as its first fragment, {Describe(in p)}"),
            FragmentOverlap => ("fragment", "",
                $"later fragment at offset {p.FragmentOffset} overlaps its first fragment's data: it could rewrite the L4 header the rules judged"),
            FragmentHeld => ("fragment", "",
                $"later fragment (offset {p.FragmentOffset}) of datagram {p.FragmentId}, whose first fragment has not been seen: it waits up to {FragmentHold.HoldMs} ms for it, then is dropped"),
            ConntrackLookup => Lookup(in r),
            ConntrackInvalid => ("conntrack", "", $"port {name} is stateful"),
            Revalidated => ("conntrack", "revalidated", "the current rules still allow the connection"),
            Revoked => ("conntrack", "", "the connection was admitted by a rule that no longer allows it: it is cut"),
            EgressUnfiltered => ("egress", "allowed", $"port {name} has port security disabled"),
            EgressEstablished => ("egress", "allowed", $"established connection: port {name}'s stateful groups skip their rules"),
            EgressRule => ("egress", "allowed", $"egress rule slot {r.RuleSlot} of port {name}"),
            EgressDenied => ("egress", "", $"no egress rule of port {name}'s groups allows it"),
            RouterNeighborAnswered => ("l3", "answered", $"router {router} answers for its own address: not forwarded"),
            RouterEchoAnswered => ("l3", "answered", $"router {router} answers the echo request to its own address"),
            RouterLocal => ("l3", "", $"to router {router}'s own address, and not an echo request"),
            RouterDown => ("l3", "", $"router {router} is administratively down"),
            RouterLinkLocal => ("l3", "", $"a link-local source or destination never leaves its link: router {router} sends unreachable (beyond scope) back"),
            RouterTtlExceeded => ("l3", "", $"TTL/hop limit {r.B} would reach zero at router {router}: ICMP time exceeded sent back"),
            RouterNoRoute => ("l3", "", $"router {router} has no route to the destination: ICMP unreachable sent back"),
            RouterResolving => ("l3", "", $"router {router} routes it outside, to a next hop whose MAC it does not know yet: it asks with ARP; the sender's retry goes through"),
            RouterUnresolved => ("l3", "", $"router {router} routes it, but no port holds the next hop: ICMP unreachable sent back"),
            RouterFragmentationNeeded => ("l3", "", $"larger than the next network's MTU of {r.B} with don't-fragment set: router {router} sends fragmentation needed back"),
            FloatingIpTranslated => ("l3", "dnat", $"router {router} translates the floating IP to the fixed IP of port {name}; its groups judge it by the outside address"),
            SourceNatTranslated => ("l3", "snat", $"router {router} sends it from its gateway address (SNAT; port {r.B} kept when free toward the destination)"),
            SourceNatReversed => ("l3", "unsnat", $"router {router} translates the reply back to its inside endpoint (port {r.B}) by the connection's SNAT binding"),
            Routed => ("l3", "routed", $"router {router} routes it to port {name}: MACs rewritten, TTL/hop limit decremented"),
            Multicast => ("l2", "flood", $"{p.EthDestination} is a broadcast/multicast address: every other port of the network"),
            UnknownDestination => ("l2", "flood", $"{p.EthDestination} is unknown: flooded to every other port of the network"),
            KnownDestination => ("l2", "unicast", $"{p.EthDestination} is on port {name}"),
            SamePort => ("output", "none", "the destination is the port the packet came from"),
            ReceiverDown => ("output", "", $"port {name} is down"),
            IngressUnfiltered => ("ingress", "allowed", $"port {name} has port security disabled"),
            ImplicitIngress => ("ingress", "allowed", $"implicit rule of port {name} (ARP, DHCP reply, ND, MLD)"),
            IngressEstablished => ("ingress", "allowed", $"established connection: port {name}'s stateful groups skip their rules"),
            IngressInvalid => ("ingress", "", $"port {name} is stateful"),
            IngressRule => ("ingress", "allowed", $"ingress rule slot {r.RuleSlot} of port {name}"),
            IngressNotIpOrArp => ("ingress", "", "neither IP nor ARP"),
            IngressDenied => ("ingress", "", $"no ingress rule of port {name}'s groups allows it"),
            SenderConnectionLimit => ("egress", "", $"port {name} already tracks {r.A} connections, its limit (conntrack_limit {r.B})"),
            ReceiverConnectionLimit => ("ingress", "", $"port {name} already tracks {r.A} connections, its limit (conntrack_limit {r.B})"),
            Commit => ("conntrack", "commit", "the connection would be committed: its replies and related errors will pass"),
            Transmit => ("output", "transmit", $"to port {name}"),
            _ => ("unknown", "", r.Event.ToString()),
        };
        return r.Reason is { } reason
            ? new TraceStep(r.Event, stage, "dropped", $"{reason.Label()}: {detail}", r.Port)
            : new TraceStep(r.Event, stage, result, detail, r.Port, r.RuleSlot);
    }

    private static string Ipv4Text(uint address) =>
        $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}";

    /// <summary>The conntrack lookup's step: its verdict and, for a tracked connection, its direction, state and generations.</summary>
    private static (string, string, string) Lookup(in TraceRecord r)
    {
        var verdict = (ConnVerdict)(r.C & 0xFF);
        var state = (ConnState)((r.C >> 8) & 0xFF);
        var reply = (r.C & (1 << 16)) != 0;
        var detail = verdict switch
        {
            ConnVerdict.Established or ConnVerdict.Related =>
                $"{(reply ? "reply" : "original")} direction of a {state} connection admitted under policy generation {r.A} (its ports' policy last changed at {r.B})",
            ConnVerdict.New => "no connection yet: the rules decide, and an allowed packet is committed",
            ConnVerdict.Invalid => "not valid for any tracked connection",
            _ => "not tracked (ND, non-echo ICMP, or a later fragment of an ICMP error)",
        };
        return ("conntrack", verdict.ToString().ToLowerInvariant(), detail);
    }

    public static string Describe(in ParsedPacket p)
    {
        var l2 = $"{p.EthSource} > {p.EthDestination}";
        if (p.IsArp)
        {
            return $"{l2} arp {(p.ArpOperation == 1 ? "request" : "reply")} {p.IpSource} > {p.IpDestination}";
        }
        if (!p.IsIp)
        {
            return $"{l2} ethertype 0x{p.EtherType.ToString("x4", CultureInfo.InvariantCulture)}";
        }
        var proto = p.IpProtocol switch
        {
            IpProtocol.Tcp => "tcp",
            IpProtocol.Udp => "udp",
            IpProtocol.Icmp => "icmp",
            IpProtocol.Icmpv6 => "icmp6",
            IpProtocol.Sctp => "sctp",
            _ => $"proto {p.IpProtocol}",
        };
        if (p.IpProtocol is IpProtocol.Icmp or IpProtocol.Icmpv6)
        {
            return $"{l2} {proto} {p.IpSource} > {p.IpDestination} type {p.SourcePort} code {p.DestinationPort}";
        }
        var flags = p.IpProtocol == IpProtocol.Tcp ? $" flags 0x{p.TcpFlags.ToString("x2", CultureInfo.InvariantCulture)}" : "";
        return p.HasL4
            ? $"{l2} {proto} {p.IpSource}:{p.SourcePort} > {p.IpDestination}:{p.DestinationPort}{flags}"
            : $"{l2} {proto} {p.IpSource} > {p.IpDestination}";
    }
}
