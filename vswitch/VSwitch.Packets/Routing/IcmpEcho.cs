using System.Buffers.Binary;
using VSwitch.Packets.Offloads;

namespace VSwitch.Packets.Routing;

/// <summary>
/// Echo requests to a router's own address (ICMP type 8, ICMPv6 type 128), answered in place: addresses swapped, the
/// type made a reply, checksums recomputed; the payload, identifier and sequence stay as the sender wrote them.
/// </summary>
public static class IcmpEcho
{
    /// <summary>True for an unfragmented ICMP or ICMPv6 echo request.</summary>
    public static bool IsRequest(in ParsedPacket p) =>
        p.HasL4 && (p.Flags & PacketFlags.Fragment) == 0
        && ((p.IsIpv4 && p.IpProtocol == IpProtocol.Icmp && p.SourcePort == 8)
            || (p.IsIpv6 && p.IpProtocol == IpProtocol.Icmpv6 && p.SourcePort == 128));

    /// <summary>True for an ICMP (IPv4) echo request or reply, whose identifier a source NAT translates like a port.</summary>
    public static bool IsIpv4Echo(in ParsedPacket p) =>
        p.HasL4 && p.IsIpv4 && p.IpProtocol == IpProtocol.Icmp && p.SourcePort is 0 or 8;

    /// <summary>
    /// Turns the request in <paramref name="frame"/> into its reply from <paramref name="mac"/>; false (frame untouched)
    /// when the IP packet does not fit the frame (the parser's length checks make that a malformed frame).
    /// </summary>
    public static bool AnswerInPlace(Span<byte> frame, in ParsedPacket p, MacAddress mac)
    {
        if (p.L3Offset + p.IpLength > frame.Length || p.L4Offset >= p.L3Offset + p.IpLength)
        {
            return false;
        }
        p.EthSource.Write(frame);
        mac.Write(frame[6..]);
        var ip = frame.Slice(p.L3Offset, p.IpLength);
        var icmp = frame[p.L4Offset..(p.L3Offset + p.IpLength)];
        if (p.IsIpv4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(ip[12..], p.IpDestination.Ipv4);
            BinaryPrimitives.WriteUInt32BigEndian(ip[16..], p.IpSource.Ipv4);
            ip[8] = 64;
            var headerLength = (ip[0] & 0x0F) * 4;
            ip[10] = 0;
            ip[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Finish(InternetChecksum.Add(ip[..headerLength])));
            icmp[0] = 0;
            icmp[2] = 0;
            icmp[3] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Finish(InternetChecksum.Add(icmp)));
            return true;
        }
        NeighborAdvertisement.WriteAddress(ip[8..], p.IpDestination);
        NeighborAdvertisement.WriteAddress(ip[24..], p.IpSource);
        ip[7] = 64;
        icmp[0] = 129;
        icmp[2] = 0;
        icmp[3] = 0;
        var pseudo = InternetChecksum.Add(ip[8..40], (ulong)icmp.Length + IpProtocol.Icmpv6);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Finish(InternetChecksum.Add(icmp, pseudo)));
        return true;
    }
}
