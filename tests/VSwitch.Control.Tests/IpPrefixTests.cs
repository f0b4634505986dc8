using VSwitch.Control.Model;
using VSwitch.Packets;

namespace VSwitch.Control.Tests;

public class IpPrefixTests
{
    [Theory]
    [InlineData("10.0.0.34/24", "10.0.0.34/24", "10.0.0.0/24", 120)]
    [InlineData("192.168.1.10", "192.168.1.10/32", "192.168.1.10/32", 128)]
    [InlineData("0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0", 96)]
    [InlineData("2001:DB8:0:0::1/48", "2001:db8::1/48", "2001:db8::/48", 48)]
    [InlineData("::ffff:1.2.3.4/128", "::ffff:1.2.3.4/128", "::ffff:1.2.3.4/128", 128)]
    public void TryParse_Valid_KeepsHostBitsAndNormalizes(string text, string shown, string network, int length128)
    {
        Assert.True(IpPrefix.TryParse(text, out var prefix));
        Assert.Equal(shown, prefix.ToString());
        Assert.Equal(network, prefix.Network.ToString());
        Assert.Equal(length128, prefix.PrefixLength128);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0/24")]
    [InlineData("10.0.0.1/+8")]
    [InlineData("10.0.0.1/ 8")]
    [InlineData("1.2.3.4.5")]
    [InlineData("::1/129")]
    [InlineData("[::1]")]
    public void TryParse_Invalid_ReturnsFalse(string text)
    {
        Assert.False(IpPrefix.TryParse(text, out _));
    }

    [Fact]
    public void Contains_MatchesWithinThePrefixAndFamilyOnly()
    {
        Assert.True(IpPrefix.TryParse("10.1.0.0/16", out var v4));
        Assert.True(v4.Contains(IpAddress128.FromIpv4(0x0A01FFFF)));
        Assert.False(v4.Contains(IpAddress128.FromIpv4(0x0A020000)));
        Assert.True(IpPrefix.TryParse("::/0", out var any6));
        Assert.False(any6.Contains(IpAddress128.FromIpv4(0x0A010000)));
        Assert.True(any6.Contains(new IpAddress128(0x20010DB8_00000000, 1)));
    }

    [Fact]
    public void Host_OfAMappedAddress_IsAnIpv4Slash32()
    {
        var host = IpPrefix.Host(IpAddress128.FromIpv4(0x0A000005));
        Assert.Equal((Ethertype.IPv4, "10.0.0.5/32", true), (host.Family, host.ToString(), host.IsHost));
    }
}
