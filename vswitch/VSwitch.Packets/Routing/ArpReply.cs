using System.Buffers.Binary;

namespace VSwitch.Packets.Routing;

/// <summary>
/// ARP requests for a router's address, answered in place: the request's own buffer becomes the reply (RFC 826), so
/// answering costs no copy and no buffer.
/// </summary>
public static class ArpReply
{
    /// <summary>True for an ARP request (operation 1) for an IPv4 address.</summary>
    public static bool IsRequest(in ParsedPacket p) => p.IsArp && p.ArpOperation == 1;

    /// <summary>
    /// Turns the request in <paramref name="frame"/> into the reply "<paramref name="p"/>'s target address is at
    /// <paramref name="mac"/>", addressed to the requester. The frame keeps its length (and any VLAN tags).
    /// </summary>
    public static void AnswerInPlace(Span<byte> frame, in ParsedPacket p, MacAddress mac)
    {
        p.EthSource.Write(frame);
        mac.Write(frame[6..]);
        var arp = frame[p.L3Offset..];
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 2);
        // Target := the requester (its MAC and address); sender := the router (its MAC and the address asked for).
        p.ArpSenderMac.Write(arp[18..]);
        BinaryPrimitives.WriteUInt32BigEndian(arp[24..], p.IpSource.Ipv4);
        mac.Write(arp[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(arp[14..], p.IpDestination.Ipv4);
    }
}
