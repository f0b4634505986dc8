// IcmpTracker: which ICMP and ICMPv6 messages conntrack tracks, relates or leaves alone.
//
// What
//   Echo request/reply (ICMP 8/0, ICMPv6 128/129) are tracked as a connection keyed by the echo identifier (both
//   "ports" of the key hold it, since it is the same both ways): a request with no entry is New, a reply with no
//   entry Invalid; a reply-direction packet on the entry makes it REPLIED (assured). Errors (ICMP 3 destination
//   unreachable, 11 time exceeded, 12 parameter problem; ICMPv6 1 destination unreachable, 2 packet too big,
//   3 time exceeded, 4 parameter problem) carry the head of the packet that caused them: the table reads it
//   (IcmpQuote) and answers Related when it belongs to a tracked connection, Invalid otherwise. Every other type
//   (ND, router solicitation/advertisement, MLD, timestamp, redirect, source quench) is Untracked: the pipeline's
//   implicit rules and the policy match those messages statelessly.
//
// Why
//   Linux's nf_conntrack_proto_icmp does the same split (icmp_error for errors; timestamp and info messages are
//   tracked there, but a security group needs no state for them and ND must never depend on conntrack). Packet
//   too big and "fragmentation needed" (type 3 code 4) being Related is what keeps path MTU discovery working
//   through a stateful group that allows no ICMP at all.
//
// Thread-safety
//   Stateless.

using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>How conntrack treats an ICMP or ICMPv6 message.</summary>
internal enum IcmpKind : byte
{
    /// <summary>Neither echo nor error: not tracked.</summary>
    Other,

    /// <summary>Echo request: may start a connection.</summary>
    EchoRequest,

    /// <summary>Echo reply: valid only on an existing entry.</summary>
    EchoReply,

    /// <summary>An error quoting another packet: Related or Invalid.</summary>
    Error,
}

/// <summary>ICMP and ICMPv6 classification and echo tracking.</summary>
internal static class IcmpTracker
{
    private const byte EchoReply = 0;
    private const byte DestinationUnreachable = 3;
    private const byte EchoRequest = 8;
    private const byte TimeExceeded = 11;
    private const byte ParameterProblem = 12;

    private const byte V6DestinationUnreachable = 1;
    private const byte V6PacketTooBig = 2;
    private const byte V6TimeExceeded = 3;
    private const byte V6ParameterProblem = 4;
    private const byte V6EchoRequest = 128;
    private const byte V6EchoReply = 129;

    /// <summary>The kind of an ICMP (<paramref name="ipv6"/> false) or ICMPv6 message of type <paramref name="type"/>.</summary>
    public static IcmpKind Classify(bool ipv6, byte type) => ipv6
        ? type switch
        {
            V6EchoRequest => IcmpKind.EchoRequest,
            V6EchoReply => IcmpKind.EchoReply,
            V6DestinationUnreachable or V6PacketTooBig or V6TimeExceeded or V6ParameterProblem => IcmpKind.Error,
            _ => IcmpKind.Other,
        }
        : type switch
        {
            EchoRequest => IcmpKind.EchoRequest,
            EchoReply => IcmpKind.EchoReply,
            DestinationUnreachable or TimeExceeded or ParameterProblem => IcmpKind.Error,
            _ => IcmpKind.Other,
        };

    /// <summary>True when <paramref name="protocol"/> is ICMP in IPv4 or ICMPv6 in IPv6 (the only pairs the parser decodes).</summary>
    public static bool IsIcmp(byte protocol, bool ipv6) =>
        ipv6 ? protocol == IpProtocol.Icmpv6 : protocol == IpProtocol.Icmp;

    /// <summary>True when a quoted ICMP message of <paramref name="type"/> is an echo (the only ones an error may relate to).</summary>
    public static bool IsEcho(bool ipv6, byte type) =>
        Classify(ipv6, type) is IcmpKind.EchoRequest or IcmpKind.EchoReply;

    /// <summary>Accounts one echo of direction <paramref name="dir"/>: a reply-direction packet makes the entry REPLIED.</summary>
    public static ConnVerdict Update(ref ConnEntry e, int dir)
    {
        if (dir == 1 && e.State == ConnState.IcmpUnreplied)
        {
            e.State = ConnState.IcmpReplied;
        }
        return ConnVerdict.Established;
    }
}
