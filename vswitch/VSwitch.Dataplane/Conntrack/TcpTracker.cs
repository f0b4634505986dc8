// TcpTracker: the TCP state machine and sequence-window checks of one connection.
//
// What
//   A connection starts only from a pure SYN (ConnTable answers New; Commit calls Start). Update then runs every
//   later segment of either direction through:
//     1. Flag sanity: after masking PSH/URG/ECE/CWR the flags must be SYN, SYN-ACK, RST, RST-ACK, FIN-ACK or ACK
//        (Linux's tcp_valid_flags); SYN+FIN, SYN+RST, FIN without ACK and no flags at all are Invalid.
//     2. The handshake (SYN_SENT): the initiator may retransmit its SYN (a new ISN restarts tracking); the responder's
//        SYN-ACK must acknowledge exactly ISN+1 and moves to SYN_RECV; an RST from the responder must acknowledge
//        ISN+1 (connection refused -> CLOSE). Anything else is Invalid. A SYN on a TIME_WAIT or CLOSE entry
//        answers New: the table removes the old entry and the policy decides about the new connection.
//     3. The window check (a simplified form of Guido van Rooij's "Real Stateful TCP Packet Filtering in IP
//        Filter", as Linux's tcp_in_window and OVS's conntrack-tcp use). Per direction we keep End (highest
//        seq + len sent), MaxEnd (highest seq the peer allowed: its ack + its window) and MaxWin (largest window
//        advertised, scaled). A segment from sender S to receiver R is in window when
//          seq <= S.MaxEnd + WindowSlack                              (not beyond what R allowed)
//          end >= S.End - R.MaxWin - WindowSlack                      (not older than a window: a sane retransmit)
//          ack <= R.End                                               (never acknowledges data R did not send)
//          ack >= R.End - max(S.MaxWin, 66000) - WindowSlack          (not an ancient acknowledgement)
//        with serial-number arithmetic (RFC 1982), so wrap-around is fine. RSTs go through the same check: an RST
//        outside the window is Invalid and leaves the connection alone (RFC 5961's concern).
//     4. State: ACK of the SYN-ACK -> ESTABLISHED (assured); a FIN -> FIN_WAIT; its ACK -> CLOSE_WAIT; the second
//        FIN -> LAST_ACK; its ACK -> TIME_WAIT; an accepted RST -> CLOSE.
//   Window scaling: the shift is read from the SYN and SYN-ACK options (RFC 7323: in effect only when both sides
//   offer it). When the SYN's options were not available (Commit without the frame) the shift is taken as 14,
//   the largest, which only makes the check more permissive.
//
// Why
//   Stateful security groups promise that only packets of admitted connections pass, and an attacker who can guess a
//   4-tuple must not be able to inject segments or resets far from the real sequence space. But a false Invalid
//   drops a real segment and stalls a real flow, so the check errs on the permissive side: WindowSlack (64 KiB) on
//   the seq bounds, the 66,000-byte minimum ack window of Linux, and a first IPv4/IPv6 fragment counted as if it
//   carried the largest possible datagram. The segment length comes from the IP length field, never from the frame
//   length: a GSO super-frame of 64 KiB is one segment whose IP length covers all of it.
//   Simplifications against Linux: no simultaneous open (a SYN from the responder in SYN_SENT is accepted, a SYN-ACK
//   from the initiator is not), no pick-up of connections seen mid-stream (nf_conntrack_tcp_loose), no retransmission
//   counting (tcp_max_retrans), no SACK blocks.
//
// Thread-safety
//   Stateless code over an entry; the caller holds the entry's shard lock.
//
// Measured
//   Part of Track's cost (Conntrack/README.md); the window check is a dozen integer operations.

using System.Runtime.CompilerServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>TCP state machine and window tracking over a <see cref="ConnEntry"/>.</summary>
internal static class TcpTracker
{
    /// <summary>Window-scale marker: the SYN carried no window-scale option (scaling is off).</summary>
    public const byte ScaleNone = 0xFF;

