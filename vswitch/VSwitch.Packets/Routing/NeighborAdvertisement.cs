using System.Buffers.Binary;
using VSwitch.Packets.Offloads;

namespace VSwitch.Packets.Routing;

/// <summary>
/// Neighbor solicitations for a router's IPv6 address answered with a neighbor advertisement (RFC 4861 §4.3, §4.4,
/// §7.2.4), written into a reply buffer: router, solicited and override flags, the target link-layer address option.
/// </summary>
public static class NeighborAdvertisement
{
    public const byte SolicitationType = 135;
    public const byte AdvertisementType = 136;

    /// <summary>The advertisement's size: Ethernet, IPv6 and a 32-byte ICMPv6 message.</summary>
    public const int Size = 14 + 40 + 32;

    /// <summary>True for an ICMPv6 neighbor solicitation (the parser checked its length and hop limit).</summary>
    public static bool IsSolicitation(in ParsedPacket p) =>
        p.IsIpv6 && p.IpProtocol == IpProtocol.Icmpv6 && p.HasL4 && p.SourcePort == SolicitationType;

    /// <summary>
    /// Writes the advertisement "<paramref name="p"/>'s target is at <paramref name="mac"/>" to the solicitor (to all
    /// nodes, unsolicited, when it asked from the unspecified address during duplicate address detection).
    /// </summary>
    public static int Write(Span<byte> buffer, in ParsedPacket p, MacAddress mac)
    {
        buffer[..Size].Clear();
        var unspecified = p.IpSource.High == 0 && p.IpSource.Low == 0;
        var destination = unspecified ? new IpAddress128(0xFF02_0000_0000_0000UL, 1) : p.IpSource;
        (unspecified ? new MacAddress(0x3333_0000_0001UL) : p.EthSource).Write(buffer);
        mac.Write(buffer[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[12..], EtherType.Ipv6);
        var ip = buffer[14..];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 32);
        ip[6] = IpProtocol.Icmpv6;
        ip[7] = 255;
        WriteAddress(ip[8..], p.NdTarget);
        WriteAddress(ip[24..], destination);
        var icmp = ip[40..];
        icmp[0] = AdvertisementType;
        icmp[4] = (byte)(0x80 | (unspecified ? 0 : 0x40) | 0x20); // router, solicited, override
        WriteAddress(icmp[8..], p.NdTarget);
        icmp[24] = 2; // target link-layer address
        icmp[25] = 1;
        mac.Write(icmp[26..]);
        var pseudo = InternetChecksum.Add(ip[8..40], 32UL + IpProtocol.Icmpv6);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Finish(InternetChecksum.Add(icmp[..32], pseudo)));
        return Size;
    }

    internal static void WriteAddress(Span<byte> sixteen, IpAddress128 address)
    {
        BinaryPrimitives.WriteUInt64BigEndian(sixteen, address.High);
        BinaryPrimitives.WriteUInt64BigEndian(sixteen[8..], address.Low);
    }
}
