// PacketParserErrorTests: one or more hand-built frames for every ParseError value, each wrong in exactly one way,
// including the lying length fields (IPv4 total length, IPv6 payload length, UDP length, TCP data offset) and
// IPv6 extension-header chains that are too long or out of order.

using static VSwitch.Packets.Tests.FrameBuilder;

namespace VSwitch.Packets.Tests;

public sealed class PacketParserErrorTests
{
    private static ParseError ParseOf(byte[] frame) => PacketParser.Parse(frame, out _);

    [Fact]
    public void Parse_AllErrors_HaveATest()
    {
        // A reminder: when ParseError gains a value, add a case below.
        Assert.Equal(12, Enum.GetValues<ParseError>().Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(13)]
    public void Parse_ShorterThanEthernetHeader_TruncatedEthernet(int length) =>
        Assert.Equal(ParseError.TruncatedEthernet, ParseOf(new byte[length]));

    [Theory]
    [InlineData(EtherType.Vlan)]
    [InlineData(EtherType.QinQ)]
    public void Parse_VlanTagCutOff_TruncatedEthernet(ushort tpid)
    {
        var frame = Ethernet(EtherType.Ipv4, [], (tpid, 10));
        Assert.Equal(ParseError.TruncatedEthernet, ParseOf(frame[..^1]));
        Assert.Equal(ParseError.TruncatedEthernet, ParseOf(frame[..16]));
    }

    [Fact]
    public void Parse_InnerVlanTagCutOff_TruncatedEthernet()
    {
        var frame = Ethernet(EtherType.Ipv4, [], (EtherType.QinQ, 100), (EtherType.Vlan, 20));
        Assert.Equal(ParseError.TruncatedEthernet, ParseOf(frame[..^1]));
    }

    [Theory]
    [InlineData(EtherType.Vlan, EtherType.Vlan, EtherType.Vlan)]
    [InlineData(EtherType.QinQ, EtherType.Vlan, EtherType.Vlan)]
    [InlineData(EtherType.QinQ, EtherType.QinQ, EtherType.QinQ)]
    public void Parse_ThreeVlanTags_TooManyVlanTags(ushort first, ushort second, ushort third)
    {
        var frame = Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, Udp(1, 2)), (first, 1), (second, 2), (third, 3));
        Assert.Equal(ParseError.TooManyVlanTags, ParseOf(frame));
    }

    [Fact]
    public void Parse_ArpTooShort_BadArp() =>
        Assert.Equal(ParseError.BadArp, ParseOf(Ethernet(EtherType.Arp, Arp(1)[..27])));

    [Theory]
    [InlineData(6, EtherType.Ipv4, 6, 4)]
    [InlineData(1, EtherType.Ipv6, 6, 4)]
    [InlineData(1, EtherType.Ipv4, 8, 4)]
    [InlineData(1, EtherType.Ipv4, 6, 16)]
    public void Parse_ArpNotEthernetIpv4_BadArp(ushort hardwareType, ushort protocolType, byte hardwareSize, byte protocolSize) =>
        Assert.Equal(ParseError.BadArp, ParseOf(Ethernet(EtherType.Arp, Arp(1, hardwareType, protocolType, hardwareSize, protocolSize))));

    [Fact]
    public void Parse_Ipv4ShorterThanHeader_BadIpv4Header() =>
        Assert.Equal(ParseError.BadIpv4Header, ParseOf(Ipv4Frame(IpProtocol.Udp, [])[..33]));

    [Theory]
    [InlineData(0x65)] // version 6 in an IPv4 EtherType
    [InlineData(0x44)] // IHL 4
    [InlineData(0x40)] // IHL 0
    [InlineData(0x4F)] // IHL 15: 60 bytes of header in a 28-byte packet
    public void Parse_Ipv4BadVersionOrIhl_BadIpv4Header(int versionIhl)
    {
        var frame = Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, Udp(1, 2), versionIhl: (byte)versionIhl));
        Assert.Equal(ParseError.BadIpv4Header, ParseOf(frame));
    }

    [Theory]
    [InlineData(29)] // one byte more than present
    [InlineData(65535)]
    [InlineData(19)] // below the header
    [InlineData(0)] // the "TSO with total length 0" form
    public void Parse_Ipv4TotalLengthLies_BadIpv4Header(int totalLength)
    {
        var frame = Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, Udp(1, 2), totalLength: totalLength));
        Assert.Equal(ParseError.BadIpv4Header, ParseOf(frame));
    }

    [Fact]
    public void Parse_Ipv4TotalLengthBelowOptions_BadIpv4Header()
    {
        var frame = Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, Udp(1, 2), optionsSize: 8, totalLength: 24));
        Assert.Equal(ParseError.BadIpv4Header, ParseOf(frame));
    }

    [Fact]
    public void Parse_Ipv6ShorterThanHeader_BadIpv6Header() =>
        Assert.Equal(ParseError.BadIpv6Header, ParseOf(Ipv6Frame(IpProtocol.Udp, [])[..53]));

    [Fact]
    public void Parse_Ipv6WrongVersion_BadIpv6Header() =>
        Assert.Equal(ParseError.BadIpv6Header, ParseOf(Ethernet(EtherType.Ipv6, Ipv6(IpProtocol.Udp, Udp(1, 2), version: 4))));

    [Theory]
    [InlineData(9)]
    [InlineData(65535)]
    public void Parse_Ipv6PayloadLengthLies_BadIpv6Header(int payloadLength)
    {
        var frame = Ethernet(EtherType.Ipv6, Ipv6(IpProtocol.Udp, Udp(1, 2), payloadLength: payloadLength));
        Assert.Equal(ParseError.BadIpv6Header, ParseOf(frame));
    }

    [Fact]
    public void Parse_Ipv6Jumbogram_BadIpv6Header()
    {
        // Payload length 0 with a hop-by-hop header carrying the jumbo payload option (RFC 2675).
        var hopByHop = new byte[] { IpProtocol.Udp, 0, 0xC2, 4, 0, 0, 0x01, 0x00 };
        var frame = Ethernet(EtherType.Ipv6, Ipv6(IpProtocol.HopByHop, Concat(hopByHop, Udp(1, 2, length: 0)), payloadLength: 0));
        Assert.Equal(ParseError.BadIpv6Header, ParseOf(frame));
    }

    [Fact]
    public void Parse_ExtensionHeaderCutOff_BadIpv6ExtensionHeader()
    {
        // Six bytes of a destination options header: less than its fixed eight.
        var frame = Ipv6Frame(IpProtocol.Ipv6DestinationOptions, [IpProtocol.Udp, 0, 1, 2, 0, 0]);
        Assert.Equal(ParseError.BadIpv6ExtensionHeader, ParseOf(frame));
    }

    [Theory]
    [InlineData(IpProtocol.HopByHop)]
    [InlineData(IpProtocol.Ipv6Routing)]
    [InlineData(IpProtocol.Ipv6DestinationOptions)]
    public void Parse_ExtensionHeaderLengthBeyondPayload_BadIpv6ExtensionHeader(byte kind)
    {
        var header = Ipv6Options(IpProtocol.Udp, Udp(1, 2), size: 16);
        header[1] = 3; // claims 32 bytes; 16 + 8 present
        Assert.Equal(ParseError.BadIpv6ExtensionHeader, ParseOf(Ipv6Frame(kind, header)));
    }

    [Fact]
    public void Parse_AhLengthBeyondPayload_BadIpv6ExtensionHeader()
    {
        var ah = Ah(IpProtocol.Udp, Udp(1, 2));
        ah[1] = 200;
        Assert.Equal(ParseError.BadIpv6ExtensionHeader, ParseOf(Ipv6Frame(IpProtocol.Ah, ah)));
    }

    [Fact]
    public void Parse_FragmentHeaderCutOff_BadIpv6ExtensionHeader()
    {
        var fragment = Ipv6Fragment(IpProtocol.Udp, [], 0, more: true)[..7];
        Assert.Equal(ParseError.BadIpv6ExtensionHeader, ParseOf(Ipv6Frame(IpProtocol.Ipv6Fragment, fragment)));
    }

    [Fact]
    public void Parse_TwoFragmentHeaders_BadIpv6ExtensionHeader()
    {
        // Which offset would the receiver use? Neither: no sender builds this.
        var inner = Ipv6Fragment(IpProtocol.Udp, Udp(1, 2, new byte[8]), 0, more: true);
        var outer = Ipv6Fragment(IpProtocol.Ipv6Fragment, inner, 0, more: true);
        Assert.Equal(ParseError.BadIpv6ExtensionHeader, ParseOf(Ipv6Frame(IpProtocol.Ipv6Fragment, outer)));
    }

    [Theory]
    [InlineData(0x2000, 12)] // first fragment with more to follow: 8 + 12 = 20 bytes of data, not a multiple of 8
    [InlineData(0x2000 | 10, 4)] // middle fragment with 4 bytes
    [InlineData(8190, 24)] // last fragment ending at 65,520 + 24 bytes, beyond a 65,535-byte datagram
    public void Parse_Ipv4FragmentNoReceiverReassembles_BadFragment(int flagsAndOffset, int payload)
    {
        var data = (flagsAndOffset & 0x1FFF) == 0 ? Udp(1, 2, new byte[payload], length: 3000) : new byte[payload];
        Assert.Equal(ParseError.BadFragment, ParseOf(Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, data, flagsAndOffset: (ushort)flagsAndOffset))));
    }

    [Theory]
    [InlineData(0, true, 12)]
    [InlineData(10, true, 4)]
    [InlineData(8190, false, 24)]
    public void Parse_Ipv6FragmentNoReceiverReassembles_BadFragment(int offsetUnits, bool more, int payload)
    {
        var data = offsetUnits == 0 ? Udp(1, 2, new byte[payload], length: 3000) : new byte[payload];
        var fragment = Ipv6Fragment(IpProtocol.Udp, data, offsetUnits, more);
        Assert.Equal(ParseError.BadFragment, ParseOf(Ipv6Frame(IpProtocol.Ipv6Fragment, fragment)));
    }

    [Fact]
    public void Parse_LastFragmentEndingAtTheDatagramLimit_Parses()
    {
        // 8189 * 8 + 15 = 65,527: the largest end a receiver accepts is 65,535.
        Assert.Equal(ParseError.None, ParseOf(Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, new byte[15], flagsAndOffset: 8189))));
    }

    [Fact]
    public void Parse_HopByHopNotFirst_BadIpv6ExtensionHeader()
    {
        var chain = Ipv6Options(IpProtocol.HopByHop, Ipv6Options(IpProtocol.Udp, Udp(1, 2)));
        Assert.Equal(ParseError.BadIpv6ExtensionHeader, ParseOf(Ipv6Frame(IpProtocol.Ipv6DestinationOptions, chain)));
    }

    [Fact]
    public void Parse_TwentyDestinationOptionsHeaders_BadIpv6ExtensionHeader()
    {
        var chain = Udp(1, 2);
        for (var i = 0; i < 20; i++)
        {
            chain = Ipv6Options(i == 0 ? IpProtocol.Udp : IpProtocol.Ipv6DestinationOptions, chain);
        }
        Assert.Equal(ParseError.BadIpv6ExtensionHeader, ParseOf(Ipv6Frame(IpProtocol.Ipv6DestinationOptions, chain)));
    }

    [Fact]
    public void Parse_NineExtensionHeaders_BadIpv6ExtensionHeader()
    {
        Assert.Equal(ParseError.None, ParseOf(Ipv6Frame(IpProtocol.Ipv6DestinationOptions, Chain(PacketParser.MaxIpv6ExtensionHeaders))));
        Assert.Equal(ParseError.BadIpv6ExtensionHeader, ParseOf(Ipv6Frame(IpProtocol.Ipv6DestinationOptions, Chain(PacketParser.MaxIpv6ExtensionHeaders + 1))));

        static byte[] Chain(int count)
        {
            var chain = Udp(1, 2);
            for (var i = 0; i < count; i++)
            {
                chain = Ipv6Options(i == 0 ? IpProtocol.Udp : IpProtocol.Ipv6DestinationOptions, chain);
            }
            return chain;
        }
    }

    [Fact]
    public void Parse_ExtensionHeaderLoopThroughEveryKind_BadIpv6ExtensionHeader()
    {
        // routing -> destination options -> AH -> routing -> ... until the walk gives up; no header names an upper layer.
        var chain = Udp(1, 2);
        byte[] kinds = [IpProtocol.Ipv6Routing, IpProtocol.Ipv6DestinationOptions, IpProtocol.Ah];
        for (var i = 0; i < 12; i++)
        {
            var next = i == 0 ? IpProtocol.Udp : kinds[(i - 1) % 3];
            chain = kinds[i % 3] == IpProtocol.Ah ? Ah(next, chain) : Ipv6Options(next, chain);
        }
        Assert.Equal(ParseError.BadIpv6ExtensionHeader, ParseOf(Ipv6Frame(kinds[11 % 3], chain)));
    }

    [Theory]
    [InlineData(19)]
    [InlineData(0)]
    public void Parse_TcpShorterThanHeader_BadTcpHeader(int size)
    {
        Assert.Equal(ParseError.BadTcpHeader, ParseOf(Ipv4Frame(IpProtocol.Tcp, Tcp(1, 2, TcpFlags.Syn)[..size])));
        Assert.Equal(ParseError.BadTcpHeader, ParseOf(Ipv6Frame(IpProtocol.Tcp, Tcp(1, 2, TcpFlags.Syn)[..size])));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Parse_TcpDataOffsetBelowFive_BadTcpHeader(int dataOffsetWords) =>
        Assert.Equal(ParseError.BadTcpHeader, ParseOf(Ipv4Frame(IpProtocol.Tcp, Tcp(1, 2, TcpFlags.Syn, dataOffsetWords: dataOffsetWords, headerSize: 20))));

    [Fact]
    public void Parse_TcpDataOffsetBeyondPayload_BadTcpHeader()
    {
        // Data offset 15 (60 bytes) in a 40-byte segment.
        var segment = Tcp(1, 2, TcpFlags.Ack, new byte[20], dataOffsetWords: 15, headerSize: 20);
        Assert.Equal(ParseError.BadTcpHeader, ParseOf(Ipv4Frame(IpProtocol.Tcp, segment)));
        Assert.Equal(ParseError.BadTcpHeader, ParseOf(Ipv6Frame(IpProtocol.Tcp, segment)));
    }

    [Fact]
    public void Parse_TcpDataOffsetIntoEthernetPadding_BadTcpHeader()
    {
        // The header would fit in the frame only by reading the padding after the IP packet.
        var segment = Tcp(1, 2, TcpFlags.Ack, dataOffsetWords: 6, headerSize: 20);
        var frame = Concat(Ipv4Frame(IpProtocol.Tcp, segment), new byte[8]);
        Assert.Equal(ParseError.BadTcpHeader, ParseOf(frame));
    }

    [Fact]
    public void Parse_UdpShorterThanHeader_BadUdpHeader() =>
        Assert.Equal(ParseError.BadUdpHeader, ParseOf(Ipv4Frame(IpProtocol.Udp, Udp(1, 2)[..7])));

    [Theory]
    [InlineData(7)]
    [InlineData(0)] // the IPv6 jumbogram form
    [InlineData(13)] // beyond the 12 bytes present
    [InlineData(65535)]
    public void Parse_UdpLengthLies_BadUdpHeader(int length)
    {
        Assert.Equal(ParseError.BadUdpHeader, ParseOf(Ipv4Frame(IpProtocol.Udp, Udp(1, 2, [1, 2, 3, 4], length))));
        Assert.Equal(ParseError.BadUdpHeader, ParseOf(Ipv6Frame(IpProtocol.Udp, Udp(1, 2, [1, 2, 3, 4], length))));
    }

    [Fact]
    public void Parse_SctpShorterThanCommonHeader_BadSctpHeader()
    {
        Assert.Equal(ParseError.BadSctpHeader, ParseOf(Ipv4Frame(IpProtocol.Sctp, Sctp(1, 2)[..11])));
        Assert.Equal(ParseError.BadSctpHeader, ParseOf(Ipv6Frame(IpProtocol.Sctp, Sctp(1, 2)[..11])));
    }

    [Fact]
    public void Parse_IcmpShorterThanFourBytes_BadIcmpHeader()
    {
        Assert.Equal(ParseError.BadIcmpHeader, ParseOf(Ipv4Frame(IpProtocol.Icmp, [3, 3, 0])));
        Assert.Equal(ParseError.BadIcmpHeader, ParseOf(Ipv6Frame(IpProtocol.Icmpv6, [1, 4, 0])));
    }

    [Theory]
    [InlineData(IpProtocol.Icmp, 8)]
    [InlineData(IpProtocol.Icmp, 0)]
    [InlineData(IpProtocol.Icmpv6, 128)]
    [InlineData(IpProtocol.Icmpv6, 129)]
    public void Parse_EchoWithoutIdentifier_BadIcmpHeader(byte protocol, byte type)
    {
        var echo = Echo(type, 7)[..7];
        var frame = protocol == IpProtocol.Icmp ? Ipv4Frame(protocol, echo) : Ipv6Frame(protocol, echo);
        Assert.Equal(ParseError.BadIcmpHeader, ParseOf(frame));
    }

    [Theory]
    [InlineData(135)]
    [InlineData(136)]
    public void Parse_NeighborDiscoveryWithoutTarget_BadIcmpHeader(byte type) =>
        Assert.Equal(ParseError.BadIcmpHeader, ParseOf(Ipv6Frame(IpProtocol.Icmpv6, NeighborDiscovery(type, Ipv6Destination)[..23])));

    [Fact]
    public void Parse_NdOptionLengthZero_BadIcmpHeader()
    {
        var option = LinkLayerOption(1, SourceMac);
        option[1] = 0;
        Assert.Equal(ParseError.BadIcmpHeader, ParseOf(Ipv6Frame(IpProtocol.Icmpv6, NeighborDiscovery(135, Ipv6Destination, option))));
    }

    [Fact]
    public void Parse_NdOptionBeyondMessage_BadIcmpHeader()
    {
        var option = LinkLayerOption(2, SourceMac);
        option[1] = 2; // 16 bytes claimed, 8 present
        Assert.Equal(ParseError.BadIcmpHeader, ParseOf(Ipv6Frame(IpProtocol.Icmpv6, NeighborDiscovery(136, Ipv6Destination, option))));
    }

    [Fact]
    public void Parse_NdTrailingByte_BadIcmpHeader()
    {
        var message = Concat(NeighborDiscovery(135, Ipv6Destination, LinkLayerOption(1, SourceMac)), [0]);
        Assert.Equal(ParseError.BadIcmpHeader, ParseOf(Ipv6Frame(IpProtocol.Icmpv6, message)));
    }
}
