using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Tests.Policy;

/// <summary>Randomised rule sets and queries with fixed seeds: the compiled classifier must equal the linear oracle.</summary>
public class ClassifierDifferentialTests
{
    private static readonly int[] s_protocols = [-1, 1, 6, 17, 58, 132, 47, 33];

    /// <summary>
    /// Multiplies the number of random rule sets; the longer run is <c>VSWITCH_RANDOM_SCALE=100 dotnet test ...</c>.
    /// </summary>
    private static readonly int s_scale = int.TryParse(Environment.GetEnvironmentVariable("VSWITCH_RANDOM_SCALE"), out var scale) && scale > 0 ? scale : 1;

    private static IpAddress128 Address(Random rnd, bool ipv6)
    {
        // A small pool of networks so that prefixes and addresses overlap often.
        var net = rnd.Next(4);
        var host = (uint)rnd.Next(8);
        if (ipv6)
        {
            return new IpAddress128(0x2001_0db8_0000_0000UL | ((ulong)net << 16), host | ((ulong)rnd.Next(2) << 40));
        }
        return IpAddress128.FromIpv4(0xC612_0000u | ((uint)net << 8) | host | ((uint)rnd.Next(2) << 16));
    }

    private static ClassifierRule RandomRule(Random rnd, int index)
    {
        var ipv6 = rnd.Next(2) == 0;
        var protocol = s_protocols[rnd.Next(s_protocols.Length)];
        if (protocol is 1 or 58)
        {
            protocol = ipv6 ? 58 : 1;
        }
        int portMin = -1, portMax = -1, type = -1, code = -1;
        if (ClassifierRule.HasPorts(protocol) && rnd.Next(4) != 0)
        {
            portMin = rnd.Next(3) == 0 ? rnd.Next(65536) : rnd.Next(20, 30);
            portMax = rnd.Next(3) switch { 0 => portMin, 1 => Math.Min(65535, portMin + rnd.Next(2000)), _ => rnd.Next(portMin, 65536) };
        }
        else if (ClassifierRule.IsIcmp(protocol) && rnd.Next(3) != 0)
        {
            type = rnd.Next(4) == 0 ? rnd.Next(256) : rnd.Next(3);
            code = rnd.Next(2) == 0 ? -1 : rnd.Next(3);
        }
        var length = rnd.Next(4) switch
        {
            0 => 0,
            1 => ipv6 ? rnd.Next(1, 129) : 96 + rnd.Next(1, 33),
            2 => ipv6 ? 128 : 128,
            _ => ipv6 ? 56 : 120,
        };
        return new ClassifierRule(index, ipv6, protocol, portMin, portMax, type, code, Address(rnd, ipv6), length);
    }

