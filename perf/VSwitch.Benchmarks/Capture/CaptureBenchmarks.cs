using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Capture;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Capture;

/// <summary>
/// What <c>vswitchctl capture</c> costs the worker: <see cref="Pipeline.PipelineBenchmarks"/>' batch (32 × 64-byte
/// frames a → b) with no capture (the hooks' one test per batch, per flush and per drop), with a capture of another
/// port running (the filter's mismatch), and with captures of this batch's ports both ways (64 copies into the rings,
/// read back each operation as the reader would on its own core).
/// </summary>
[MemoryDiagnoser]
public class CaptureBenchmarks
{
    private Datapath _datapath = null!;
    private Worker _worker = null!;
    private DataplaneSnapshot _snapshot = null!;
    private SwitchPort _in = null!;
    private PacketBatch _batch = null!;
    private byte[][] _frames = null!;
    private CaptureSession[] _sessions = [];
    private int _next;

    [Params("none", "other port", "both ports, both ways")]
    public string Capture { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        _datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 16, BufferSize = 2048 });
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:b", 1, captureTransmitted: false);
        var ports = new SwitchPort?[16];
        ports[0] = new SwitchPort(0, "a", a, 0, true, BenchmarkFrames.Mac(1));
        ports[1] = new SwitchPort(1, "b", b, 0, true, BenchmarkFrames.Mac(2));
        _snapshot = new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1])]);
        _datapath.Publish(_snapshot);
        _datapath.Macs.AddStatic(0, BenchmarkFrames.Mac(1), 0, 0);
        _datapath.Macs.AddStatic(0, BenchmarkFrames.Mac(2), 1, 0);
        _worker = _datapath.Workers[0];
        _in = ports[0]!;
        _batch = new PacketBatch(2048);
        _frames = Enumerable.Range(0, 1024).Select(f => BenchmarkFrames.Udp64(BenchmarkFrames.Mac(1), BenchmarkFrames.Mac(2), f)).ToArray();
        _sessions = Capture switch
        {
            "other port" => [_datapath.StartCapture(new CaptureFilter(5, true, true, false), 1024, 2048)!],
            "both ports, both ways" =>
            [
                _datapath.StartCapture(new CaptureFilter(0, true, true, false), 1024, 2048)!,
                _datapath.StartCapture(new CaptureFilter(1, true, true, false), 1024, 2048)!,
            ],
            _ => [],
        };
        unsafe
        {
            var events = stackalloc VSwitch.Interop.epoll_event[4];
            _worker.PollOnce(events, 4, 0);
        }
    }

    /// <summary>32 × 64-byte frames, unicast a → b, then the captures' rings read empty.</summary>
    [Benchmark]
    public void ForwardBatch()
    {
        var batch = _batch;
        batch.ResetForReceive();
        for (var i = 0; i < PacketBatch.MaxSize; i++)
        {
            var f = _frames[_next];
            _next = _next + 1 == _frames.Length ? 0 : _next + 1;
            f.CopyTo(batch.Buffer(i));
            batch[i].Length = f.Length;
        }
        batch.Count = PacketBatch.MaxSize;
        _worker.ProcessBatch(_snapshot, _in, batch);
        foreach (var session in _sessions)
        {
            while (session.TryPeek(out _, out _))
            {
                session.Advance();
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _datapath.Dispose();
    }
}
