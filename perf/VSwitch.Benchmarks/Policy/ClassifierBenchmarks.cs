using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Policy;

/// <summary>
/// Compiled classifier against a linear scan at 10 to 10,000 rules: a hit (the last rule matches, the linear scan's
/// worst case) and a miss (no rule matches). Rules look like real security groups: single TCP/UDP ports and small
/// ranges from /32 and /24 remote prefixes.
/// </summary>
[MemoryDiagnoser]
public class ClassifierBenchmarks
{
    private CompiledClassifier _compiled = null!;
    private ClassifierRule[] _rules = null!;
    private ClassifierQuery _hit;
    private ClassifierQuery _miss;

    [Params(10, 100, 1_000, 10_000)]
    public int Rules { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(42);
        _rules = Enumerable.Range(0, Rules).Select(i => new ClassifierRule(
            i, false, rnd.Next(2) == 0 ? 6 : 17, 1000 + i, 1000 + i + rnd.Next(3), -1, -1,
            IpAddress128.FromIpv4(0xC612_0000u | (uint)rnd.Next(1 << 16)), rnd.Next(2) == 0 ? 128 : 120)).ToArray();
        _compiled = ClassifierCompiler.Compile(_rules);
        var last = _rules[^1];
        _hit = new ClassifierQuery { RemoteAddress = last.RemoteAddress, Protocol = (byte)last.Protocol, PortKey = (ushort)last.PortMin };
        _miss = new ClassifierQuery { RemoteAddress = IpAddress128.FromIpv4(0x0A00_0001), Protocol = 6, PortKey = 1 };
    }

    [Benchmark]
    public int CompiledHit() => _compiled.Lookup(in _hit);

    [Benchmark]
    public int CompiledMiss() => _compiled.Lookup(in _miss);

    [Benchmark]
    public int LinearMiss() => LinearScan(in _miss);

    private int LinearScan(in ClassifierQuery q)
    {
        // The obvious evaluation a rule-scanning firewall does: every rule, every field.
        foreach (var r in _rules)
        {
            if (r.Ipv6 == q.Ipv6 && (r.Protocol < 0 || r.Protocol == q.Protocol)
                && q.PortKey >= r.PortMin && q.PortKey <= r.PortMax && InPrefix(q.RemoteAddress, r.RemoteAddress, r.RemotePrefixLength))
            {
                return r.Index;
            }
        }
        return -1;
    }

    private static bool InPrefix(IpAddress128 a, IpAddress128 p, int length)
    {
        var high = length == 0 ? 0UL : length >= 64 ? ulong.MaxValue : ulong.MaxValue << (64 - length);
        var low = length <= 64 ? 0UL : length == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - length);
        return ((a.High ^ p.High) & high) == 0 && ((a.Low ^ p.Low) & low) == 0;
    }
}
