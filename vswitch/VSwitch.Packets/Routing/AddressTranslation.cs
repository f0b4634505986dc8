using System.Runtime.CompilerServices;
using System.Buffers.Binary;

namespace VSwitch.Packets.Routing;

/// <summary>
/// One IPv4 address (or port) of a frame replaced in place, as a floating IP's 1:1 NAT (or a router's SNAT) does: the address, the IPv4 header checksum
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

    // Not inlined: inside the routing stage's large method the JIT runs out of inlining budget and then calls even the
    // span conversions this method is made of; compiled on its own, they are inlined here.
    [MethodImpl(MethodImplOptions.NoInlining)]
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

    /// <summary>
    /// In an ICMP error (destination unreachable, source quench, redirect, time exceeded, parameter problem), replaces
    /// <paramref name="from"/> by <paramref name="to"/> as the quoted packet's source (<paramref name="source"/>) or
    /// destination, as a NAT must so that the error reaches the connection it is about (RFC 5508 §4): the quoted address,
    /// its IPv4 header checksum and a quoted UDP or TCP checksum incrementally, then the ICMP checksum over the message.
    /// Nothing changes when the quote is short, not IPv4, or holds another address.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RewriteQuoted(Span<byte> frame, in ParsedPacket p, bool source, uint from, uint to)
    {
        // The test inline (every translated packet asks), the rewrite not (an ICMP error is rare).
        if (p.IsIpv4 && p.IpProtocol == IpProtocol.Icmp)
        {
            RewriteQuotedError(frame, in p, source, from, to);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void RewriteQuotedError(Span<byte> frame, in ParsedPacket p, bool source, uint from, uint to)
    {
        if (!p.HasL4 || (p.Flags & PacketFlags.Fragment) != 0 || p.SourcePort is not (3 or 4 or 5 or 11 or 12))
        {
            return;
        }
        var end = Math.Min(frame.Length, p.L3Offset + p.IpLength);
        var inner = p.L4Offset + 8;
        if (inner + 20 > end || frame[inner] >> 4 != 4)
        {
            return;
        }
        var headerLength = (frame[inner] & 0x0F) * 4;
        var field = inner + (source ? 12 : 16);
        if (headerLength < 20 || inner + headerLength > end || BinaryPrimitives.ReadUInt32BigEndian(frame[field..]) != from)
        {
            return;
        }
        BinaryPrimitives.WriteUInt32BigEndian(frame[field..], to);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(inner + 10)..], Update(BinaryPrimitives.ReadUInt16BigEndian(frame[(inner + 10)..]), from, to));
        var l4 = inner + headerLength;
        var checksumAt = frame[inner + 9] switch
        {
            IpProtocol.Udp => l4 + 6,
            IpProtocol.Tcp => l4 + 16,
            _ => -1,
        };
        if (checksumAt > 0 && checksumAt + 2 <= end && BinaryPrimitives.ReadUInt16BigEndian(frame[checksumAt..]) is var quoted
            && !(frame[inner + 9] == IpProtocol.Udp && quoted == 0))
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[checksumAt..], Update(quoted, from, to));
        }
        var icmp = frame[p.L4Offset..end];
        icmp[2] = 0;
        icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Offloads.InternetChecksum.Finish(Offloads.InternetChecksum.Add(icmp)));
    }

    /// <summary>
    /// Replaces the source port of a TCP or UDP packet, or the identifier of an ICMP echo, with <paramref name="to"/>, as
    /// source NAT does, and updates the checksum that covers it. A partial sum left to the device covers only the
    /// pseudo-header, so it stays; a later fragment has no L4 header.
    /// </summary>
    public static void RewriteSourcePort(Span<byte> frame, in ParsedPacket p, ushort to, bool partialChecksum) =>
        RewritePort(frame, in p, source: true, to, partialChecksum);

    /// <summary>Replaces the destination port of a TCP or UDP packet, or the identifier of an ICMP echo (reply), with <paramref name="to"/>.</summary>
    public static void RewriteDestinationPort(Span<byte> frame, in ParsedPacket p, ushort to, bool partialChecksum) =>
        RewritePort(frame, in p, source: false, to, partialChecksum);

    private static void RewritePort(Span<byte> frame, in ParsedPacket p, bool source, ushort to, bool partialChecksum)
    {
        if (!p.HasL4 || p.IsLaterFragment || (p.Flags & PacketFlags.L4FromFirstFragment) != 0)
        {
            return;
        }
        var (field, checksumAt) = p.IpProtocol switch
        {
            IpProtocol.Tcp => (source ? 0 : 2, 16),
            IpProtocol.Udp => (source ? 0 : 2, 6),
            IpProtocol.Icmp when p.SourcePort is 0 or 8 => (4, 2),
            _ => (-1, -1),
        };
        if (field < 0 || p.L4Offset + Math.Max(field, checksumAt) + 2 > frame.Length)
        {
            return;
        }
        var l4 = frame[p.L4Offset..];
        var from = BinaryPrimitives.ReadUInt16BigEndian(l4[field..]);
        BinaryPrimitives.WriteUInt16BigEndian(l4[field..], to);
        var checksum = BinaryPrimitives.ReadUInt16BigEndian(l4[checksumAt..]);
        if (partialChecksum || (p.IpProtocol == IpProtocol.Udp && checksum == 0))
        {
            return;
        }
        var updated = Update16(checksum, from, to);
        BinaryPrimitives.WriteUInt16BigEndian(l4[checksumAt..], p.IpProtocol == IpProtocol.Udp && updated == 0 ? (ushort)0xFFFF : updated);
    }

    /// <summary>
    /// In an ICMP error, replaces the quoted packet's source port (<paramref name="source"/>) or destination port, or a
    /// quoted echo's identifier, <paramref name="from"/> by <paramref name="to"/>: a quoted UDP or TCP checksum (when
    /// quoted) incrementally, then the ICMP checksum over the message. Nothing changes when the quote is short or holds
    /// another port.
    /// </summary>
    public static void RewriteQuotedPort(Span<byte> frame, in ParsedPacket p, bool source, ushort from, ushort to)
    {
        if (!p.IsIpv4 || p.IpProtocol != IpProtocol.Icmp || !p.HasL4 || (p.Flags & PacketFlags.Fragment) != 0 || p.SourcePort is not (3 or 4 or 5 or 11 or 12))
        {
            return;
        }
        var end = Math.Min(frame.Length, p.L3Offset + p.IpLength);
        var inner = p.L4Offset + 8;
        if (inner + 20 > end || frame[inner] >> 4 != 4)
        {
            return;
        }
        var l4 = inner + ((frame[inner] & 0x0F) * 4);
        var (field, checksumAt) = frame[inner + 9] switch
        {
            IpProtocol.Tcp => (l4 + (source ? 0 : 2), l4 + 16),
            IpProtocol.Udp => (l4 + (source ? 0 : 2), l4 + 6),
            IpProtocol.Icmp => (l4 + 4, -1),
            _ => (-1, -1),
        };
        if (field < inner + 20 || field + 2 > end || BinaryPrimitives.ReadUInt16BigEndian(frame[field..]) != from)
        {
            return;
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame[field..], to);
        if (checksumAt > 0 && checksumAt + 2 <= end && BinaryPrimitives.ReadUInt16BigEndian(frame[checksumAt..]) is var quoted
            && !(frame[inner + 9] == IpProtocol.Udp && quoted == 0))
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[checksumAt..], Update16(quoted, from, to));
        }
        else if (frame[inner + 9] == IpProtocol.Icmp && l4 + 4 <= end)
        {
            // A quoted echo's own checksum covers its identifier.
            BinaryPrimitives.WriteUInt16BigEndian(frame[(l4 + 2)..], Update16(BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]), from, to));
        }
        var icmp = frame[p.L4Offset..end];
        icmp[2] = 0;
        icmp[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Offloads.InternetChecksum.Finish(Offloads.InternetChecksum.Add(icmp)));
    }

    /// <summary>A complemented checksum over data where the 16-bit word <paramref name="from"/> became <paramref name="to"/> (RFC 1624 eqn. 3).</summary>
    public static ushort Update16(ushort checksum, ushort from, ushort to)
    {
        ulong sum = (ushort)~checksum;
        sum += (ushort)~from;
        sum += to;
        return (ushort)~Fold(sum);
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
