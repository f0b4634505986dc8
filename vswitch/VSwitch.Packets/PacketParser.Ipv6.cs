// PacketParser.Ipv6: the IPv6 header (RFC 8200) and a bounded walk over its extension headers.
//
// What: checks version and payload length, fills addresses, hop limit and length, then follows the next-header chain
// through hop-by-hop options (first only), routing, fragment, destination options and AH headers, at most
// MaxExtensionHeaders of them, to the upper-layer protocol, which becomes IpProtocol. A fragment header sets
// Fragment; with a non-zero offset it also sets LaterFragment and the walk stops with IpProtocol = the fragment
// header's next header and no L4. ESP and "no next header" end the walk as upper-layer protocols.
// Why: the chain is attacker-controlled. Each header's own length is checked against the payload before it is
// skipped, and the walk refuses a chain longer than eight headers (a legitimate packet has at most a handful; RFC 8200
// lists six kinds, each at most once except destination options), so a header loop or a 20-header chain is a
// BadIpv6ExtensionHeader in bounded time, never a long loop or an out-of-range read.

namespace VSwitch.Packets;

public static partial class PacketParser
{
    /// <summary>Bytes of the fixed IPv6 header.</summary>
    private const int Ipv6HeaderSize = 40;

    /// <summary>Extension headers the walk follows before it gives up on the chain.</summary>
    public const int MaxIpv6ExtensionHeaders = 8;

    /// <summary>Bytes every extension header the walk knows has at least (next header, length, six more octets).</summary>
    private const int Ipv6ExtensionMinSize = 8;

    /// <summary>Parses the IPv6 header at the start of <paramref name="ip"/>, which sits at <paramref name="l3Offset"/>.</summary>
    private static ParseError ParseIpv6(ReadOnlySpan<byte> ip, int l3Offset, ref ParsedPacket packet)
    {
        if (ip.Length < Ipv6HeaderSize || (ip[0] >> 4) != 6)
        {
            return ParseError.BadIpv6Header;
        }
        int payloadLength = ReadUInt16(ip, 4);
        var next = ip[6];
        var end = Ipv6HeaderSize + payloadLength;
        // A zero payload length with a hop-by-hop header announces a jumbogram (RFC 2675): not carried by the switch.
        if (end > ip.Length || (payloadLength == 0 && next == IpProtocol.HopByHop))
        {
            return ParseError.BadIpv6Header;
        }
        packet.Flags |= PacketFlags.Ipv6;
        packet.IpLength = (ushort)Math.Min(end, ushort.MaxValue);
        packet.Ttl = ip[7];
        packet.IpSource = IpAddress128.ReadIpv6(ip.Slice(8));
        packet.IpDestination = IpAddress128.ReadIpv6(ip.Slice(24));

        // The extension-header walk. offset is where the header named by `next` starts.
        var offset = Ipv6HeaderSize;
        var headers = 0;
        var later = false;
        while (IsIpv6ExtensionHeader(next))
        {
            if (headers == MaxIpv6ExtensionHeaders
                || (next == IpProtocol.HopByHop && headers != 0)
                || end - offset < Ipv6ExtensionMinSize)
            {
                return ParseError.BadIpv6ExtensionHeader;
            }
            int size;
            switch (next)
            {
                case IpProtocol.Ipv6Fragment:
                    if ((packet.Flags & PacketFlags.Fragment) != 0)
                    {
                        // Two fragment headers: no sender makes them, and two offsets would let a firewall and the
                        // receiver disagree about which bytes are whose.
                        return ParseError.BadIpv6ExtensionHeader;
                    }
                    size = Ipv6ExtensionMinSize;
                    // Fragment offset in the top 13 bits of the third and fourth octets; the low bit is M.
                    var offsetAndFlags = ReadUInt16(ip, offset + 2);
                    packet.Flags |= (offsetAndFlags & 1) != 0 ? PacketFlags.Fragment | PacketFlags.MoreFragments : PacketFlags.Fragment;
                    packet.FragmentOffset = (ushort)(offsetAndFlags & 0xFFF8);
                    packet.FragmentId = ReadUInt32(ip, offset + 4);
                    packet.FragmentDataOffset = (ushort)(l3Offset + offset + Ipv6ExtensionMinSize);
                    if (!IsReassemblable(packet.FragmentOffset, end - offset - Ipv6ExtensionMinSize, (offsetAndFlags & 1) != 0))
                    {
                        return ParseError.BadFragment;
                    }
                    later = packet.FragmentOffset != 0;
                    break;
                case IpProtocol.Ah:
                    // AH counts its length in 4-byte units, minus 2 (RFC 4302).
                    size = (ip[offset + 1] + 2) * 4;
                    break;
                default:
                    // Hop-by-hop, routing and destination options: 8-byte units, not counting the first 8.
                    size = (ip[offset + 1] + 1) * 8;
                    break;
            }
            if (size > end - offset)
            {
                return ParseError.BadIpv6ExtensionHeader;
            }
            next = ip[offset];
            offset += size;
            headers++;
            if (later)
            {
                break;
            }
        }
        if (headers != 0)
        {
            packet.Flags |= PacketFlags.Ipv6ExtensionHeaders;
        }
        packet.IpProtocol = next;
        if (later)
        {
            packet.Flags |= PacketFlags.LaterFragment;
            return ParseError.None;
        }
        if (next == IpProtocol.Ipv6NoNext)
        {
            return ParseError.None;
        }
        return ParseL4(ip.Slice(offset, end - offset), l3Offset + offset, next, ipv6: true, ref packet);
    }

    /// <summary>True for the extension headers the walk follows.</summary>
    private static bool IsIpv6ExtensionHeader(byte next) => next is IpProtocol.HopByHop
        or IpProtocol.Ipv6Routing
        or IpProtocol.Ipv6Fragment
        or IpProtocol.Ipv6DestinationOptions
        or IpProtocol.Ah;
}
