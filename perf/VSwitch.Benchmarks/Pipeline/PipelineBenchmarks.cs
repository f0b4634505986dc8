using BenchmarkDotNet.Attributes;

namespace VSwitch.Benchmarks.Pipeline;

/// <summary>
/// The whole worker pipeline (parse, MAC learning and lookup, transmit batching) over in-memory ports, one batch of
/// 32 64-byte frames per operation, on one core. Divide the mean by 32 for nanoseconds per packet.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private TwoPortSwitch _switch = null!;

    /// <summary>Distinct flows cycled through (each batch takes the next 32).</summary>
    [Params(1024)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup() => _switch = new TwoPortSwitch(Flows);

    /// <summary>32 × 64-byte frames, unicast a → b.</summary>
    [Benchmark]
    public void ForwardBatch() => _switch.ForwardBatch();

    [GlobalCleanup]
    public void Cleanup() => _switch.Dispose();
}
