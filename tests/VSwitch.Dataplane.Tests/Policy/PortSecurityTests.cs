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
    public void CheckEgress_Ipv4MappedIpv6Pair_AllowsThatIpv6RangeOnly_NeverIpv4()
    {
        // Neutron keeps ::ffff:198.18.77.96/123 IPv6: the VM may send IPv6 from it, not IPv4 from 198.18.77.96.
        var mapped = IpAddress128.FromIpv4(0xC612_4D60);
        var addresses = new PortAddresses([new PortAddresses.Entry(Mac(1), mapped, 123, Ipv6: true)]);
        var v4 = Parse(Udp4(Mac(1), 0xC612_4D60, 1000, 2000));
        Assert.Equal(ImplicitVerdict.DropSpoofing, PortSecurity.CheckEgress(in v4, addresses));
        var v6 = Parse(FragmentFrames.Fragment(FragmentFrames.UdpDatagram(true, IpAddress128.FromIpv4(0xC612_4D61), new IpAddress128(0x2001_0DB8_0000_0000UL, 2), 1000, 2000, 8),
            Mac(1), Mac(2), 1000, 1)[0]);
        Assert.True(v6.IsIpv6);
        Assert.Equal(ImplicitVerdict.UseRules, PortSecurity.CheckEgress(in v6, addresses));
        Assert.False(addresses.AllowsIp(mapped, ipv6: false));
        Assert.True(addresses.AllowsIp(mapped, ipv6: true));
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
        Assert.True(s_addresses.Allows(Mac(1), PortAddresses.LinkLocal(Mac(1)), ipv6: true));
        Assert.False(s_addresses.Allows(Mac(1), PortAddresses.LinkLocal(Mac(2)), ipv6: true));
    }

    /// <summary>An Ethernet/IPv6/ICMPv6 frame; for ND types 135/136 with a target and a link-layer option.</summary>
    private static byte[] Icmp6(MacAddress src, IpAddress128 from, byte type, IpAddress128 target = default, MacAddress? option = null)
    {
        var icmpLength = type is 135 or 136 ? 24 + (option is null ? 0 : 8) : 16;
        var f = new byte[14 + 40 + icmpLength];
        MacAddress.Broadcast.Write(f);
        src.Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), EtherType.Ipv6);
        var ip = f.AsSpan(14);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)icmpLength);
        ip[6] = IpProtocol.Icmpv6;
        ip[7] = 255;
        BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(8), from.High);
        BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(16), from.Low);
        BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(24), 0xFF02_0000_0000_0000UL);
        BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(32), 1);
        var icmp = ip.Slice(40);
        icmp[0] = type;
        if (type is 135 or 136)
        {
            BinaryPrimitives.WriteUInt64BigEndian(icmp.Slice(8), target.High);
            BinaryPrimitives.WriteUInt64BigEndian(icmp.Slice(16), target.Low);
            if (option is { } mac)
            {
                icmp[24] = type == 135 ? (byte)1 : (byte)2;
                icmp[25] = 1;
                mac.Write(icmp.Slice(26));
            }
        }
        return f;
    }

    [Fact]
    public void CheckEgress_RouterAdvertisementFromVm_IsDropped()
    {
        var ra = Parse(Icmp6(Mac(1), PortAddresses.LinkLocal(Mac(1)), 134));
        Assert.Equal(ImplicitVerdict.DropSpoofing, PortSecurity.CheckEgress(in ra, s_addresses));
        Assert.Equal(ImplicitVerdict.Allow, PortSecurity.CheckIngress(in ra));
    }

    [Fact]
    public void CheckEgress_NeighborAdvertisement_OnlyForOwnTargetAndMac()
    {
        var own = PortAddresses.LinkLocal(Mac(1));
        var good = Parse(Icmp6(Mac(1), own, 136, own, Mac(1)));
        Assert.Equal(ImplicitVerdict.Allow, PortSecurity.CheckEgress(in good, s_addresses));
        var foreignTarget = Parse(Icmp6(Mac(1), own, 136, PortAddresses.LinkLocal(Mac(5)), Mac(1)));
        Assert.Equal(ImplicitVerdict.DropSpoofing, PortSecurity.CheckEgress(in foreignTarget, s_addresses));
        var foreignOption = Parse(Icmp6(Mac(1), own, 136, own, Mac(5)));
        Assert.Equal(ImplicitVerdict.DropSpoofing, PortSecurity.CheckEgress(in foreignOption, s_addresses));
    }

    [Fact]
    public void CheckEgress_DuplicateAddressDetectionFromUnspecified_IsAllowed()
    {
        var dad = Parse(Icmp6(Mac(1), default, 135, PortAddresses.LinkLocal(Mac(1))));
        Assert.Equal(ImplicitVerdict.Allow, PortSecurity.CheckEgress(in dad, s_addresses));
        var mld = Parse(Icmp6(Mac(1), default, 143));
        Assert.Equal(ImplicitVerdict.Allow, PortSecurity.CheckEgress(in mld, s_addresses));
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
