using System.Buffers.Binary;
using VSwitch.Packets.Dhcp;
using static VSwitch.Packets.Tests.FrameBuilder;

namespace VSwitch.Packets.Tests;

/// <summary>The switch's DHCPv4 server codec: client messages read, answers chosen, replies written (RFC 2131/2132/3442).</summary>
public sealed class DhcpV4Tests
{
    private static readonly MacAddress s_client = new(0xFA163E000101);

    private static readonly DhcpV4Server s_server = new(
        ClientAddress: 0xC6124664, PrefixLength: 24, ServerAddress: 0xC6124601, ServerMac: new MacAddress(0x027673000001), Router: 0xC6124601,
        DnsServers: [0xC6120035], Mtu: 1450, LeaseSeconds: 86400, Routes: [(0xC6130000, 16, 0xC61246FE)]);

    /// <summary>A client message of <paramref name="type"/> with optional requested address (50) and server identifier (54).</summary>
    internal static byte[] ClientMessage(DhcpMessageType type, uint requested = 0, uint serverId = 0, uint ciaddr = 0, MacAddress? chaddr = null)
    {
        var bootp = new byte[240 + 16];
        bootp[0] = 1;
        bootp[1] = 1;
        bootp[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(bootp.AsSpan(4), 0xDEADBEEF);
        BinaryPrimitives.WriteUInt32BigEndian(bootp.AsSpan(12), ciaddr);
        (chaddr ?? s_client).Write(bootp.AsSpan(28));
        BinaryPrimitives.WriteUInt32BigEndian(bootp.AsSpan(236), 0x63825363);
        var o = 240;
        bootp[o++] = 53;
        bootp[o++] = 1;
        bootp[o++] = (byte)type;
        if (requested != 0)
        {
            bootp[o++] = 50;
            bootp[o++] = 4;
            BinaryPrimitives.WriteUInt32BigEndian(bootp.AsSpan(o), requested);
            o += 4;
        }
        if (serverId != 0)
        {
            bootp[o++] = 54;
            bootp[o++] = 4;
            BinaryPrimitives.WriteUInt32BigEndian(bootp.AsSpan(o), serverId);
            o += 4;
        }
        bootp[o] = 255;
        var ip = Ipv4(IpProtocol.Udp, Udp(68, 67, bootp));
        ip.AsSpan(12, 8).Fill(0);
        ip.AsSpan(16, 4).Fill(0xFF);
        var frame = Ethernet(EtherType.Ipv4, ip);
        MacAddress.Broadcast.Write(frame);
        s_client.Write(frame.AsSpan(6));
        return frame;
    }

    private static DhcpV4Request Read(byte[] frame)
    {
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var p));
        Assert.True(DhcpV4.IsClientMessage(in p));
        Assert.True(DhcpV4.TryReadRequest(frame, in p, out var request));
        return request;
    }

    /// <summary>The reply's options by code.</summary>
    internal static Dictionary<byte, byte[]> Options(byte[] reply)
    {
        var options = new Dictionary<byte, byte[]>();
        var o = 14 + 20 + 8 + 240;
        while (reply[o] != 255)
        {
            options[reply[o]] = reply.AsSpan(o + 2, reply[o + 1]).ToArray();
            o += 2 + reply[o + 1];
        }
        return options;
    }

    private static byte[] Reply(DhcpV4Request request, DhcpMessageType type)
    {
        var buffer = new byte[DhcpV4.MaxReplySize];
        var length = DhcpV4.WriteReply(buffer, in request, type, s_server);
        return buffer[..length];
    }

    [Fact]
    public void Discover_GetsAnOfferOfThePortsAddress_WithTheSubnetsSettings()
    {
        var request = Read(ClientMessage(DhcpMessageType.Discover));
        Assert.Equal((DhcpMessageType.Discover, 0xDEADBEEFu, s_client), (request.Type, request.TransactionId, request.ClientMac));
        Assert.Equal(DhcpMessageType.Offer, DhcpV4.Answer(in request, s_server));
        var reply = Reply(request, DhcpMessageType.Offer);

        Assert.Equal(ParseError.None, PacketParser.Parse(reply, out var p));
        Assert.Equal((s_client, s_server.ServerMac), (p.EthDestination, p.EthSource));
        Assert.Equal((IpAddress128.FromIpv4(s_server.ServerAddress), IpAddress128.FromIpv4(uint.MaxValue)), (p.IpSource, p.IpDestination));
        Assert.Equal((67, 68), (p.SourcePort, p.DestinationPort));
        Assert.True(reply.Length >= 14 + 20 + 8 + 300);
        var bootp = reply.AsSpan(42);
        Assert.Equal((2, 0xDEADBEEFu, s_server.ClientAddress), (bootp[0], BinaryPrimitives.ReadUInt32BigEndian(bootp[4..]), BinaryPrimitives.ReadUInt32BigEndian(bootp[16..])));
        var options = Options(reply);
        Assert.Equal([2], options[53]);
        Assert.Equal("C6124601", Convert.ToHexString(options[54]));
        Assert.Equal("FFFFFF00", Convert.ToHexString(options[1]));
        Assert.Equal("C6124601", Convert.ToHexString(options[3]));
        Assert.Equal("C6120035", Convert.ToHexString(options[6]));
        Assert.Equal("05AA", Convert.ToHexString(options[26]));
        Assert.Equal("00015180", Convert.ToHexString(options[51]));
        // RFC 3442: the default route through the router first, then 198.19.0.0/16 via 198.18.70.254.
        Assert.Equal("00C6124601" + "10C613C61246FE", Convert.ToHexString(options[121]));
        // The IPv4 header checksum is right: summing the header with it gives 0xFFFF.
        uint sum = 0;
        for (var i = 14; i < 34; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(i));
        }
        Assert.Equal(0xFFFFu, (sum & 0xFFFF) + (sum >> 16));
    }

    [Fact]
    public void Requests_AreAckedForThePortsAddress_NakedForAnother_IgnoredForAnotherServer()
    {
        Assert.Equal(DhcpMessageType.Ack, DhcpV4.Answer(Read(ClientMessage(DhcpMessageType.Request, s_server.ClientAddress, s_server.ServerAddress)), s_server));
        Assert.Equal(DhcpMessageType.Ack, DhcpV4.Answer(Read(ClientMessage(DhcpMessageType.Request, ciaddr: s_server.ClientAddress)), s_server)); // renewing
        Assert.Equal(DhcpMessageType.Nak, DhcpV4.Answer(Read(ClientMessage(DhcpMessageType.Request, 0xC6124699)), s_server));
        Assert.Equal(DhcpMessageType.None, DhcpV4.Answer(Read(ClientMessage(DhcpMessageType.Request, s_server.ClientAddress, 0x0A000001)), s_server));
        Assert.Equal(DhcpMessageType.None, DhcpV4.Answer(Read(ClientMessage(DhcpMessageType.Release)), s_server));

        var nak = Reply(Read(ClientMessage(DhcpMessageType.Request, 0xC6124699)), DhcpMessageType.Nak);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(nak.AsSpan(42 + 16)));
        Assert.Equal([6], Options(nak)[53]);
        Assert.False(Options(nak).ContainsKey(51));

        var inform = Read(ClientMessage(DhcpMessageType.Inform, ciaddr: s_server.ClientAddress));
        var ack = Reply(inform, DhcpV4.Answer(in inform, s_server));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(ack.AsSpan(42 + 16)));
        Assert.False(Options(ack).ContainsKey(51));
    }

    [Fact]
    public void MalformedMessages_AreNotRequests()
    {
        var frame = ClientMessage(DhcpMessageType.Discover);
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var p));
        var truncatedOption = frame.ToArray();
        truncatedOption[42 + 241] = 200; // option 53 claims 200 bytes
        Assert.False(DhcpV4.TryReadRequest(truncatedOption, in p, out _));
        var noCookie = frame.ToArray();
        noCookie[42 + 236] = 0;
        Assert.False(DhcpV4.TryReadRequest(noCookie, in p, out _));
        var reply = frame.ToArray();
        reply[42] = 2; // a BOOTREPLY from a VM is not a request
        Assert.False(DhcpV4.TryReadRequest(reply, in p, out _));
        Assert.False(DhcpV4.TryReadRequest(frame.AsSpan(0, 100), in p, out _));
    }
}
