using System.Buffers.Binary;

namespace VSwitch.Packets.Routing;

/// <summary>
/// What a router changes in a frame it forwards (RFC 1812 §5.3.1, RFC 8200 §3): the Ethernet addresses of the next
/// hop's link and the TTL or hop limit, one less, with the IPv4 header checksum updated incrementally (RFC 1624) rather
/// than recomputed.
/// </summary>
public static class RoutedFrame
{
    /// <summary>The packet's TTL (IPv4) or hop limit (IPv6).</summary>
    public static byte HopLimit(ReadOnlySpan<byte> frame, in ParsedPacket p) => p.IsIpv4 ? frame[p.L3Offset + 8] : frame[p.L3Offset + 7];

    /// <summary>True for an IPv6 link-local address (fe80::/10).</summary>
    public static bool IsLinkLocal(IpAddress128 address) => (address.High >> 54) == (0xFE80UL >> 6);

    /// <summary>True for an IPv4 packet with the don't-fragment flag.</summary>
    public static bool DontFragment(ReadOnlySpan<byte> frame, in ParsedPacket p) => p.IsIpv4 && (frame[p.L3Offset + 6] & 0x40) != 0;

    /// <summary>
    /// Rewrites the frame for its next hop: Ethernet destination <paramref name="nextHop"/>, source <paramref name="router"/>,
    /// TTL or hop limit decremented. The caller has checked that it is above 1.
    /// </summary>
    public static void Forward(Span<byte> frame, in ParsedPacket p, MacAddress nextHop, MacAddress router)
    {
        nextHop.Write(frame);
        router.Write(frame[6..]);
        var ip = frame[p.L3Offset..];
        if (p.IsIpv4)
        {
            ip[8]--;
            // The word holding the TTL drops by 0x0100: the one's complement sum rises by as much (with end-around carry).
            var sum = BinaryPrimitives.ReadUInt16BigEndian(ip[10..]) + 0x0100u;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)(sum + (sum >= 0xFFFF ? 1u : 0u)));
        }
        else
        {
            ip[7]--;
        }
    }
}
