using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Pipeline;

/// <summary>
/// The whole worker pipeline (parse, MAC learning and lookup, transmit batching) over in-memory ports, one batch of
/// 32 64-byte frames per operation, on one core. Divide the mean by 32 for nanoseconds per packet.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private Datapath _datapath = null!;
    private Worker _worker = null!;
    private DataplaneSnapshot _snapshot = null!;
    private SwitchPort _in = null!;
    private PacketBatch _batch = null!;
    private byte[][] _frames = null!;
    private int _next;

    /// <summary>Distinct flows cycled through (each batch takes the next 32).</summary>
    [Params(1024)]
    public int Flows { get; set; }

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
        _frames = Enumerable.Range(0, Flows).Select(f => BenchmarkFrames.Udp64(BenchmarkFrames.Mac(1), BenchmarkFrames.Mac(2), f)).ToArray();
        unsafe
        {
            var events = stackalloc VSwitch.Interop.epoll_event[4];
            _worker.PollOnce(events, 4, 0);
        }
    }

    /// <summary>32 × 64-byte frames, unicast a → b.</summary>
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
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _datapath.Dispose();
    }
}
