using System.Runtime.InteropServices;

namespace VSwitch.Packets;

/// <summary>Facts about a frame that the parser found, as bit flags.</summary>
[Flags]
public enum PacketFlags : ushort
{
    None = 0,

    /// <summary>An IPv4 packet.</summary>
    Ipv4 = 1 << 0,

    /// <summary>An IPv6 packet.</summary>
    Ipv6 = 1 << 1,

    /// <summary>An ARP packet (fields in the Arp* members).</summary>
    Arp = 1 << 2,

    /// <summary>The L4 header was found and parsed (false for later fragments and unknown protocols).</summary>
    HasL4 = 1 << 3,

    /// <summary>A fragment (IPv4 MF or offset, or an IPv6 fragment header).</summary>
    Fragment = 1 << 4,

    /// <summary>A fragment with a non-zero offset: it carries no L4 header.</summary>
    LaterFragment = 1 << 5,

    /// <summary>The IPv4 header carries options (IHL above 5).</summary>
    Ipv4Options = 1 << 6,

    /// <summary>An IPv6 packet with at least one extension header.</summary>
    Ipv6ExtensionHeaders = 1 << 7,

    /// <summary>An ICMPv6 neighbor solicitation or advertisement (target in <see cref="ParsedPacket.NdTarget"/>).</summary>
    NeighborDiscovery = 1 << 8,

    /// <summary>An ND source or target link-layer address option was present (in <see cref="ParsedPacket.NdLinkLayerAddress"/>).</summary>
    NdLinkLayerOption = 1 << 9,

    /// <summary>A fragment with more to follow (IPv4 MF, the IPv6 fragment header's M flag).</summary>
    MoreFragments = 1 << 10,

    /// <summary>
    /// A later fragment whose L4 fields (ports, ICMP type, code and identifier, TCP flags) were copied from its
    /// datagram's first fragment by the data path's fragment stage; <see cref="HasL4"/> is then set too.
    /// </summary>
    L4FromFirstFragment = 1 << 11,
}

/// <summary>
/// The result of one parse: offsets of every layer and the header fields that switching, policy and conntrack read.
/// </summary>
/// <remarks>
/// What: a fixed-size, blittable record the parser fills in one pass (as OVS's <c>miniflow_extract</c>).
/// Why: every later stage reads fields from here instead of re-parsing the frame, and the worker keeps one array of
/// these per batch, so parsing allocates nothing.
/// Addresses are <see cref="IpAddress128"/>: IPv4 is IPv4-mapped. Multi-byte fields are in host order.
/// For ICMP and ICMPv6, <see cref="SourcePort"/> holds the type and <see cref="DestinationPort"/> the code, as Neutron
/// stores ICMP type and code in the port-range fields; <see cref="IcmpIdentifier"/> holds the echo identifier.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public struct ParsedPacket
{
    /// <summary>Destination MAC of the outer Ethernet header.</summary>
    public MacAddress EthDestination;

    /// <summary>Source MAC of the outer Ethernet header.</summary>
    public MacAddress EthSource;

    /// <summary>Source IP address (ARP: sender protocol address).</summary>
    public IpAddress128 IpSource;

    /// <summary>Destination IP address (ARP: target protocol address).</summary>
    public IpAddress128 IpDestination;

    /// <summary>ICMPv6 ND target address, when <see cref="PacketFlags.NeighborDiscovery"/> is set.</summary>
    public IpAddress128 NdTarget;

    /// <summary>ND source/target link-layer address option, when <see cref="PacketFlags.NdLinkLayerOption"/> is set.</summary>
    public MacAddress NdLinkLayerAddress;

    /// <summary>ARP sender hardware address.</summary>
    public MacAddress ArpSenderMac;

    /// <summary>ARP target hardware address.</summary>
    public MacAddress ArpTargetMac;

    /// <summary>TCP sequence number.</summary>
    public uint TcpSequence;

    /// <summary>TCP acknowledgement number.</summary>
    public uint TcpAcknowledgement;

    /// <summary>The EtherType after any VLAN tags (0x0800, 0x86DD, 0x0806, or another value).</summary>
    public ushort EtherType;

    /// <summary>Tag control information of the outer VLAN tag (0 when untagged).</summary>
    public ushort OuterVlanTci;

    /// <summary>Tag control information of the inner VLAN tag (QinQ), 0 when absent.</summary>
    public ushort InnerVlanTci;

    /// <summary>Offset of the L3 header (after Ethernet and VLAN tags).</summary>
    public ushort L3Offset;

    /// <summary>Offset of the L4 header (after IPv4 options or IPv6 extension headers); 0 when none.</summary>
    public ushort L4Offset;

    /// <summary>Offset of the L4 payload; 0 when none.</summary>
    public ushort PayloadOffset;

    /// <summary>
    /// Bytes of the IP packet according to its own length field (IPv4 total length, IPv6 40 + payload length;
    /// saturated at 65,535 for an IPv6 payload above 65,495 bytes).
    /// </summary>
    public ushort IpLength;

    /// <summary>TCP/UDP/SCTP source port; ICMP/ICMPv6 type.</summary>
    public ushort SourcePort;

    /// <summary>TCP/UDP/SCTP destination port; ICMP/ICMPv6 code.</summary>
    public ushort DestinationPort;

    /// <summary>ICMP/ICMPv6 echo identifier (0 for other ICMP messages).</summary>
    public ushort IcmpIdentifier;

    /// <summary>TCP receive window (unscaled).</summary>
    public ushort TcpWindow;

    /// <summary>ARP operation (1 request, 2 reply).</summary>
    public ushort ArpOperation;

    /// <summary>Fragment offset in bytes (the header's 8-byte units times 8); 0 for a first fragment or none.</summary>
    public ushort FragmentOffset;

    /// <summary>
    /// Offset in the frame where the fragment's data starts: after the IPv4 header, or after the IPv6 fragment header
    /// (the fragment offset counts from there); 0 when the packet is not a fragment.
    /// </summary>
    public ushort FragmentDataOffset;

    /// <summary>The datagram's identification: IPv4's 16-bit id, the IPv6 fragment header's 32-bit one; 0 when not a fragment.</summary>
    public uint FragmentId;

    /// <summary>What the parser found.</summary>
    public PacketFlags Flags;

    /// <summary>The upper-layer protocol: IPv4 protocol, or the IPv6 next header after the extension-header walk.</summary>
    public byte IpProtocol;

    /// <summary>TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80).</summary>
    public byte TcpFlags;

    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    public byte Ttl;

    /// <summary>Number of VLAN tags (0, 1 or 2).</summary>
    public byte VlanCount;

    public readonly bool IsIpv4 => (Flags & PacketFlags.Ipv4) != 0;

    public readonly bool IsIpv6 => (Flags & PacketFlags.Ipv6) != 0;

    public readonly bool IsIp => (Flags & (PacketFlags.Ipv4 | PacketFlags.Ipv6)) != 0;

    public readonly bool IsArp => (Flags & PacketFlags.Arp) != 0;

    public readonly bool HasL4 => (Flags & PacketFlags.HasL4) != 0;

    /// <summary>A fragment with a non-zero offset (it carries no L4 header of its own).</summary>
    public readonly bool IsLaterFragment => (Flags & PacketFlags.LaterFragment) != 0;

    /// <summary>Bytes of fragment data this packet carries (its IP length minus the headers before the fragment data).</summary>
    public readonly int FragmentDataLength => L3Offset + IpLength - FragmentDataOffset;
}
