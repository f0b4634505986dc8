using System.Buffers.Binary;
using VSwitch.Packets.Dhcp;
using VSwitch.Packets.Offloads;
using static VSwitch.Packets.Tests.FrameBuilder;

namespace VSwitch.Packets.Tests;

/// <summary>The switch's DHCPv6 server codec (RFC 8415): client messages read, answers chosen, replies written.</summary>
public sealed class DhcpV6Tests
{
    private static readonly MacAddress s_client = new(0xFA163E000101);
    private static readonly IpAddress128 s_address = new(0x2001_0DB8_0083_0000UL, 0x0000_0000_0000_0064UL);
    private static readonly IpAddress128 s_dns = new(0x2001_0DB8_0000_0000UL, 0x53);
    private static readonly DhcpV6Server s_stateful = new(s_address, new MacAddress(0x027673000006), [s_dns], 86400);
    private static readonly DhcpV6Server s_stateless = s_stateful with { ClientAddress = null };
    private static readonly byte[] s_clientDuid = [0, 3, 0, 1, 0xFA, 0x16, 0x3E, 0, 1, 1];

    private static byte[] Option(ushort code, byte[] value)
    {
        var o = new byte[4 + value.Length];
        BinaryPrimitives.WriteUInt16BigEndian(o, code);
        BinaryPrimitives.WriteUInt16BigEndian(o.AsSpan(2), (ushort)value.Length);
        value.CopyTo(o, 4);
        return o;
    }

    private static byte[] ServerDuid(MacAddress mac)
    {
        var duid = new byte[10];
        duid[1] = 3;
        duid[3] = 1;
        mac.Write(duid.AsSpan(4));
        return duid;
    }

    /// <summary>A client message from fe80::f816:3eff:fe00:101 to ff02::1:2 with the given options.</summary>
    internal static byte[] ClientMessage(DhcpV6MessageType type, params byte[][] options)
    {
        var message = Concat([new byte[] { (byte)type, 0x12, 0x34, 0x56 }, .. options]);
        var udp = new byte[8 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, DhcpV6.ClientPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), DhcpV6.ServerPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        message.CopyTo(udp, 8);
        var ip = Ipv6(IpProtocol.Udp, udp);
        BinaryPrimitives.WriteUInt64BigEndian(ip.AsSpan(8), 0xFE80_0000_0000_0000UL);
        BinaryPrimitives.WriteUInt64BigEndian(ip.AsSpan(16), 0xF816_3EFF_FE00_0101UL);
        BinaryPrimitives.WriteUInt64BigEndian(ip.AsSpan(24), 0xFF02_0000_0000_0000UL);
        BinaryPrimitives.WriteUInt64BigEndian(ip.AsSpan(32), 0x0000_0000_0001_0002UL);
        var frame = Ethernet(EtherType.Ipv6, ip);
        new MacAddress(0x3333_0001_0002UL).Write(frame);
        s_client.Write(frame.AsSpan(6));
        return frame;
    }

