// PacketParser.Transport: the L4 dispatch and the TCP (RFC 9293), UDP (RFC 768) and SCTP (RFC 9260) headers.
//
// What: given the IP payload (already bounded by the IP length field), records L4Offset and parses the ports and,
// for TCP, sequence, acknowledgement, flags and window. Unknown protocols keep L4Offset and leave HasL4 clear.
// Why: ports are what policy and conntrack match on, so each header is checked to fit inside the IP payload before
// its fields are trusted: a TCP data offset below 5 or past the payload, or a UDP length that is below 8 or longer
// than the payload, is malformed. A first fragment's UDP length describes the reassembled datagram, so there it may
// exceed the bytes present.

namespace VSwitch.Packets;

public static partial class PacketParser
{
    /// <summary>Bytes of a TCP header without options.</summary>
    private const int TcpMinHeaderSize = 20;

    /// <summary>Bytes of a UDP header.</summary>
    private const int UdpHeaderSize = 8;

    /// <summary>Bytes of the SCTP common header.</summary>
    private const int SctpCommonHeaderSize = 12;

    /// <summary>Parses the upper-layer header <paramref name="l4"/> (the IP payload) at <paramref name="l4Offset"/>.</summary>
    private static ParseError ParseL4(ReadOnlySpan<byte> l4, int l4Offset, byte protocol, bool ipv6, ref ParsedPacket packet)
    {
        packet.L4Offset = (ushort)l4Offset;
        switch (protocol)
        {
            case IpProtocol.Tcp:
                return ParseTcp(l4, l4Offset, ref packet);
            case IpProtocol.Udp:
                return ParseUdp(l4, l4Offset, ref packet);
            case IpProtocol.Sctp:
                return ParseSctp(l4, l4Offset, ref packet);
            case IpProtocol.Icmp when !ipv6:
                return ParseIcmp(l4, l4Offset, ref packet);
            case IpProtocol.Icmpv6 when ipv6:
                return ParseIcmpv6(l4, l4Offset, ref packet);
            default:
                return ParseError.None;
        }
    }

    private static ParseError ParseTcp(ReadOnlySpan<byte> tcp, int l4Offset, ref ParsedPacket packet)
    {
        if (tcp.Length < TcpMinHeaderSize)
        {
            return ParseError.BadTcpHeader;
        }
        var headerSize = (tcp[12] >> 4) * 4;
        if (headerSize < TcpMinHeaderSize || headerSize > tcp.Length)
        {
            return ParseError.BadTcpHeader;
        }
        packet.SourcePort = ReadUInt16(tcp, 0);
        packet.DestinationPort = ReadUInt16(tcp, 2);
        packet.TcpSequence = ReadUInt32(tcp, 4);
        packet.TcpAcknowledgement = ReadUInt32(tcp, 8);
        packet.TcpFlags = tcp[13];
        packet.TcpWindow = ReadUInt16(tcp, 14);
        packet.PayloadOffset = (ushort)(l4Offset + headerSize);
        packet.Flags |= PacketFlags.HasL4;
        return ParseError.None;
    }

    private static ParseError ParseUdp(ReadOnlySpan<byte> udp, int l4Offset, ref ParsedPacket packet)
    {
        if (udp.Length < UdpHeaderSize)
        {
            return ParseError.BadUdpHeader;
        }
        int length = ReadUInt16(udp, 4);
        // A first fragment holds only part of the datagram its UDP length describes.
        if (length < UdpHeaderSize || (length > udp.Length && (packet.Flags & PacketFlags.Fragment) == 0))
        {
            return ParseError.BadUdpHeader;
        }
        packet.SourcePort = ReadUInt16(udp, 0);
        packet.DestinationPort = ReadUInt16(udp, 2);
        packet.PayloadOffset = (ushort)(l4Offset + UdpHeaderSize);
        packet.Flags |= PacketFlags.HasL4;
        return ParseError.None;
    }

    private static ParseError ParseSctp(ReadOnlySpan<byte> sctp, int l4Offset, ref ParsedPacket packet)
    {
        if (sctp.Length < SctpCommonHeaderSize)
        {
            return ParseError.BadSctpHeader;
        }
        packet.SourcePort = ReadUInt16(sctp, 0);
        packet.DestinationPort = ReadUInt16(sctp, 2);
        packet.PayloadOffset = (ushort)(l4Offset + SctpCommonHeaderSize);
        packet.Flags |= PacketFlags.HasL4;
        return ParseError.None;
    }
}
