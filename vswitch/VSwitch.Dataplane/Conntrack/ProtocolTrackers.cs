// ProtocolTrackers: the one place that picks a connection's protocol tracker.
//
// What
//   Which tracker a packet answers to follows from its PacketKind (ConnTable.Classify): TCP → TcpTracker, ICMP and
//   ICMPv6 echo → IcmpTracker, everything else tracked (UDP, SCTP, other IP protocols) → UdpTracker. Three moments need
//   it: a first packet without an entry (FirstPacket: New, Invalid or Untracked), a committed first packet (Start: the
//   entry's initial state) and a packet on a live entry (Update: the tracker's verdict). Commit, Track and Peek all call
//   these, so a new protocol or a change of dispatch is made here once.
//
// Why
//   Each call site used to switch on the kind itself (three switches that had to agree). The methods are aggressively
//   inlined: the dispatch costs what the switches did, on a path measured per packet (Conntrack/README.md).

using System.Runtime.CompilerServices;
using VSwitch.Packets;
using static VSwitch.Dataplane.Conntrack.ConnTable;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>Dispatches a packet to its protocol's tracker (<see cref="TcpTracker"/>, <see cref="IcmpTracker"/>, <see cref="UdpTracker"/>).</summary>
internal static class ProtocolTrackers
{
    /// <summary>The verdict for a packet with no live entry: New if it may start a connection, else Invalid (or Untracked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ConnLookup FirstPacket(PacketKind kind, byte tcpFlags) => kind switch
    {
        PacketKind.Tcp => TcpTracker.IsConnectionStart(tcpFlags) ? ConnLookup.New : ConnLookup.Invalid,
        PacketKind.Ports or PacketKind.Other or PacketKind.IcmpEchoRequest => ConnLookup.New,
        PacketKind.Untracked => ConnLookup.Untracked,
        _ => ConnLookup.Invalid,
    };

    /// <summary>
    /// Sets the initial state of a new entry for its first packet; <paramref name="scale"/> is the SYN's window-scale
    /// option (<see cref="TcpTracker.ReadWindowScale"/>, read before the shard's lock), unused for other protocols.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Start(ref ConnEntry e, PacketKind kind, in ParsedPacket packet, byte scale)
    {
        switch (kind)
        {
            case PacketKind.Tcp:
                TcpTracker.Start(ref e, in packet, TcpTracker.SegmentLength(in packet), scale);
                break;
            case PacketKind.IcmpEchoRequest:
                e.State = ConnState.IcmpUnreplied;
                break;
            default:
                e.State = UdpTracker.InitialState(packet.IpProtocol);
                break;
        }
    }

    /// <summary>
    /// The tracker's verdict for a packet of a live entry in direction <paramref name="dir"/> (0 original, 1 reply),
    /// updating <paramref name="e"/>: Established, Invalid, or New for a TCP SYN on a closed connection (the caller
    /// forgets the entry). A later fragment is Established without a tracker: it carries its first fragment's L4 fields
    /// and no header of its own, and the tracker judged the segment when the first fragment passed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ConnVerdict Update(ref ConnEntry e, PacketKind kind, int dir, ReadOnlySpan<byte> frame, in ParsedPacket packet)
    {
        if ((packet.Flags & PacketFlags.LaterFragment) != 0)
        {
            return ConnVerdict.Established;
        }
        switch (kind)
        {
            case PacketKind.Tcp:
                var scale = (packet.TcpFlags & TcpFlags.Syn) != 0 ? TcpTracker.ReadWindowScale(frame, in packet) : TcpTracker.ScaleUnknown;
                return TcpTracker.Update(ref e, dir, in packet, TcpTracker.SegmentLength(in packet), scale);
            case PacketKind.IcmpEchoRequest:
            case PacketKind.IcmpEchoReply:
                return IcmpTracker.Update(ref e, dir);
            default:
                return UdpTracker.Update(ref e, dir);
        }
    }
}
