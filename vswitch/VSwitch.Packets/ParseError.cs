namespace VSwitch.Packets;

/// <summary>
/// Why <see cref="PacketParser"/> refused a frame. <see cref="None"/> means the frame parsed; every other value is a
/// malformed frame that the data path drops and counts as <c>malformed</c>.
/// </summary>
public enum ParseError : byte
{
    /// <summary>The frame parsed.</summary>
    None = 0,

    /// <summary>Shorter than an Ethernet header, or a VLAN tag is cut off.</summary>
    TruncatedEthernet,

    /// <summary>More than two VLAN tags (the parser accepts 802.1Q and QinQ).</summary>
    TooManyVlanTags,

    /// <summary>An ARP packet shorter than its fixed Ethernet/IPv4 form, or with other hardware/protocol types.</summary>
    BadArp,

    /// <summary>An IPv4 header that is cut off, has IHL below 5, a version other than 4, or a total length that lies.</summary>
    BadIpv4Header,

    /// <summary>An IPv6 header that is cut off, has a version other than 6, or a payload length that lies.</summary>
    BadIpv6Header,

    /// <summary>An IPv6 extension header that is cut off, repeated out of order, or a chain longer than the walk allows.</summary>
    BadIpv6ExtensionHeader,

    /// <summary>A TCP header that is cut off or whose data offset is below 5 or beyond the packet.</summary>
    BadTcpHeader,

    /// <summary>A UDP header that is cut off or whose length field lies.</summary>
    BadUdpHeader,

    /// <summary>An ICMP or ICMPv6 header that is cut off.</summary>
    BadIcmpHeader,

    /// <summary>An SCTP common header that is cut off.</summary>
    BadSctpHeader,

    /// <summary>
    /// An IP fragment no receiver would reassemble: a fragment with more to follow whose data is not a multiple of 8
    /// bytes, or one that would end beyond a 65,535-byte datagram (the "ping of death").
    /// </summary>
    BadFragment,
}
