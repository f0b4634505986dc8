using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane.FlowCache;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.FlowCache;

/// <summary>
/// The worker's flow cache on its own: key construction is left out (the pipeline builds the key once per packet);
/// each operation is one hash of the 48-byte key and one lookup, cycling over <see cref="Flows"/> cached flows.
/// The whole-pipeline cost of a flow-cache hit is in Pipeline/PipelineBenchmarks.cs (stateless groups) and
/// Pipeline/StatefulPipelineBenchmarks.cs.
/// </summary>
[MemoryDiagnoser]
public class ExactMatchCacheBenchmarks
{
    private readonly ExactMatchCache _cache = new();
    private FlowKey[] _keys = null!;
    private int _i;

    /// <summary>Distinct flows looked up in turn (all of them cached, except where two collide in both positions).</summary>
    [Params(16, 4096)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _keys = new FlowKey[Flows];
        for (var i = 0; i < Flows; i++)
        {
            var key = new FlowKey
            {
                Source = IpAddress128.FromIpv4(0xC612_0000u | (uint)i),
                Destination = IpAddress128.FromIpv4(0xC613_0001u),
                SourcePort = (ushort)(10_000 + i),
                DestinationPort = 80,
                Protocol = IpProtocol.Tcp,
                InPort = 1,
            };
            _keys[i] = key;
            _cache.Put(in key, key.Hash(), 1, i);
        }
    }

    /// <summary>Hash + lookup of a cached flow.</summary>
    [Benchmark]
    public int Hit()
    {
        ref var key = ref _keys[_i];
        _i = _i + 1 == _keys.Length ? 0 : _i + 1;
        return _cache.TryGet(in key, key.Hash(), 1, out var verdict) ? verdict : -1;
    }

    /// <summary>Hash + lookup under a newer policy generation: every entry is stale (the miss before a classifier lookup).</summary>
    [Benchmark]
    public int StaleMiss()
    {
        ref var key = ref _keys[_i];
        _i = _i + 1 == _keys.Length ? 0 : _i + 1;
        return _cache.TryGet(in key, key.Hash(), 2, out var verdict) ? verdict : -1;
    }
}
