using System.Runtime.InteropServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Policy;

/// <summary>
/// The packet fields a policy lookup reads, taken from the point of view of one port and direction: the remote address
/// is the source for ingress rules and the destination for egress rules.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct ClassifierQuery
{
    public IpAddress128 RemoteAddress;

    /// <summary>Destination port; for ICMP/ICMPv6, type in the high byte and code in the low byte.</summary>
    public ushort PortKey;

    public byte Protocol;

    public bool Ipv6;

    /// <summary>
    /// A non-first fragment without its first fragment's ports: only rules without a port range can match it. (The
    /// fragment stage gives later fragments their first fragment's L4 fields; those match like the first fragment.)
    /// </summary>
    public bool LaterFragment;

    /// <summary>Builds the query for the packet as seen by an ingress (<paramref name="ingress"/>) or egress rule set.</summary>
    public static ClassifierQuery From(in ParsedPacket packet, bool ingress)
    {
        var q = default(ClassifierQuery);
        q.RemoteAddress = ingress ? packet.IpSource : packet.IpDestination;
        q.Protocol = packet.IpProtocol;
        q.Ipv6 = packet.IsIpv6;
        q.LaterFragment = (packet.Flags & (PacketFlags.LaterFragment | PacketFlags.HasL4)) == PacketFlags.LaterFragment;
        q.PortKey = ClassifierRule.IsIcmp(packet.IpProtocol)
            ? (ushort)((packet.SourcePort << 8) | (packet.DestinationPort & 0xFF))
            : packet.DestinationPort;
        return q;
    }
}