    private static byte[] IaNa(uint iaid) => Option(3, [.. BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(iaid)), 0, 0, 0, 0, 0, 0, 0, 0]);

    private static (DhcpV6MessageType Answer, byte[] Reply) Answer(byte[] frame, DhcpV6Server server)
    {
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var p));
        Assert.True(DhcpV6.IsClientMessage(in p));
        Assert.True(DhcpV6.TryReadRequest(frame, in p, out var request));
        var answer = DhcpV6.Answer(in request, server);
        if (answer == DhcpV6MessageType.None)
        {
            return (answer, []);
        }
        var buffer = new byte[1024];
        var length = DhcpV6.WriteReply(buffer, in p, in request, answer, server);
        return (answer, buffer[..length]);
    }

    /// <summary>The reply's options by code (the first of each), after checking the frame and its UDP checksum.</summary>
    private static Dictionary<ushort, byte[]> Options(byte[] reply, DhcpV6MessageType type)
    {
        Assert.Equal(ParseError.None, PacketParser.Parse(reply, out var p));
        Assert.Equal((DhcpV6.ServerPort, DhcpV6.ClientPort, s_client), (p.SourcePort, p.DestinationPort, p.EthDestination));
        Assert.Equal(new IpAddress128(0xFE80_0000_0000_0000UL, 0xF816_3EFF_FE00_0101UL), p.IpDestination);
        var ip = reply.AsSpan(14);
        var udpLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(ip.Slice(40, udpLength), InternetChecksum.Add(ip[8..40], (ulong)udpLength + IpProtocol.Udp))));
        var m = ip.Slice(48, udpLength - 8);
        Assert.Equal(((byte)type, 0x12, 0x34, 0x56), (m[0], m[1], m[2], m[3]));
        var options = new Dictionary<ushort, byte[]>();
        var rest = m[4..];
        while (rest.Length > 0)
        {
            var code = BinaryPrimitives.ReadUInt16BigEndian(rest);
            var length = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            options.TryAdd(code, rest.Slice(4, length).ToArray());
            rest = rest[(4 + length)..];
        }
        return options;
    }

    [Fact]
    public void Solicit_GetsAnAdvertiseOfThePortsAddress_AndRequestItsReply()
    {
        var (answer, advertise) = Answer(ClientMessage(DhcpV6MessageType.Solicit, Option(1, s_clientDuid), IaNa(7), Option(8, [0, 0])), s_stateful);
        Assert.Equal(DhcpV6MessageType.Advertise, answer);
        var options = Options(advertise, DhcpV6MessageType.Advertise);
        Assert.Equal(s_clientDuid, options[1]);
        Assert.Equal(ServerDuid(s_stateful.ServerMac), options[2]);
        var ia = options[3];
        Assert.Equal((7u, 43200u, 69120u), (BinaryPrimitives.ReadUInt32BigEndian(ia), BinaryPrimitives.ReadUInt32BigEndian(ia.AsSpan(4)), BinaryPrimitives.ReadUInt32BigEndian(ia.AsSpan(8))));
        Assert.Equal(5, BinaryPrimitives.ReadUInt16BigEndian(ia.AsSpan(12)));
        Assert.Equal(s_address, IpAddress128.ReadIpv6(ia.AsSpan(16)));
        Assert.Equal(86400u, BinaryPrimitives.ReadUInt32BigEndian(ia.AsSpan(36)));
        Assert.Equal(s_dns, IpAddress128.ReadIpv6(options[23]));

        var (reply, replied) = Answer(ClientMessage(DhcpV6MessageType.Request, Option(1, s_clientDuid), Option(2, ServerDuid(s_stateful.ServerMac)), IaNa(7)), s_stateful);
        Assert.Equal(DhcpV6MessageType.Reply, reply);
        Assert.Equal(s_address, IpAddress128.ReadIpv6(Options(replied, DhcpV6MessageType.Reply)[3].AsSpan(16)));
    }

    [Fact]
    public void RapidCommit_IsAnsweredWithAReplyCarryingIt()
    {
        var (answer, reply) = Answer(ClientMessage(DhcpV6MessageType.Solicit, Option(1, s_clientDuid), IaNa(1), Option(14, [])), s_stateful);
        Assert.Equal(DhcpV6MessageType.Reply, answer);
        Assert.Contains((ushort)14, Options(reply, DhcpV6MessageType.Reply).Keys);
    }

    [Fact]
    public void InformationRequest_GetsTheDnsServers_AlsoOnAStatelessNetwork_WhereAddressesAreNotGiven()
    {
        var (answer, reply) = Answer(ClientMessage(DhcpV6MessageType.InformationRequest, Option(6, [0, 23])), s_stateless);
        Assert.Equal(DhcpV6MessageType.Reply, answer);
        var options = Options(reply, DhcpV6MessageType.Reply);
        Assert.Equal(s_dns, IpAddress128.ReadIpv6(options[23]));
        Assert.DoesNotContain((ushort)3, options.Keys);
        Assert.Equal(DhcpV6MessageType.None, Answer(ClientMessage(DhcpV6MessageType.Solicit, Option(1, s_clientDuid), IaNa(7)), s_stateless).Answer);
    }

    [Fact]
    public void AnotherServersMessages_AndReleasesAreHandledAsRfc8415Says()
    {
        var other = ServerDuid(new MacAddress(0x02AABBCCDDEE));
        Assert.Equal(DhcpV6MessageType.None, Answer(ClientMessage(DhcpV6MessageType.Request, Option(1, s_clientDuid), Option(2, other), IaNa(7)), s_stateful).Answer);
        Assert.Equal(DhcpV6MessageType.None, Answer(ClientMessage(DhcpV6MessageType.Renew, Option(1, s_clientDuid), IaNa(7)), s_stateful).Answer);
        Assert.Equal(DhcpV6MessageType.Reply, Answer(ClientMessage(DhcpV6MessageType.Rebind, Option(1, s_clientDuid), IaNa(7)), s_stateful).Answer);
        var (answer, reply) = Answer(ClientMessage(DhcpV6MessageType.Release, Option(1, s_clientDuid), Option(2, ServerDuid(s_stateful.ServerMac)), IaNa(7)), s_stateful);
        Assert.Equal(DhcpV6MessageType.Reply, answer);
        var options = Options(reply, DhcpV6MessageType.Reply);
        Assert.Equal(new byte[2], options[13]);
        Assert.DoesNotContain((ushort)3, options.Keys);
    }

    /// <summary>An IA_NA holding IA Address options for <paramref name="addresses"/>.</summary>
    private static byte[] IaNaWith(uint iaid, params IpAddress128[] addresses)
    {
        var value = new List<byte>(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(iaid))) { 0, 0, 0, 0, 0, 0, 0, 0 };
        foreach (var address in addresses)
        {
            var ia = new byte[24];
            BinaryPrimitives.WriteUInt64BigEndian(ia, address.High);
            BinaryPrimitives.WriteUInt64BigEndian(ia.AsSpan(8), address.Low);
            value.AddRange(Option(5, ia));
        }
        return Option(3, [.. value]);
    }

    [Fact]
    public void Confirm_OfThePortsOwnAddress_IsSuccess_OfAnyOther_NotOnLink_AndWithoutAddresses_Unanswered()
    {
        ushort Status(params IpAddress128[] addresses)
        {
            var (answer, reply) = Answer(ClientMessage(DhcpV6MessageType.Confirm, Option(1, s_clientDuid), IaNaWith(7, addresses)), s_stateful);
            Assert.Equal(DhcpV6MessageType.Reply, answer);
            var options = Options(reply, DhcpV6MessageType.Reply);
            Assert.DoesNotContain((ushort)3, options.Keys);
            return BinaryPrimitives.ReadUInt16BigEndian(options[13]);
        }
        var elsewhere = new IpAddress128(0x2001_0DB8_0099_0000UL, 0x64);
        Assert.Equal(0, Status(s_address));
        Assert.Equal(4, Status(elsewhere));
        Assert.Equal(4, Status(s_address, elsewhere));
        Assert.Equal(0, Status(s_address, s_address));
        Assert.Equal(DhcpV6MessageType.None, Answer(ClientMessage(DhcpV6MessageType.Confirm, Option(1, s_clientDuid), IaNa(7)), s_stateful).Answer);
        Assert.Equal(DhcpV6MessageType.None, Answer(ClientMessage(DhcpV6MessageType.Confirm, Option(1, s_clientDuid), IaNaWith(7, s_address)), s_stateless).Answer);
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0 })]                                   // shorter than a header
    [InlineData(new byte[] { 1, 0, 0, 1, 0, 1, 0, 40, 1, 2 })]             // an option longer than the message
    [InlineData(new byte[] { 7, 0, 0, 1 })]                                // a server's message (Reply)
    [InlineData(new byte[] { 1, 0, 0, 1, 0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 })] // a Solicit without a client id
    public void MalformedMessages_AreNotRequests(byte[] message)
    {
        var frame = ClientMessage(DhcpV6MessageType.Solicit);
        var udpStart = 14 + 40;
        var truncated = frame[..(udpStart + 8)].Concat(message).ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(truncated.AsSpan(14 + 4), (ushort)(8 + message.Length));
        BinaryPrimitives.WriteUInt16BigEndian(truncated.AsSpan(udpStart + 4), (ushort)(8 + message.Length));
        Assert.Equal(ParseError.None, PacketParser.Parse(truncated, out var p));
        Assert.False(DhcpV6.TryReadRequest(truncated, in p, out _));
    }
}
