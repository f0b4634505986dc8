// UdpTracker: UDP, SCTP and every other IP protocol without a state machine of its own.
//
// What
//   Such a "connection" is a pair of endpoints: for UDP and SCTP two (address, port) pairs, for any other protocol
//   (GRE, ESP, OSPF, ...) two addresses and the protocol number. The first packet's direction is the original one;
//   the entry is UNREPLIED until a packet travels the other way, then REPLIED, which also makes it assured (never
//   evicted early). Timeouts (ConnTimeouts): UDP 30 s unreplied, 120 s replied (Linux udp_timeout and
//   udp_timeout_stream); other protocols 600 s (generic_timeout) either way.
//
// Why
//   Linux's and OVS's "other" trackers are this small. Linux waits 2 s before it grants the stream timeout (so
//   that a DNS exchange does not hold an entry for 2 minutes); we grant it on the first reply, which costs at most
//   an idle entry for 90 s more and keeps the entry free of another timestamp. SCTP is tracked by ports, like UDP,
//   rather than by its chunk state machine: a security group only needs to know that the association was admitted.
//
// Thread-safety
//   Stateless code; the caller holds the entry's shard lock.

using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>Reply tracking for UDP, SCTP and other IP protocols.</summary>
internal static class UdpTracker
{
    /// <summary>True for protocols tracked by ports (UDP, SCTP); other protocols are tracked by addresses alone.</summary>
    public static bool HasPorts(byte protocol) => protocol is IpProtocol.Udp or IpProtocol.Sctp;

    /// <summary>The state of a new entry of <paramref name="protocol"/>.</summary>
    public static ConnState InitialState(byte protocol) =>
        HasPorts(protocol) ? ConnState.UdpUnreplied : ConnState.OtherUnreplied;

    /// <summary>Accounts one packet of direction <paramref name="dir"/>: a reply turns UNREPLIED into REPLIED.</summary>
    public static ConnVerdict Update(ref ConnEntry e, int dir)
    {
        if (dir == 1)
        {
            if (e.State == ConnState.UdpUnreplied)
            {
                e.State = ConnState.UdpReplied;
            }
            else if (e.State == ConnState.OtherUnreplied)
            {
                e.State = ConnState.OtherReplied;
            }
        }
        return ConnVerdict.Established;
    }
}
