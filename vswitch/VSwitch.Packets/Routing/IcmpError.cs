using System.Buffers.Binary;
using VSwitch.Packets.Offloads;

namespace VSwitch.Packets.Routing;

/// <summary>
/// ICMP and ICMPv6 errors a router sends about a packet it could not forward (RFC 792, RFC 1812 §4.3.2, RFC 4443):
/// time exceeded, destination unreachable, fragmentation needed / packet too big, quoting the start of the packet.
/// </summary>
/// <remarks>
/// Never about an ICMP error, a later fragment, a packet to or from a broadcast or multicast address or from the
/// unspecified address (RFC 1812 §4.3.2.7, RFC 4443 §2.4 e): <see cref="MayAnswer"/> says so. The quote is as much of
/// the packet as fits a 576-byte IPv4 datagram, or the reply buffer for IPv6 (RFC 4443 would allow up to 1,280 bytes).
/// </remarks>
public static class IcmpError
{
    /// <summary>IPv4: the largest error datagram (RFC 1812 §4.3.2.3).</summary>
    public const int MaxIpv4Datagram = 576;

    public const byte Ipv4Unreachable = 3;
    public const byte Ipv4TimeExceeded = 11;
    public const byte Ipv4NetUnreachable = 0;
    public const byte Ipv4HostUnreachable = 1;
    public const byte Ipv4PortUnreachable = 3;
    public const byte Ipv4FragmentationNeeded = 4;

    public const byte Ipv6Unreachable = 1;
    public const byte Ipv6PacketTooBig = 2;
    public const byte Ipv6TimeExceeded = 3;
    public const byte Ipv6NoRoute = 0;
    public const byte Ipv6BeyondScope = 2;
    public const byte Ipv6PortUnreachable = 4;
    public const byte Ipv6AddressUnreachable = 3;

    /// <summary>True for an ICMP (IPv4) error that quotes a packet: unreachable, source quench, redirect, time exceeded, parameter problem.</summary>
    public static bool IsIpv4Error(in ParsedPacket p) =>
        p.HasL4 && p.IsIpv4 && p.IpProtocol == IpProtocol.Icmp && !p.IsLaterFragment && p.SourcePort is 3 or 4 or 5 or 11 or 12;

    /// <summary>True when an error may be sent about <paramref name="p"/> (see remarks).</summary>
    public static bool MayAnswer(in ParsedPacket p)
    {
        if (!p.IsIp || p.IsLaterFragment || p.EthDestination.IsMulticast)
        {
            return false;
        }
        if (p.IsIpv4)
        {
            var source = p.IpSource.Ipv4;
            var destination = p.IpDestination.Ipv4;
            if (source == 0 || (source >> 28) == 0xE || destination == 0xFFFF_FFFF || (destination >> 28) == 0xE)
            {
                return false;
            }
            // An ICMP error (destination unreachable, source quench, redirect, time exceeded, parameter problem) gets none.
            return !(p.IpProtocol == IpProtocol.Icmp && p.HasL4 && p.SourcePort is 3 or 4 or 5 or 11 or 12);
        }
        if ((p.IpSource.High == 0 && p.IpSource.Low == 0) || (p.IpSource.High >> 56) == 0xFF || (p.IpDestination.High >> 56) == 0xFF)
        {
            return false;
        }
        return !(p.IpProtocol == IpProtocol.Icmpv6 && p.HasL4 && p.SourcePort < 128);
    }

    /// <summary>
    /// Writes an ICMP error about the IPv4 packet in <paramref name="frame"/> from <paramref name="routerMac"/> and
    /// <paramref name="routerAddress"/> (host order) to its sender; <paramref name="mtu"/> goes in the next-hop MTU field
    /// of "fragmentation needed". Returns the frame's length; <paramref name="buffer"/> holds at least 590 bytes.
    /// </summary>
    public static int WriteIpv4(Span<byte> buffer, ReadOnlySpan<byte> frame, in ParsedPacket p, MacAddress routerMac, uint routerAddress,
        byte type, byte code, int mtu = 0)
    {
        var quote = Quote(frame, in p, Math.Min(MaxIpv4Datagram - 28, buffer.Length - 42));
        var length = 20 + 8 + quote.Length;
        WriteEthernet(buffer, p.EthSource, routerMac, EtherType.Ipv4);
        var ip = buffer[14..];
        ip[..28].Clear();
        ip[0] = 0x45;
        ip[1] = 0xC0; // internetwork control
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)length);
        ip[8] = 64;
        ip[9] = IpProtocol.Icmp;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], routerAddress);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], p.IpSource.Ipv4);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Finish(InternetChecksum.Add(ip[..20])));
        var icmp = ip[20..];
        icmp[0] = type;
        icmp[1] = code;
        if (mtu > 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], (ushort)Math.Min(mtu, ushort.MaxValue));
        }
        quote.CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Finish(InternetChecksum.Add(icmp[..(8 + quote.Length)])));
        return 14 + length;
    }

    /// <summary>
    /// Writes an ICMPv6 error about the IPv6 packet in <paramref name="frame"/> from <paramref name="routerMac"/> and
    /// <paramref name="routerAddress"/> to its sender; <paramref name="mtu"/> is the MTU of "packet too big".
    /// </summary>
    public static int WriteIpv6(Span<byte> buffer, ReadOnlySpan<byte> frame, in ParsedPacket p, MacAddress routerMac, IpAddress128 routerAddress,
        byte type, byte code, int mtu = 0)
    {
        var quote = Quote(frame, in p, Math.Min(1280 - 48, buffer.Length - 62));
        var icmpLength = 8 + quote.Length;
        WriteEthernet(buffer, p.EthSource, routerMac, EtherType.Ipv6);
        var ip = buffer[14..];
        ip[..48].Clear();
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)icmpLength);
        ip[6] = IpProtocol.Icmpv6;
        ip[7] = 64;
        NeighborAdvertisement.WriteAddress(ip[8..], routerAddress);
        NeighborAdvertisement.WriteAddress(ip[24..], p.IpSource);
        var icmp = ip[40..];
        icmp[0] = type;
        icmp[1] = code;
        if (mtu > 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(icmp[4..], (uint)mtu);
        }
        quote.CopyTo(icmp[8..]);
        var pseudo = InternetChecksum.Add(ip[8..40], (ulong)icmpLength + IpProtocol.Icmpv6);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Finish(InternetChecksum.Add(icmp[..icmpLength], pseudo)));
        return 14 + 40 + icmpLength;
    }

    /// <summary>The start of the offending IP packet: at most <paramref name="max"/> bytes, never past the frame.</summary>
    private static ReadOnlySpan<byte> Quote(ReadOnlySpan<byte> frame, in ParsedPacket p, int max)
    {
        var available = Math.Max(0, Math.Min(frame.Length, p.L3Offset + p.IpLength) - p.L3Offset);
        return frame.Slice(p.L3Offset, Math.Min(available, Math.Max(0, max)));
    }

    private static void WriteEthernet(Span<byte> buffer, MacAddress destination, MacAddress source, ushort etherType)
    {
        destination.Write(buffer);
        source.Write(buffer[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[12..], etherType);
    }
}
