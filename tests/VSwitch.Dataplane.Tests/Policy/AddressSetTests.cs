using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Tests.Policy;

public class AddressSetTests
{
    private static IpAddress128 V4(uint a) => IpAddress128.FromIpv4(a);

    private static AddressSet.Member Host4(uint a) => new(V4(a), 128, Ipv6: false);

    [Fact]
    public void Contains_HostsAndPrefixesOfEachFamily()
    {
        var set = AddressSet.Build([
            Host4(0xC612_0001),
            new AddressSet.Member(V4(0xC612_0100), 96 + 24, false),
            new AddressSet.Member(new IpAddress128(0x2001_0db8_0000_0000UL, 0), 64, true),
        ]);
        Assert.Equal(3, set.Count);
        Assert.True(set.Contains(V4(0xC612_0001), false));
        Assert.False(set.Contains(V4(0xC612_0002), false));
        Assert.True(set.Contains(V4(0xC612_01FE), false));
        Assert.False(set.Contains(V4(0xC612_0201), false));
        Assert.True(set.Contains(new IpAddress128(0x2001_0db8_0000_0000UL, 77), true));
        Assert.False(set.Contains(new IpAddress128(0x2001_0db8_0000_0001UL, 77), true));
    }

    [Fact]
    public void Contains_TheFamilyIsPartOfTheMember()
    {
        // An IPv6 member that is an IPv4-mapped address (Neutron keeps it IPv6) never matches IPv4 traffic.
        var set = AddressSet.Build([new AddressSet.Member(V4(0xC612_0005), 128, Ipv6: true)]);
        Assert.False(set.Contains(V4(0xC612_0005), false));
        Assert.True(set.Contains(V4(0xC612_0005), true));
    }

    [Fact]
    public void Contains_AnyPrefixAndEmptySet()
    {
        var any = AddressSet.Build([new AddressSet.Member(V4(0), 96, false)]);
        Assert.True(any.Contains(V4(0x0A00_0001), false));
        Assert.False(any.Contains(new IpAddress128(0x2001_0db8_0000_0000UL, 1), true));
        Assert.False(AddressSet.Empty.Contains(V4(0xC612_0001), false));
        Assert.Equal(0, AddressSet.Empty.Count);
    }

    [Fact]
    public void Contains_ManyMembers_EveryMemberAndNoOther()
    {
        var set = AddressSet.Build(Enumerable.Range(1, 5000).Select(i => Host4(0xC612_0000u + (uint)(i * 2))));
        for (var i = 1; i <= 5000; i++)
        {
            Assert.True(set.Contains(V4(0xC612_0000u + (uint)(i * 2)), false));
            Assert.False(set.Contains(V4(0xC612_0000u + (uint)(i * 2) + 1), false));
        }
    }
}