    /// <summary>Window-scale marker: the SYN's options were not seen; assume the largest shift.</summary>
    public const byte ScaleUnknown = 0xFE;

    /// <summary>The largest window-scale shift (RFC 7323).</summary>
    public const int MaxScale = 14;

    /// <summary>Tolerance added to the sequence bounds: the size of one GSO super-segment.</summary>
    public const uint WindowSlack = 1 << 16;

    /// <summary>The least window assumed for old acknowledgements (Linux's MAXACKWINDOW floor).</summary>
    public const uint MinAckWindow = 66_000;

    private const int TcpHeaderSize = 20;
    private const byte OptionEnd = 0;
    private const byte OptionNop = 1;
    private const byte OptionWindowScale = 3;
    private const byte Significant = TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Fin | TcpFlags.Rst;
    private const byte SynAck = TcpFlags.Syn | TcpFlags.Ack;
    private const byte RstAck = TcpFlags.Rst | TcpFlags.Ack;
    private const byte FinAck = TcpFlags.Fin | TcpFlags.Ack;

    /// <summary>True for a segment that may open a connection: SYN without ACK, RST or FIN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsConnectionStart(byte tcpFlags) => (tcpFlags & Significant) == TcpFlags.Syn;

    /// <summary>
    /// Bytes of TCP payload: IP length minus the IP and TCP headers. A first fragment is counted as the largest
    /// datagram it could start, because the rest of its payload travels in later fragments conntrack never sees.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SegmentLength(in ParsedPacket packet)
    {
        var headers = packet.PayloadOffset - packet.L3Offset;
        var total = (packet.Flags & PacketFlags.Fragment) != 0 ? ushort.MaxValue : packet.IpLength;
        return Math.Max(total - headers, 0);
    }

