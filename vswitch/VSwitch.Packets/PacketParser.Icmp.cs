// PacketParser.Icmp: ICMP (RFC 792), ICMPv6 (RFC 4443) and neighbor discovery (RFC 4861).
//
// What: type and code go to SourcePort and DestinationPort (as Neutron stores ICMP type and code in the port-range
// fields), the echo identifier to IcmpIdentifier. For neighbor solicitations and advertisements the target address
// goes to NdTarget, and the source link-layer option (in a solicitation) or target link-layer option (in an
// advertisement) to NdLinkLayerAddress: port security checks these against the port's addresses, as OVS's implicit
// ND rules do. PayloadOffset is the end of the 8-byte ICMP header (or of the message, when it is shorter).
// Why: ND options are a type-length list in 8-byte units; a length of 0 would never advance, and a length past the
// message would read beyond it, so both are BadIcmpHeader (the kernel's ndisc_parse_options refuses the same). Each
// step consumes at least 8 bytes, so the walk is bounded by the message size. When an option repeats, the first wins
// (the kernel keeps the first and ignores duplicates).

namespace VSwitch.Packets;

public static partial class PacketParser
{
    /// <summary>Bytes of type, code and checksum: the least an ICMP message has.</summary>
    private const int IcmpMinSize = 4;

    /// <summary>Bytes of the ICMP header including the rest-of-header word (identifier and sequence for echo).</summary>
    private const int IcmpHeaderSize = 8;

    /// <summary>Bytes of a neighbor solicitation or advertisement before its options.</summary>
    private const int NdMessageSize = 24;

    private const byte IcmpEchoReply = 0;
    private const byte IcmpEchoRequest = 8;
    private const byte Icmpv6EchoRequest = 128;
    private const byte Icmpv6EchoReply = 129;
    private const byte Icmpv6NeighborSolicitation = 135;
    private const byte Icmpv6NeighborAdvertisement = 136;
    private const byte NdOptionSourceLinkLayer = 1;
    private const byte NdOptionTargetLinkLayer = 2;

    private static ParseError ParseIcmp(ReadOnlySpan<byte> icmp, int l4Offset, ref ParsedPacket packet)
    {
        if (icmp.Length < IcmpMinSize)
        {
            return ParseError.BadIcmpHeader;
        }
        var type = icmp[0];
        if (type is IcmpEchoRequest or IcmpEchoReply)
        {
            if (icmp.Length < IcmpHeaderSize)
            {
                return ParseError.BadIcmpHeader;
            }
            packet.IcmpIdentifier = ReadUInt16(icmp, 4);
        }
        SetIcmpFields(icmp, l4Offset, ref packet);
        return ParseError.None;
    }

    private static ParseError ParseIcmpv6(ReadOnlySpan<byte> icmp, int l4Offset, ref ParsedPacket packet)
    {
        if (icmp.Length < IcmpMinSize)
        {
            return ParseError.BadIcmpHeader;
        }
        var type = icmp[0];
        switch (type)
        {
            case Icmpv6EchoRequest or Icmpv6EchoReply:
                if (icmp.Length < IcmpHeaderSize)
                {
                    return ParseError.BadIcmpHeader;
                }
                packet.IcmpIdentifier = ReadUInt16(icmp, 4);
                break;
            case Icmpv6NeighborSolicitation or Icmpv6NeighborAdvertisement:
                var error = ParseNeighborDiscovery(icmp, type, ref packet);
                if (error != ParseError.None)
                {
                    return error;
                }
                break;
        }
        SetIcmpFields(icmp, l4Offset, ref packet);
        return ParseError.None;
    }

    /// <summary>The target and the link-layer address option of a neighbor solicitation or advertisement.</summary>
    private static ParseError ParseNeighborDiscovery(ReadOnlySpan<byte> icmp, byte type, ref ParsedPacket packet)
    {
        if (icmp.Length < NdMessageSize)
        {
            return ParseError.BadIcmpHeader;
        }
        packet.NdTarget = IpAddress128.ReadIpv6(icmp.Slice(8));
        packet.Flags |= PacketFlags.NeighborDiscovery;
        var wanted = type == Icmpv6NeighborSolicitation ? NdOptionSourceLinkLayer : NdOptionTargetLinkLayer;
        var options = icmp.Slice(NdMessageSize);
        while (!options.IsEmpty)
        {
            if (options.Length < 2)
            {
                return ParseError.BadIcmpHeader;
            }
            var size = options[1] * 8;
            if (size == 0 || size > options.Length)
            {
                return ParseError.BadIcmpHeader;
            }
            // An Ethernet link-layer option is 8 bytes: type, length, six address octets.
            if (options[0] == wanted && (packet.Flags & PacketFlags.NdLinkLayerOption) == 0)
            {
                packet.NdLinkLayerAddress = MacAddress.Read(options.Slice(2));
                packet.Flags |= PacketFlags.NdLinkLayerOption;
            }
            options = options.Slice(size);
        }
        return ParseError.None;
    }

    /// <summary>Type, code and payload offset, common to ICMP and ICMPv6.</summary>
    private static void SetIcmpFields(ReadOnlySpan<byte> icmp, int l4Offset, ref ParsedPacket packet)
    {
        packet.SourcePort = icmp[0];
        packet.DestinationPort = icmp[1];
        packet.PayloadOffset = (ushort)(l4Offset + Math.Min(icmp.Length, IcmpHeaderSize));
        packet.Flags |= PacketFlags.HasL4;
    }
}