    private static ClassifierQuery RandomQuery(Random rnd, IReadOnlyList<ClassifierRule> rules)
    {
        var q = default(ClassifierQuery);
        // Half of the queries start from a rule, so that matches are common; the rest are arbitrary.
        var like = rules.Count > 0 && rnd.Next(2) == 0 ? rules[rnd.Next(rules.Count)] : null;
        q.Ipv6 = like?.Ipv6 ?? rnd.Next(2) == 0;
        var protocol = like is { Protocol: >= 0 } && rnd.Next(4) != 0 ? like.Protocol : s_protocols[rnd.Next(1, s_protocols.Length)];
        q.Protocol = (byte)protocol;
        q.RemoteAddress = Address(rnd, q.Ipv6);
        if (like is { PortMin: >= 0 } && rnd.Next(3) != 0)
        {
            var max = like.PortMax < 0 ? like.PortMin : like.PortMax;
            q.PortKey = (ushort)(rnd.Next(2) == 0 ? rnd.Next(like.PortMin, max + 1) : Math.Clamp(max + rnd.Next(-1, 2), 0, 65535));
        }
        else if (like is { IcmpType: >= 0 })
        {
            q.PortKey = (ushort)((like.IcmpType << 8) | rnd.Next(3));
        }
        else
        {
            q.PortKey = (ushort)(rnd.Next(2) == 0 ? rnd.Next(65536) : rnd.Next(20, 30));
        }
        q.LaterFragment = rnd.Next(20) == 0;
        return q;
    }

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 100)]
    [InlineData(3, 1000)]
    [InlineData(4, 0)]
    [InlineData(5, 1)]
    public void Lookup_RandomRuleSets_EqualsReference(int seed, int ruleCount)
    {
        var rnd = new Random(seed);
        for (var set = 0; set < (ruleCount >= 1000 ? 20 : 300) * s_scale; set++)
        {
            var count = ruleCount <= 1 ? ruleCount : rnd.Next(1, ruleCount + 1);
            var rules = Enumerable.Range(0, count).Select(i => RandomRule(rnd, i)).OrderBy(_ => rnd.Next()).ToList();
            var compiled = ClassifierCompiler.Compile(rules);
            var reference = new ReferenceClassifier(rules);
            for (var i = 0; i < 300; i++)
            {
                var q = RandomQuery(rnd, rules);
                var expected = reference.Lookup(q);
                var actual = compiled.Lookup(q);
                Assert.True(expected == actual, $"seed {seed} set {set}: query {q.RemoteAddress} proto {q.Protocol} port {q.PortKey} v6 {q.Ipv6} frag {q.LaterFragment}: reference {expected}, compiled {actual}");
            }
        }
    }

    [Theory]
    [InlineData(11, 10)]
    [InlineData(12, 100)]
    [InlineData(13, 1000)]
    public void Lookup_RulesNamingAddressSets_EqualsReference(int seed, int ruleCount)
    {
        var rnd = new Random(seed);
        for (var round = 0; round < (ruleCount >= 1000 ? 20 : 200) * s_scale; round++)
        {
            // A few sets over the same small address pool, some empty, some holding prefixes, some of both families.
            var sets = Enumerable.Range(0, rnd.Next(1, 5)).Select(_ => (IReadOnlyList<AddressSet.Member>)Enumerable.Range(0, rnd.Next(0, 6)).Select(_ =>
            {
                var ipv6 = rnd.Next(3) == 0;
                var length = rnd.Next(3) == 0 ? (ipv6 ? rnd.Next(100, 129) : 96 + rnd.Next(24, 33)) : 128;
                return new AddressSet.Member(Address(rnd, ipv6), length, ipv6);
            }).ToList()).ToList();
            var count = rnd.Next(1, ruleCount + 1);
            var rules = Enumerable.Range(0, count).Select(i =>
            {
                var rule = RandomRule(rnd, i);
                return rnd.Next(2) == 0 ? rule with { AddressSet = rnd.Next(sets.Count + 1) - (rnd.Next(8) == 0 ? 1 : 0) } : rule;
            }).OrderBy(_ => rnd.Next()).ToList();
            var compiled = ClassifierCompiler.Compile(rules);
            var built = sets.Select(s => (AddressSet?)AddressSet.Build(s)).ToArray();
            var reference = new ReferenceClassifier(rules, sets);
            for (var i = 0; i < 300; i++)
            {
                var q = RandomQuery(rnd, rules);
                var expected = reference.Lookup(q);
                var actual = compiled.Lookup(q, built);
                Assert.True(expected == actual, $"seed {seed} round {round}: query {q.RemoteAddress} proto {q.Protocol} port {q.PortKey} v6 {q.Ipv6} frag {q.LaterFragment}: reference {expected}, compiled {actual}");
            }
        }
    }

    [Theory]
    [InlineData(0, 65535, 1)]
    [InlineData(22, 22, 1)]
    [InlineData(1, 65535, 16)]
    [InlineData(1024, 65535, 6)]
    [InlineData(1, 65534, 30)]
    public void Cover_Range_GivesExactAlignedPrefixes(int min, int max, int expectedCount)
    {
        var prefixes = PortPrefixes.Cover(min, max);
        Assert.Equal(expectedCount, prefixes.Count);
        var covered = new bool[65536];
        foreach (var (value, length) in prefixes)
        {
            var size = 1 << (16 - length);
            Assert.Equal(0, value & (size - 1));
            for (int p = value; p < value + size; p++)
            {
                Assert.False(covered[p]);
                covered[p] = true;
            }
        }
        for (var p = 0; p < 65536; p++)
        {
            Assert.Equal(p >= min && p <= max, covered[p]);
        }
    }

    [Fact]
    public void Lookup_ManyRules_ProbesOnlyAFewMaskTypes()
    {
        var rnd = new Random(9);
        var rules = Enumerable.Range(0, 10_000).Select(i => new ClassifierRule(i, false, 6, 1000 + i, 1000 + i, -1, -1,
            IpAddress128.FromIpv4(0xC612_0000u | (uint)rnd.Next(65536)), 128)).ToList();
        var compiled = ClassifierCompiler.Compile(rules);
        Assert.Equal(1, compiled.MaskTypeCount.Ipv4);
        Assert.Equal(10_000, compiled.EntryCount);
    }
}
