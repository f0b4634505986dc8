using System.Buffers.Binary;
using VSwitch.Dataplane.Policy;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests.Policy;

public class PortSecurityTests
{
    private static readonly IpAddress128 s_ip = IpAddress128.FromIpv4(0xC612_0001);
    private static readonly PortAddresses s_addresses = new([(Mac(1), s_ip, 32), (Mac(7), IpAddress128.FromIpv4(0xC612_1000), 24)]);

    private static ParsedPacket Parse(byte[] frame)
    {
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var p));
        return p;
    }

    private static byte[] Udp4(MacAddress src, uint from, ushort sport, ushort dport)
    {
        var f = Udp(src, MacAddress.Broadcast, srcPort: sport, dstPort: dport);
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(14 + 12), from);
        return f;
    }

    [Fact]
    public void CheckEgress_OwnAddresses_UseRules()
    {
        var p = Parse(Udp4(Mac(1), 0xC612_0001, 1000, 2000));
        Assert.Equal(ImplicitVerdict.UseRules, PortSecurity.CheckEgress(in p, s_addresses));
    }

    [Fact]
    public void CheckEgress_AllowedAddressPairPrefix_UseRules()
    {
        var p = Parse(Udp4(Mac(7), 0xC612_10FE, 1000, 2000));
        Assert.Equal(ImplicitVerdict.UseRules, PortSecurity.CheckEgress(in p, s_addresses));
        var wrongMac = Parse(Udp4(Mac(1), 0xC612_10FE, 1000, 2000));
        Assert.Equal(ImplicitVerdict.DropSpoofing, PortSecurity.CheckEgress(in wrongMac, s_addresses));
    }

    [Fact]
    public void CheckEgress_DhcpClientFromZero_IsAllowed_ServerReplyIsDropped()
    {
        var discover = Parse(Udp4(Mac(1), 0, 68, 67));
        Assert.Equal(ImplicitVerdict.Allow, PortSecurity.CheckEgress(in discover, s_addresses));
        var offer = Parse(Udp4(Mac(1), 0xC612_0001, 67, 68));
        Assert.Equal(ImplicitVerdict.DropSpoofing, PortSecurity.CheckEgress(in offer, s_addresses));
    }

    [Fact]
    public void LinkLocal_IsDerivedFromTheMacAsModifiedEui64()
    {
        var ll = PortAddresses.LinkLocal(MacAddress.Parse("fa:16:3e:11:22:33"));
        Assert.Equal("fe80::f816:3eff:fe11:2233", ll.ToString());
        Assert.True(s_addresses.Allows(Mac(1), PortAddresses.LinkLocal(Mac(1))));
        Assert.False(s_addresses.Allows(Mac(1), PortAddresses.LinkLocal(Mac(2))));
    }

    [Fact]
    public void CheckEgress_NotIpNotArp_IsNotAllowed()
    {
        var f = Udp(Mac(1), MacAddress.Broadcast);
        f[12] = 0x88;
        f[13] = 0xB5;
        var p = Parse(f);
        Assert.Equal(ImplicitVerdict.DropNotAllowed, PortSecurity.CheckEgress(in p, s_addresses));
        Assert.Equal(ImplicitVerdict.DropNotAllowed, PortSecurity.CheckIngress(in p));
    }
}
