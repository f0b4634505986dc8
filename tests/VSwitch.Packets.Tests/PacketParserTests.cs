// PacketParserTests: the parser's semantics on hand-built frames (the golden tests cover real traffic; these pin the
// cases real traffic rarely shows: padding, first-fragment UDP lengths, 64 KiB GSO frames, ND option variants,
// ESP and no-next-header, the extension-header limit, unknown EtherTypes and protocols).

using System.Buffers.Binary;
using static VSwitch.Packets.Tests.FrameBuilder;

namespace VSwitch.Packets.Tests;

public sealed class PacketParserTests
{
    private static ParsedPacket ParseOk(byte[] frame)
    {
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var packet));
        return packet;
    }

    [Fact]
    public void Parse_Ipv4Tcp_FillsEveryField()
    {
        var frame = Ipv4Frame(IpProtocol.Tcp, Tcp(40000, 443, TcpFlags.Syn | TcpFlags.Ack, [1, 2, 3], dataOffsetWords: 6,
            sequence: 0xDEADBEEF, acknowledgement: 0x01020304, window: 0xFACE));
        var p = ParseOk(frame);
        Assert.Equal(DestinationMac, p.EthDestination);
        Assert.Equal(SourceMac, p.EthSource);
        Assert.Equal(EtherType.Ipv4, p.EtherType);
        Assert.Equal(PacketFlags.Ipv4 | PacketFlags.HasL4, p.Flags);
        Assert.Equal("198.18.0.1", p.IpSource.ToString());
        Assert.Equal("198.18.0.2", p.IpDestination.ToString());
        Assert.True(p.IpSource.IsIpv4Mapped);
        Assert.Equal(IpProtocol.Tcp, p.IpProtocol);
        Assert.Equal(64, p.Ttl);
        Assert.Equal(20 + 24 + 3, p.IpLength);
        Assert.Equal(14, p.L3Offset);
        Assert.Equal(34, p.L4Offset);
        Assert.Equal(34 + 24, p.PayloadOffset);
        Assert.Equal(40000, p.SourcePort);
        Assert.Equal(443, p.DestinationPort);
        Assert.Equal(0xDEADBEEFu, p.TcpSequence);
        Assert.Equal(0x01020304u, p.TcpAcknowledgement);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, p.TcpFlags);
        Assert.Equal(0xFACE, p.TcpWindow);
        Assert.Equal(0, p.VlanCount);
    }

    [Fact]
    public void Parse_Ipv4Options_SetsFlagAndSkipsOptions()
    {
        var p = ParseOk(Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, Udp(53, 5353), optionsSize: 12)));
        Assert.Equal(PacketFlags.Ipv4 | PacketFlags.Ipv4Options | PacketFlags.HasL4, p.Flags);
        Assert.Equal(14 + 32, p.L4Offset);
        Assert.Equal(53, p.SourcePort);
        Assert.Equal(5353, p.DestinationPort);
    }

    [Fact]
    public void Parse_EthernetPadding_L4BoundedByIpLength()
    {
        // A 60-byte minimum frame: 14 + 20 + 8 bytes of UDP, then 18 bytes of padding the UDP length must not reach.
        var frame = Concat(Ipv4Frame(IpProtocol.Udp, Udp(1, 2)), new byte[18]);
        var p = ParseOk(frame);
        Assert.Equal(28, p.IpLength);
        Assert.True(p.HasL4);
        var lying = Concat(Ipv4Frame(IpProtocol.Udp, Udp(1, 2, length: 20)), new byte[18]);
        Assert.Equal(ParseError.BadUdpHeader, PacketParser.Parse(lying, out _));
    }

    [Fact]
    public void Parse_Ipv4FirstFragment_ParsesL4WithLongUdpLength()
    {
        // MF set, offset 0; the UDP length covers the whole 3000-byte datagram, of which 24 bytes are here.
        var frame = Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, Udp(1000, 2000, new byte[16], length: 3008), flagsAndOffset: 0x2000));
        var p = ParseOk(frame);
        Assert.Equal(PacketFlags.Ipv4 | PacketFlags.Fragment | PacketFlags.MoreFragments | PacketFlags.HasL4, p.Flags);
        Assert.Equal(1000, p.SourcePort);
        Assert.Equal(0, p.FragmentOffset);
        Assert.Equal(14 + 20, p.FragmentDataOffset);
        Assert.Equal(24, p.FragmentDataLength);
    }

    [Theory]
    [InlineData(0x2000 | 185)]
    [InlineData(370)]
    public void Parse_Ipv4LaterFragment_NoL4(int flagsAndOffset)
    {
        var frame = Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, new byte[40], flagsAndOffset: (ushort)flagsAndOffset));
        var p = ParseOk(frame);
        var more = (flagsAndOffset & 0x2000) != 0 ? PacketFlags.MoreFragments : 0;
        Assert.Equal(PacketFlags.Ipv4 | PacketFlags.Fragment | PacketFlags.LaterFragment | more, p.Flags);
        Assert.Equal((flagsAndOffset & 0x1FFF) * 8, p.FragmentOffset);
        Assert.Equal(40, p.FragmentDataLength);
        Assert.Equal(IpProtocol.Udp, p.IpProtocol);
        Assert.Equal(0, p.L4Offset);
        Assert.Equal(0, p.PayloadOffset);
        Assert.Equal(0, p.SourcePort);
        Assert.Equal(0, p.DestinationPort);
    }

    [Fact]
    public void Parse_Ipv4GsoSuperFrame_AcceptsTotalLength65535()
    {
        var payload = new byte[65535 - 20 - 20];
        var p = ParseOk(Ipv4Frame(IpProtocol.Tcp, Tcp(1, 2, TcpFlags.Ack, payload)));
        Assert.Equal(65535, p.IpLength);
        Assert.True(p.HasL4);
        Assert.Equal(54, p.PayloadOffset);
    }

    [Fact]
    public void Parse_Ipv6GsoSuperFrame_IpLengthSaturates()
    {
        var payload = new byte[65535 - 20];
        var p = ParseOk(Ipv6Frame(IpProtocol.Tcp, Tcp(1, 2, TcpFlags.Ack, payload)));
        Assert.Equal(ushort.MaxValue, p.IpLength);
        Assert.True(p.HasL4);
        Assert.Equal(14 + 40 + 20, p.PayloadOffset);
    }

    [Fact]
    public void Parse_Ipv6Udp_FillsAddressesAndHopLimit()
    {
        var p = ParseOk(Ethernet(EtherType.Ipv6, Ipv6(IpProtocol.Udp, Udp(546, 547, [9]), hopLimit: 1)));
        Assert.Equal(PacketFlags.Ipv6 | PacketFlags.HasL4, p.Flags);
        Assert.Equal("2001:db8::1", p.IpSource.ToString());
        Assert.Equal("2001:db8::2", p.IpDestination.ToString());
        Assert.Equal(1, p.Ttl);
        Assert.Equal(49, p.IpLength);
        Assert.Equal(54, p.L4Offset);
        Assert.Equal(62, p.PayloadOffset);
        Assert.Equal(546, p.SourcePort);
    }

    [Fact]
    public void Parse_Ipv6ExtensionChain_WalksToUpperLayer()
    {
        var chain = Ipv6Options(IpProtocol.Ipv6Routing,
            Ipv6Options(IpProtocol.Ah,
                Ah(IpProtocol.Ipv6DestinationOptions,
                    Ipv6Options(IpProtocol.Tcp, Tcp(5, 6, TcpFlags.Fin), size: 16)), size: 24));
        var p = ParseOk(Ipv6Frame(IpProtocol.HopByHop, chain));
        Assert.Equal(PacketFlags.Ipv6 | PacketFlags.Ipv6ExtensionHeaders | PacketFlags.HasL4, p.Flags);
        Assert.Equal(IpProtocol.Tcp, p.IpProtocol);
        Assert.Equal(14 + 40 + 8 + 24 + 24 + 16, p.L4Offset);
        Assert.Equal(TcpFlags.Fin, p.TcpFlags);
    }

    [Fact]
    public void Parse_Ipv6FirstFragment_ParsesL4WithLongUdpLength()
    {
        var fragment = Ipv6Fragment(IpProtocol.Udp, Udp(7, 8, new byte[16], length: 3008), 0, more: true);
        var p = ParseOk(Ipv6Frame(IpProtocol.Ipv6Fragment, fragment));
        Assert.Equal(PacketFlags.Ipv6 | PacketFlags.Ipv6ExtensionHeaders | PacketFlags.Fragment | PacketFlags.MoreFragments | PacketFlags.HasL4, p.Flags);
        Assert.Equal(7, p.SourcePort);
        Assert.Equal(14 + 48, p.FragmentDataOffset);
        Assert.Equal(24, p.FragmentDataLength);
        Assert.Equal(14 + 48, p.L4Offset);
    }

    [Fact]
    public void Parse_Ipv6LaterFragment_StopsWithFragmentNextHeader()
    {
        var fragment = Ipv6Fragment(IpProtocol.Icmpv6, new byte[64], 181, more: false);
        var p = ParseOk(Ipv6Frame(IpProtocol.Ipv6DestinationOptions, Ipv6Options(IpProtocol.Ipv6Fragment, fragment)));
        Assert.Equal(PacketFlags.Ipv6 | PacketFlags.Ipv6ExtensionHeaders | PacketFlags.Fragment | PacketFlags.LaterFragment, p.Flags);
        Assert.Equal(IpProtocol.Icmpv6, p.IpProtocol);
        Assert.Equal(0, p.L4Offset);
        Assert.Equal(0, p.SourcePort);
        Assert.Equal(181 * 8, p.FragmentOffset);
        Assert.Equal(64, p.FragmentDataLength);
    }

    [Theory]
    [InlineData(IpProtocol.Esp)]
    [InlineData(IpProtocol.Ipv6NoNext)]
    [InlineData(253)]
    public void Parse_Ipv6NonL4NextHeader_StopsWithoutL4(byte next)
    {
        var p = ParseOk(Ipv6Frame(IpProtocol.Ipv6DestinationOptions, Ipv6Options(next, new byte[24])));
        Assert.Equal(PacketFlags.Ipv6 | PacketFlags.Ipv6ExtensionHeaders, p.Flags);
        Assert.Equal(next, p.IpProtocol);
        Assert.Equal(next == IpProtocol.Ipv6NoNext ? 0 : 14 + 48, p.L4Offset);
        Assert.Equal(0, p.PayloadOffset);
    }

    [Fact]
    public void Parse_Ipv4UnknownProtocol_PointsAtUpperLayerWithoutL4()
    {
        var p = ParseOk(Ipv4Frame(47, new byte[8]));
        Assert.Equal(PacketFlags.Ipv4, p.Flags);
        Assert.Equal(47, p.IpProtocol);
        Assert.Equal(34, p.L4Offset);
    }

    [Fact]
    public void Parse_IcmpOverWrongFamily_NotParsedAsIcmp()
    {
        Assert.False(ParseOk(Ipv4Frame(IpProtocol.Icmpv6, Echo(128, 1))).HasL4);
        Assert.False(ParseOk(Ipv6Frame(IpProtocol.Icmp, Echo(8, 1))).HasL4);
    }

    [Theory]
    [InlineData(IpProtocol.Icmp, 8)]
    [InlineData(IpProtocol.Icmp, 0)]
    [InlineData(IpProtocol.Icmpv6, 128)]
    [InlineData(IpProtocol.Icmpv6, 129)]
    public void Parse_Echo_SetsTypeCodeAndIdentifier(byte protocol, byte type)
    {
        var frame = protocol == IpProtocol.Icmp ? Ipv4Frame(protocol, Echo(type, 0xBEEF)) : Ipv6Frame(protocol, Echo(type, 0xBEEF));
        var p = ParseOk(frame);
        Assert.True(p.HasL4);
        Assert.Equal(type, p.SourcePort);
        Assert.Equal(0, p.DestinationPort);
        Assert.Equal(0xBEEF, p.IcmpIdentifier);
        Assert.Equal(p.L4Offset + 8, p.PayloadOffset);
    }

    [Fact]
    public void Parse_IcmpError_TypeAndCodeWithoutIdentifier()
    {
        var p = ParseOk(Ipv4Frame(IpProtocol.Icmp, Icmp(3, 3, [0, 0, 0, 0, .. Ipv4(IpProtocol.Udp, Udp(9, 10))])));
        Assert.Equal(3, p.SourcePort);
        Assert.Equal(3, p.DestinationPort);
        Assert.Equal(0, p.IcmpIdentifier);
        Assert.Equal(IpProtocol.Icmp, p.IpProtocol);
    }

    [Fact]
    public void Parse_ShortIcmpMessage_PayloadOffsetAtEnd()
    {
        var p = ParseOk(Ipv4Frame(IpProtocol.Icmp, [11, 0, 0, 0, 0]));
        Assert.Equal(11, p.SourcePort);
        Assert.Equal(p.L4Offset + 5, p.PayloadOffset);
    }

    [Fact]
    public void Parse_NeighborSolicitation_TargetAndSourceLinkLayer()
    {
        var mac = new MacAddress(0x02_11_22_33_44_55);
        var p = ParseOk(Ipv6Frame(IpProtocol.Icmpv6, NeighborDiscovery(135, Ipv6Destination, LinkLayerOption(1, mac))));
        Assert.Equal(PacketFlags.Ipv6 | PacketFlags.HasL4 | PacketFlags.NeighborDiscovery | PacketFlags.NdLinkLayerOption, p.Flags);
        Assert.Equal("2001:db8::2", p.NdTarget.ToString());
        Assert.Equal(mac, p.NdLinkLayerAddress);
        Assert.Equal(135, p.SourcePort);
    }

    [Fact]
    public void Parse_NeighborAdvertisement_TargetLinkLayerAfterOtherOptions()
    {
        var mac = new MacAddress(0x02_66_77_88_99_AA);
        var nonce = new byte[] { 14, 1, 1, 2, 3, 4, 5, 6 };
        var p = ParseOk(Ipv6Frame(IpProtocol.Icmpv6, NeighborDiscovery(136, Ipv6Source, nonce, LinkLayerOption(2, mac), LinkLayerOption(2, SourceMac))));
        Assert.True((p.Flags & PacketFlags.NdLinkLayerOption) != 0);
        Assert.Equal(mac, p.NdLinkLayerAddress);
        Assert.Equal("2001:db8::1", p.NdTarget.ToString());
    }

    [Theory]
    [InlineData(135, 2)]
    [InlineData(136, 1)]
    public void Parse_NeighborDiscoveryWrongLinkLayerOption_NoLinkLayerAddress(byte type, byte optionType)
    {
        var p = ParseOk(Ipv6Frame(IpProtocol.Icmpv6, NeighborDiscovery(type, Ipv6Destination, LinkLayerOption(optionType, SourceMac))));
        Assert.Equal(PacketFlags.Ipv6 | PacketFlags.HasL4 | PacketFlags.NeighborDiscovery, p.Flags);
        Assert.True(p.NdLinkLayerAddress.IsZero);
    }

    [Fact]
    public void Parse_NeighborSolicitationWithoutOptions_NoLinkLayerAddress()
    {
        // DAD probes come from :: and carry no source link-layer option.
        var p = ParseOk(Ipv6Frame(IpProtocol.Icmpv6, NeighborDiscovery(135, Ipv6Destination)));
        Assert.Equal(PacketFlags.Ipv6 | PacketFlags.HasL4 | PacketFlags.NeighborDiscovery, p.Flags);
    }

    [Fact]
    public void Parse_Sctp_SetsPorts()
    {
        var p = ParseOk(Ipv4Frame(IpProtocol.Sctp, Sctp(2905, 2906)));
        Assert.True(p.HasL4);
        Assert.Equal(2905, p.SourcePort);
        Assert.Equal(2906, p.DestinationPort);
        Assert.Equal(p.L4Offset + 12, p.PayloadOffset);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Parse_Arp_FillsArpFields(ushort operation)
    {
        var p = ParseOk(Ethernet(EtherType.Arp, Concat(Arp(operation), new byte[18])));
        Assert.Equal(PacketFlags.Arp, p.Flags);
        Assert.Equal(operation, p.ArpOperation);
        Assert.Equal(SourceMac, p.ArpSenderMac);
        Assert.Equal(DestinationMac, p.ArpTargetMac);
        Assert.Equal("198.18.0.1", p.IpSource.ToString());
        Assert.Equal("198.18.0.2", p.IpDestination.ToString());
        Assert.Equal(0, p.L4Offset);
    }

    [Fact]
    public void Parse_SingleVlanTag_SetsOuterTci()
    {
        var tci = (ushort)((5 << 13) | 10);
        var p = ParseOk(Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, Udp(1, 2)), (EtherType.Vlan, tci)));
        Assert.Equal(1, p.VlanCount);
        Assert.Equal(tci, p.OuterVlanTci);
        Assert.Equal(0, p.InnerVlanTci);
        Assert.Equal(EtherType.Ipv4, p.EtherType);
        Assert.Equal(18, p.L3Offset);
        Assert.Equal(38, p.L4Offset);
    }

    [Theory]
    [InlineData(EtherType.QinQ)]
    [InlineData(EtherType.Vlan)]
    public void Parse_TwoVlanTags_SetsOuterAndInner(ushort outerTpid)
    {
        var p = ParseOk(Ethernet(EtherType.Ipv6, Ipv6(IpProtocol.Udp, Udp(1, 2)), (outerTpid, 100), (EtherType.Vlan, 20)));
        Assert.Equal(2, p.VlanCount);
        Assert.Equal(100, p.OuterVlanTci);
        Assert.Equal(20, p.InnerVlanTci);
        Assert.Equal(EtherType.Ipv6, p.EtherType);
        Assert.Equal(22, p.L3Offset);
        Assert.True(p.HasL4);
    }

    [Theory]
    [InlineData(0x88CC)]
    [InlineData(0x0042)] // an 802.3 length field
    public void Parse_UnknownEtherType_L2Only(ushort etherType)
    {
        var p = ParseOk(Ethernet(etherType, new byte[46]));
        Assert.Equal(PacketFlags.None, p.Flags);
        Assert.Equal(etherType, p.EtherType);
        Assert.Equal(14, p.L3Offset);
        Assert.Equal(0, p.L4Offset);
    }

    [Fact]
    public void Parse_ErrorAfterEthernet_KeepsL2Fields()
    {
        var frame = Ipv4Frame(IpProtocol.Udp, Udp(1, 2));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 1000);
        Assert.Equal(ParseError.BadIpv4Header, PacketParser.Parse(frame, out var p));
        Assert.Equal(SourceMac, p.EthSource);
        Assert.Equal(EtherType.Ipv4, p.EtherType);
    }
}
