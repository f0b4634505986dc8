using VSwitch.Dataplane.Routing;

namespace VSwitch.Dataplane.Tests;

/// <summary>The floating-IP map against a dictionary: every key found with its value, every other key absent.</summary>
public sealed class Ipv4MapTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(50)]
    [InlineData(1000)]
    public void Lookups_AgreeWithADictionary(int count)
    {
        var random = new Random(count);
        var reference = new Dictionary<uint, uint>();
        while (reference.Count < count)
        {
            // Addresses close together, as a subnet's floating IPs are, and some far apart.
            var key = random.Next(4) == 0 ? (uint)random.NextInt64(1, uint.MaxValue) : 0xC612_0000u + (uint)random.Next(4096);
            reference[key] = (uint)random.NextInt64(1, uint.MaxValue);
        }
        var map = new Ipv4Map<uint>(reference);
        Assert.Equal(count, map.Count);
        foreach (var (key, value) in reference)
        {
            Assert.True(map.TryGetValue(key, out var found));
            Assert.Equal(value, found);
        }
        for (var i = 0; i < 10_000; i++)
        {
            var key = i % 2 == 0 ? 0xC612_0000u + (uint)random.Next(8192) : (uint)random.NextInt64(0, uint.MaxValue);
            Assert.Equal(reference.TryGetValue(key, out var expected), map.TryGetValue(key, out var found));
            Assert.Equal(expected, found);
        }
    }

    [Fact]
    public void TheZeroAddress_IsNeverAKey()
    {
        var map = new Ipv4Map<uint>([new(0, 5), new(1, 6)]);
        Assert.Equal(1, map.Count);
        Assert.False(map.TryGetValue(0, out var none));
        Assert.Equal(0u, none);
        Assert.False(Ipv4Map<uint>.Empty.TryGetValue(0xC612_0001, out _));
    }
}
