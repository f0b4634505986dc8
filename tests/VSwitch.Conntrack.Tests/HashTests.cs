using System.Numerics;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;

namespace VSwitch.Conntrack.Tests;

/// <summary>
/// ConnKey.Hash picks the shard (bits 40 and up), the bucket (low bits) and the handle check (low 32 bits): it must
/// spread the structured keys a switch sees (one server, clients of one subnet, sequential ports) evenly, and depend
/// on the seed.
/// </summary>
public sealed class HashTests
{
    private const ulong Seed = 0x0123_4567_89AB_CDEFUL;
    private static readonly IpAddress128 Server = IpAddress128.FromIpv4(0xC613_0001);

    /// <summary>65,536 connections to one server: 256 clients of one /24, 256 sequential source ports each.</summary>
    private static IEnumerable<ConnKey> Structured()
    {
        for (var client = 0; client < 256; client++)
        {
            for (var port = 0; port < 256; port++)
            {
                yield return ConnKey.Create(1, IpProtocol.Tcp, false, IpAddress128.FromIpv4(0xC612_0000 | (uint)client),
                    (ushort)(40000 + port), Server, 80, out _);
            }
        }
    }

    [Fact]
    public void StructuredKeys_SpreadEvenlyOverShards()
    {
        var shards = new int[64];
        foreach (var key in Structured())
        {
            shards[(int)(key.Hash(Seed) >> 40) & 63]++;
        }
        // 1,024 expected per shard; a binomial standard deviation is 32, so 20% either way is over 6 of them.
        Assert.All(shards, count => Assert.InRange(count, 820, 1230));
    }

    [Fact]
    public void StructuredKeys_FillBucketsLikeRandomOnes()
    {
        // 65,536 keys into 131,072 buckets (the table's load factor of 0.5): random placement leaves e^-0.5, about
        // 60.7% (39,750), of the keys alone in their bucket, and no bucket with more than 6 or 7.
        var buckets = new int[1 << 17];
        foreach (var key in Structured())
        {
            buckets[(int)key.Hash(Seed) & ((1 << 17) - 1)]++;
        }
        Assert.InRange(buckets.Max(), 1, 9);
        var alone = buckets.Count(b => b == 1);
        Assert.InRange(alone, 38_500, 41_000);
    }

    [Fact]
    public void StructuredKeys_HaveDistinctHandleChecks()
    {
        // The low 32 bits tell a stale handle from the entry now in its slot: among 65,536 keys about 0.5 pairs
        // collide at random.
        var checks = Structured().Select(k => (uint)k.Hash(Seed)).ToHashSet();
        Assert.InRange(checks.Count, 65_530, 65_536);
    }

    [Fact]
    public void OneBitChange_FlipsAboutHalfTheHashBits()
    {
        var baseKey = ConnKey.Create(1, IpProtocol.Udp, false, IpAddress128.FromIpv4(0xC612_0001), 1000, Server, 53, out _);
        var h = baseKey.Hash(Seed);
        var flips = new List<int>();
        for (var bit = 0; bit < 16; bit++)
        {
            var port = ConnKey.Create(1, IpProtocol.Udp, false, IpAddress128.FromIpv4(0xC612_0001), (ushort)(1000 ^ (1 << bit)), Server, 53, out _);
            flips.Add(BitOperations.PopCount(h ^ port.Hash(Seed)));
            var address = ConnKey.Create(1, IpProtocol.Udp, false, IpAddress128.FromIpv4(0xC612_0001 ^ (1u << bit)), 1000, Server, 53, out _);
            flips.Add(BitOperations.PopCount(h ^ address.Hash(Seed)));
        }
        var zone = ConnKey.Create(2, IpProtocol.Udp, false, IpAddress128.FromIpv4(0xC612_0001), 1000, Server, 53, out _);
        flips.Add(BitOperations.PopCount(h ^ zone.Hash(Seed)));
        Assert.InRange(flips.Average(), 28.0, 36.0);
        Assert.All(flips, f => Assert.InRange(f, 12, 52));
    }

    [Fact]
    public void DifferentSeeds_GiveUnrelatedHashes()
    {
        var keys = Structured().Take(1000).ToArray();
        var sameShard = keys.Count(k => ((k.Hash(Seed) >> 40) & 63) == ((k.Hash(Seed + 1) >> 40) & 63));
        // Unrelated hashes agree on the shard for 1 key in 64: about 16 of 1,000.
        Assert.InRange(sameShard, 0, 45);
        Assert.All(keys, k => Assert.NotEqual(k.Hash(Seed), k.Hash(Seed + 1)));
    }
}
