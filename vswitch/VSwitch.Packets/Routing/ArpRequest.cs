using System.Buffers.Binary;

namespace VSwitch.Packets.Routing;

/// <summary>
/// ARP requests a router broadcasts to resolve a next hop on an external network (RFC 826): "who has the target
/// address? tell the router's address", from the router interface's MAC to the broadcast address.
/// </summary>
public static class ArpRequest
{
    /// <summary>Bytes of an ARP request frame: Ethernet header and ARP for IPv4 over Ethernet, padded to the 60-byte minimum.</summary>
    public const int FrameLength = 60;

    /// <summary>True for an ARP reply (operation 2) for an IPv4 address.</summary>
    public static bool IsReply(in ParsedPacket p) => p.IsArp && p.ArpOperation == 2;

    /// <summary>Writes the request for <paramref name="target"/> (host order) from <paramref name="mac"/> and <paramref name="sender"/>; its length.</summary>
    public static int Write(Span<byte> buffer, MacAddress mac, uint sender, uint target)
    {
        var frame = buffer[..FrameLength];
        frame.Clear();
        MacAddress.Broadcast.Write(frame);
        mac.Write(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherType.Arp);
        var arp = frame[14..];
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);           // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], EtherType.Ipv4);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 1);      // request
        mac.Write(arp[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(arp[14..], sender);
        BinaryPrimitives.WriteUInt32BigEndian(arp[24..], target);
        return FrameLength;
    }
}
