using System.Buffers.Binary;
using VSwitch.Packets.Ndp;

namespace VSwitch.Packets.Tests;

/// <summary>The switch's router advertisements (RFC 4861): addressed, flagged, with prefixes and a valid checksum.</summary>
public sealed class RouterAdvertisementTests
{
    private static readonly RouterAdvertisementSettings s_settings = new(new MacAddress(0x027673000002),
        [(0x2001_0DB8_0070_0000UL, true), (0x2001_0DB8_0071_0000UL, false)], Managed: true, OtherConfig: false, DefaultRouter: true, Mtu: 1450);

    private static readonly MacAddress s_host = new(0xFA163E000104);

    [Fact]
    public void AnAdvertisement_AnswersTheSolicitor_WithThePrefixesFlagsAndAValidChecksum()
    {
        var hostLinkLocal = new IpAddress128(0xFE80_0000_0000_0000UL, RouterAdvertisement.InterfaceId(s_host));
        var buffer = new byte[RouterAdvertisement.MaxSize];
        var frame = buffer[..RouterAdvertisement.Write(buffer, s_host, hostLinkLocal, s_settings)];

        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var p));
        Assert.Equal((s_host, s_settings.RouterMac, hostLinkLocal, s_settings.LinkLocal), (p.EthDestination, p.EthSource, p.IpDestination, p.IpSource));
        Assert.Equal((IpProtocol.Icmpv6, (ushort)134, (byte)255), (p.IpProtocol, p.SourcePort, p.Ttl));
        Assert.Equal("fe80::76:73ff:fe00:2", s_settings.LinkLocal.ToString());
        var icmp = frame.AsSpan(54);
        Assert.Equal((0x80, 1800), (icmp[5], BinaryPrimitives.ReadUInt16BigEndian(icmp[6..])));
        Assert.Equal("0101027673000002", Convert.ToHexString(icmp.Slice(16, 8)));
        Assert.Equal(1450u, BinaryPrimitives.ReadUInt32BigEndian(icmp[28..]));
        var first = icmp.Slice(32, 32);
        Assert.Equal((3, 4, 64, 0xC0), (first[0], first[1], first[2], first[3]));
        Assert.Equal("20010DB800700000", Convert.ToHexString(first.Slice(16, 8)));
        Assert.Equal(0x80, icmp[64 + 3]); // on-link only: a stateful subnet's prefix is not for SLAAC

        // The checksum over the pseudo-header and the message sums to 0xFFFF.
        ulong sum = (uint)icmp.Length + IpProtocol.Icmpv6;
        for (var i = 22; i < 54; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(i));
        }
        for (var i = 0; i < icmp.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(icmp[i..]);
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        Assert.Equal(0xFFFFUL, sum);
    }

    [Fact]
    public void ASolicitationFromTheUnspecifiedAddress_IsAnsweredToAllNodes()
    {
        var buffer = new byte[RouterAdvertisement.MaxSize];
        var frame = buffer[..RouterAdvertisement.Write(buffer, s_host, default, s_settings with { DefaultRouter = false, Mtu = 0 })];
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var p));
        Assert.Equal((new MacAddress(0x333300000001), "ff02::1"), (p.EthDestination, p.IpDestination.ToString()));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(54 + 6)));
    }
}
