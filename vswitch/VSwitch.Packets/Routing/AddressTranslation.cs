using System.Buffers.Binary;

namespace VSwitch.Packets.Routing;

/// <summary>
/// One IPv4 address of a frame replaced in place, as a floating IP's 1:1 NAT does: the address, the IPv4 header checksum
/// and the TCP or UDP checksum (whose pseudo-header holds the address) are updated incrementally (RFC 1624); ICMP's
/// checksum does not cover the addresses. A later fragment has no L4 header to update; a UDP checksum of 0 (none)
/// stays 0. A frame whose L4 checksum is left to the device (virtio <c>NEEDS_CSUM</c>) holds the pseudo-header's sum
/// uncomplemented in that field, and is updated as such.
/// </summary>
public static class AddressTranslation
{
    /// <summary>Replaces the source address (<paramref name="to"/>, host order) of the IPv4 packet in <paramref name="frame"/>.</summary>
    public static void RewriteSource(Span<byte> frame, in ParsedPacket p, uint to, bool partialChecksum) =>
        Rewrite(frame, in p, 12, p.IpSource.Ipv4, to, partialChecksum);

    /// <summary>Replaces the destination address of the IPv4 packet in <paramref name="frame"/>.</summary>
    public static void RewriteDestination(Span<byte> frame, in ParsedPacket p, uint to, bool partialChecksum) =>
        Rewrite(frame, in p, 16, p.IpDestination.Ipv4, to, partialChecksum);

    private static void Rewrite(Span<byte> frame, in ParsedPacket p, int field, uint from, uint to, bool partialChecksum)
    {
        var ip = frame[p.L3Offset..];
        BinaryPrimitives.WriteUInt32BigEndian(ip[field..], to);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Update(BinaryPrimitives.ReadUInt16BigEndian(ip[10..]), from, to));
        if (!p.HasL4 || p.IsLaterFragment || (p.Flags & PacketFlags.L4FromFirstFragment) != 0)
        {
            return;
        }
        var offset = p.IpProtocol switch
        {
            IpProtocol.Tcp => 16,
            IpProtocol.Udp => 6,
            _ => -1,
        };
        if (offset < 0 || p.L4Offset + offset + 2 > frame.Length)
        {
            return;
        }
        var l4 = frame[(p.L4Offset + offset)..];
        var checksum = BinaryPrimitives.ReadUInt16BigEndian(l4);
        if (p.IpProtocol == IpProtocol.Udp && checksum == 0 && !partialChecksum)
        {
            return;
        }
        var updated = partialChecksum ? UpdatePartial(checksum, from, to) : Update(checksum, from, to);
        // A computed UDP checksum of 0 is sent as 0xFFFF (RFC 768): 0 means "none".
        BinaryPrimitives.WriteUInt16BigEndian(l4, p.IpProtocol == IpProtocol.Udp && updated == 0 && !partialChecksum ? (ushort)0xFFFF : updated);
    }

    /// <summary>A complemented checksum over data where the 32-bit word <paramref name="from"/> became <paramref name="to"/> (RFC 1624 eqn. 3).</summary>
    public static ushort Update(ushort checksum, uint from, uint to)
    {
        ulong sum = (ushort)~checksum;
        sum += (ushort)~(from >> 16);
        sum += (ushort)~from;
        sum += to >> 16;
        sum += to & 0xFFFF;
        return (ushort)~Fold(sum);
    }

    /// <summary>An uncomplemented partial sum (a pseudo-header's, left for the device to finish) with the same change.</summary>
    public static ushort UpdatePartial(ushort partial, uint from, uint to)
    {
        ulong sum = partial;
        sum += (ushort)~(from >> 16);
        sum += (ushort)~from;
        sum += to >> 16;
        sum += to & 0xFFFF;
        return Fold(sum);
    }

    private static ushort Fold(ulong sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)sum;
    }
}