    /// <summary>
    /// The window-scale shift a SYN or SYN-ACK offers: 0-14, <see cref="ScaleNone"/> when it has no such option, or
    /// <see cref="ScaleUnknown"/> when <paramref name="frame"/> does not hold the TCP header.
    /// </summary>
    public static byte ReadWindowScale(ReadOnlySpan<byte> frame, in ParsedPacket packet)
    {
        var start = packet.L4Offset + TcpHeaderSize;
        var end = (int)packet.PayloadOffset;
        if (end > frame.Length || start > end || packet.L4Offset == 0)
        {
            return ScaleUnknown;
        }
        var options = frame.Slice(start, end - start);
        var i = 0;
        while (i < options.Length)
        {
            var kind = options[i];
            if (kind == OptionEnd)
            {
                break;
            }
            if (kind == OptionNop)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length)
            {
                break;
            }
            var length = options[i + 1];
            if (length < 2 || i + length > options.Length)
            {
                break;
            }
            if (kind == OptionWindowScale && length == 3)
            {
                return (byte)Math.Min(options[i + 2], (byte)MaxScale);
            }
            i += length;
        }
        return ScaleNone;
    }

    /// <summary>Initialises a new entry from the initiator's SYN.</summary>
    public static void Start(ref ConnEntry e, in ParsedPacket packet, int segmentLength, byte scale)
    {
        ref var initiator = ref e.Tcp[0];
        var end = packet.TcpSequence + (uint)segmentLength + 1;
        initiator.End = end;
        initiator.MaxEnd = end;
        initiator.MaxWin = Math.Max(packet.TcpWindow, 1u);
        e.Tcp[1] = default;
        e.Scale[0] = scale;
        e.Scale[1] = ScaleUnknown;
        e.State = ConnState.TcpSynSent;
    }

    /// <summary>
    /// Runs one segment of direction <paramref name="dir"/> (0 original, 1 reply) through the state machine.
    /// Returns <see cref="ConnVerdict.Established"/> when accepted (the entry is updated),
    /// <see cref="ConnVerdict.Invalid"/> when refused (the entry is unchanged), or <see cref="ConnVerdict.New"/>
    /// when a SYN reopens a closed connection (the caller removes the entry).
    /// </summary>
    /// <param name="e">The connection's entry.</param>
    /// <param name="dir">0 for the original direction, 1 for the reply direction.</param>
    /// <param name="packet">The segment.</param>
    /// <param name="segmentLength">Payload bytes (<see cref="SegmentLength"/>).</param>
    /// <param name="scale">The window scale of a SYN or SYN-ACK (<see cref="ReadWindowScale"/>); ignored otherwise.</param>
    public static ConnVerdict Update(ref ConnEntry e, int dir, in ParsedPacket packet, int segmentLength, byte scale)
    {
        var flags = (byte)(packet.TcpFlags & Significant);
        if (flags is not (TcpFlags.Syn or SynAck or TcpFlags.Rst or RstAck or FinAck or TcpFlags.Ack))
        {
            return ConnVerdict.Invalid;
        }
        var syn = (flags & TcpFlags.Syn) != 0;
        var ack = (flags & TcpFlags.Ack) != 0;
        var fin = (flags & TcpFlags.Fin) != 0;
        var rst = (flags & TcpFlags.Rst) != 0;
        var seq = packet.TcpSequence;
        var ackNumber = packet.TcpAcknowledgement;
        var end = seq + (uint)segmentLength + (syn ? 1u : 0u) + (fin ? 1u : 0u);
        var state = e.State;

        if (state == ConnState.TcpSynSent)
        {
            return UpdateSynSent(ref e, dir, packet, flags, seq, ackNumber, end, scale);
        }
        if (flags == TcpFlags.Syn)
        {
            if (state is ConnState.TcpTimeWait or ConnState.TcpClose)
            {
                return ConnVerdict.New;
            }
            // The initiator retransmitting its SYN while the SYN-ACK is on its way.
            return state == ConnState.TcpSynRecv && dir == 0 && end == e.Tcp[0].End
                ? ConnVerdict.Established
                : ConnVerdict.Invalid;
        }
        if (syn && dir != 1)
        {
            // A SYN-ACK can only be the responder's retransmission.
            return ConnVerdict.Invalid;
        }

        ref var sender = ref e.Tcp[dir];
        ref var receiver = ref e.Tcp[1 - dir];
        uint window = packet.TcpWindow;
        if (!syn)
        {
            window <<= Shift(e.Scale[dir]);
        }
        if (!InWindow(ref sender, ref receiver, seq, ackNumber, ack, end, window))
        {
            return ConnVerdict.Invalid;
        }
        if (rst)
        {
            e.State = ConnState.TcpClose;
            return ConnVerdict.Established;
        }

        if (state == ConnState.TcpSynRecv && dir == 0 && ack && !syn)
        {
            state = ConnState.TcpEstablished;
        }
        if (fin)
        {
            e.Flags |= dir == 0 ? ConnEntryFlags.FinOriginal : ConnEntryFlags.FinReply;
            const ConnEntryFlags both = ConnEntryFlags.FinOriginal | ConnEntryFlags.FinReply;
            if ((e.Flags & both) == both)
            {
                if (state is ConnState.TcpSynRecv or ConnState.TcpEstablished or ConnState.TcpFinWait or ConnState.TcpCloseWait)
                {
                    state = ConnState.TcpLastAck;
                }
            }
            else if (state is ConnState.TcpSynRecv or ConnState.TcpEstablished)
            {
                state = ConnState.TcpFinWait;
            }
        }
        else if (ack
            && (e.Flags & (dir == 0 ? ConnEntryFlags.FinReply : ConnEntryFlags.FinOriginal)) != 0
            && SeqGe(ackNumber, receiver.End))
        {
            // This ACK covers the peer's FIN.
            if (state == ConnState.TcpFinWait)
            {
                state = ConnState.TcpCloseWait;
            }
            else if (state == ConnState.TcpLastAck)
            {
                state = ConnState.TcpTimeWait;
            }
        }
        e.State = state;
        return ConnVerdict.Established;
    }

    /// <summary>The handshake's first step: only the initiator's SYN and the responder's SYN-ACK or refusal are valid.</summary>
    private static ConnVerdict UpdateSynSent(ref ConnEntry e, int dir, in ParsedPacket packet, byte flags,
        uint seq, uint ackNumber, uint end, byte scale)
    {
        ref var initiator = ref e.Tcp[0];
        if (dir == 0)
        {
            if (flags == TcpFlags.Syn)
            {
                // A retransmission, or a new attempt with another ISN: track from this SYN.
                initiator.End = end;
                initiator.MaxEnd = end;
                initiator.MaxWin = Math.Max(packet.TcpWindow, 1u);
                e.Scale[0] = scale;
                return ConnVerdict.Established;
            }
            if ((flags & TcpFlags.Rst) != 0 && seq == initiator.End)
            {
                e.State = ConnState.TcpClose;
                return ConnVerdict.Established;
            }
            return ConnVerdict.Invalid;
        }

        if ((flags & TcpFlags.Syn) != 0)
        {
            var ack = (flags & TcpFlags.Ack) != 0;
            if (ack && ackNumber != initiator.End)
            {
                return ConnVerdict.Invalid;
            }
            // The responder's first segment: its window is unscaled (RFC 7323), and it may send up to the SYN's window.
            ref var responder = ref e.Tcp[1];
            uint window = Math.Max(packet.TcpWindow, 1u);
            responder.End = end;
            responder.MaxWin = window;
            responder.MaxEnd = end + initiator.MaxWin;
            if (ack && SeqGt(ackNumber + window, initiator.MaxEnd))
            {
                initiator.MaxEnd = ackNumber + window;
            }
            ResolveScale(ref e, scale);
            e.State = ConnState.TcpSynRecv;
            return ConnVerdict.Established;
        }
        if (flags == RstAck && ackNumber == initiator.End)
        {
            // Connection refused.
            e.State = ConnState.TcpClose;
            return ConnVerdict.Established;
        }
        return ConnVerdict.Invalid;
    }

    /// <summary>Window scaling is in effect only when both SYNs offered it; otherwise both shifts are 0.</summary>
    private static void ResolveScale(ref ConnEntry e, byte responderScale)
    {
        var initiatorScale = e.Scale[0];
        if (initiatorScale == ScaleNone || responderScale == ScaleNone)
        {
            e.Scale[0] = 0;
            e.Scale[1] = 0;
            return;
        }
        e.Scale[0] = initiatorScale == ScaleUnknown ? (byte)MaxScale : initiatorScale;
        e.Scale[1] = responderScale == ScaleUnknown ? (byte)MaxScale : responderScale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Shift(byte scale) => scale > MaxScale ? MaxScale : scale;

    /// <summary>The four window bounds (see the file comment); on success, advances the sender's and receiver's edges.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InWindow(ref TcpPeer sender, ref TcpPeer receiver, uint seq, uint ackNumber, bool ack, uint end, uint window)
    {
        if (!ack)
        {
            ackNumber = receiver.End;
        }
        var receiverWindow = Math.Max(receiver.MaxWin, 1u);
        var ackWindow = Math.Max(sender.MaxWin, MinAckWindow);
        if (!SeqLe(seq, sender.MaxEnd + WindowSlack)
            || !SeqGe(end, sender.End - receiverWindow - WindowSlack)
            || !SeqLe(ackNumber, receiver.End)
            || !SeqGe(ackNumber, receiver.End - ackWindow - WindowSlack))
        {
            return false;
        }
        if (SeqGt(end, sender.End))
        {
            sender.End = end;
        }
        // MaxEnd only moves with the peer's acknowledgements: a burst that runs past the peer's window fails the
        // first bound at its first segment that starts beyond MaxEnd + WindowSlack.
        if (window > sender.MaxWin)
        {
            sender.MaxWin = window;
        }
        if (ack)
        {
            var limit = ackNumber + Math.Max(window, 1u);
            if (SeqGt(limit, receiver.MaxEnd))
            {
                receiver.MaxEnd = limit;
            }
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SeqLe(uint a, uint b) => (int)(a - b) <= 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SeqGe(uint a, uint b) => (int)(a - b) >= 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SeqGt(uint a, uint b) => (int)(a - b) > 0;
}
