// PacketParser.Ipv4: the IPv4 header (RFC 791), its options and fragments.
//
// What: checks version, IHL and total length, fills addresses, TTL, protocol and length, marks options and
// fragments, and hands the IP payload (bounded by the total length, so Ethernet padding is never read as L4) to the
// L4 dispatch. A later fragment (offset != 0) stops here: it carries no L4 header.
// Why: the total length is the one field every later read depends on, so it is checked against the bytes present
// before anything else; a GSO super-frame may carry up to 65,535 bytes, so no MTU is assumed.

namespace VSwitch.Packets;

public static partial class PacketParser
{
    /// <summary>Bytes of an IPv4 header without options.</summary>
    private const int Ipv4MinHeaderSize = 20;

    /// <summary>Parses the IPv4 header at the start of <paramref name="ip"/>, which sits at <paramref name="l3Offset"/>.</summary>
    private static ParseError ParseIpv4(ReadOnlySpan<byte> ip, int l3Offset, ref ParsedPacket packet)
    {
        if (ip.Length < Ipv4MinHeaderSize)
        {
            return ParseError.BadIpv4Header;
        }
        var versionIhl = ip[0];
        var headerSize = (versionIhl & 0x0F) * 4;
        int totalLength = ReadUInt16(ip, 2);
        if ((versionIhl >> 4) != 4
            || headerSize < Ipv4MinHeaderSize
            || totalLength < headerSize
            || totalLength > ip.Length)
        {
            return ParseError.BadIpv4Header;
        }

        var protocol = ip[9];
        packet.Flags |= headerSize > Ipv4MinHeaderSize ? PacketFlags.Ipv4 | PacketFlags.Ipv4Options : PacketFlags.Ipv4;
        packet.IpLength = (ushort)totalLength;
        packet.Ttl = ip[8];
        packet.IpProtocol = protocol;
        packet.IpSource = IpAddress128.ReadIpv4(ip.Slice(12));
        packet.IpDestination = IpAddress128.ReadIpv4(ip.Slice(16));

        // Flags and fragment offset: bit 0x2000 is MF, the low 13 bits the offset in 8-byte units.
        var fragment = ReadUInt16(ip, 6);
        if ((fragment & 0x3FFF) != 0)
        {
            packet.Flags |= (fragment & 0x2000) != 0 ? PacketFlags.Fragment | PacketFlags.MoreFragments : PacketFlags.Fragment;
            packet.FragmentId = ReadUInt16(ip, 4);
            packet.FragmentOffset = (ushort)((fragment & 0x1FFF) << 3);
            packet.FragmentDataOffset = (ushort)(l3Offset + headerSize);
            if (!IsReassemblable(packet.FragmentOffset, totalLength - headerSize, (fragment & 0x2000) != 0))
            {
                return ParseError.BadFragment;
            }
            if (packet.FragmentOffset != 0)
            {
                packet.Flags |= PacketFlags.LaterFragment;
                return ParseError.None;
            }
        }
        return ParseL4(ip.Slice(headerSize, totalLength - headerSize), l3Offset + headerSize, protocol, ipv6: false, ref packet);
    }

    /// <summary>
    /// True for a fragment a receiver would accept (RFC 791, RFC 8200, as Linux's ip_frag_queue checks): every fragment
    /// but the last carries a multiple of 8 bytes, and none ends beyond a 65,535-byte datagram.
    /// </summary>
    private static bool IsReassemblable(int offset, int dataLength, bool more) =>
        offset + dataLength <= ushort.MaxValue && (!more || (dataLength > 0 && (dataLength & 7) == 0));
}
