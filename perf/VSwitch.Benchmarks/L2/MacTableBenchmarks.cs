using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane.L2;

namespace VSwitch.Benchmarks.L2;

/// <summary>MAC-table operations on a table holding 10,000 learned MACs.</summary>
[MemoryDiagnoser]
public class MacTableBenchmarks
{
    private readonly MacTable _table = new(65536);
    private int _i;

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < 10_000; i++)
        {
            _table.Learn(0, BenchmarkFrames.Mac(i), i % 100, 0);
        }
    }

    [Benchmark]
    public int Lookup() => _table.Lookup(0, BenchmarkFrames.Mac(_i = (_i + 7919) % 10_000), 10);

    /// <summary>Learn of a known MAC on its port: the per-packet refresh path.</summary>
    [Benchmark]
    public void LearnKnown() => _table.Learn(0, BenchmarkFrames.Mac(_i = (_i + 7919) % 10_000), _i % 100, 10);
}
