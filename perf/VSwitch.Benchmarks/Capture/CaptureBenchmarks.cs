using BenchmarkDotNet.Attributes;
using VSwitch.Benchmarks.Pipeline;
using VSwitch.Dataplane.Capture;

namespace VSwitch.Benchmarks.Capture;

/// <summary>
/// What <c>vswitchctl capture</c> costs the worker: <see cref="PipelineBenchmarks"/>' batch (32 × 64-byte frames
/// a → b) with no capture (the hooks' one test per batch, per flush and per drop), with a capture of another port
/// running (the filter's mismatch), and with captures of this batch's ports both ways (64 copies into the rings, read
/// back each operation as the reader would on its own core).
/// </summary>
[MemoryDiagnoser]
public class CaptureBenchmarks
{
    private TwoPortSwitch _switch = null!;
    private CaptureSession[] _sessions = [];

    [Params("none", "other port", "both ports, both ways")]
    public string Capture { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        _switch = new TwoPortSwitch(1024);
        var datapath = _switch.Datapath;
        _sessions = Capture switch
        {
            "other port" => [datapath.StartCapture(new CaptureFilter(5, true, true, false), 1024, 2048)!],
            "both ports, both ways" =>
            [
                datapath.StartCapture(new CaptureFilter(0, true, true, false), 1024, 2048)!,
                datapath.StartCapture(new CaptureFilter(1, true, true, false), 1024, 2048)!,
            ],
            _ => [],
        };
    }

    /// <summary>32 × 64-byte frames, unicast a → b, then the captures' rings read empty.</summary>
    [Benchmark]
    public void ForwardBatch()
    {
        _switch.ForwardBatch();
        foreach (var session in _sessions)
        {
            while (session.TryPeek(out _, out _))
            {
                session.Advance();
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _switch.Dispose();
}
