using VSwitch.Dataplane;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Pipeline;

/// <summary>
/// The smallest switch a pipeline benchmark runs: one worker, in-memory ports a (slot 0) and b (slot 1) on one network
/// without groups, and 64-byte UDP frames a → b over <c>flows</c> distinct flows, sent 32 at a time.
/// </summary>
internal sealed class TwoPortSwitch : IDisposable
{
    private readonly Worker _worker;
    private readonly DataplaneSnapshot _snapshot;
    private readonly SwitchPort _in;
    private readonly PacketBatch _batch = new(2048);
    private readonly byte[][] _frames;
    private int _next;

    public TwoPortSwitch(int flows)
    {
        Datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 16, BufferSize = 2048 });
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:b", 1, captureTransmitted: false);
        var ports = new SwitchPort?[16];
        ports[0] = new SwitchPort(0, "a", a, 0, true, BenchmarkFrames.Mac(1));
        ports[1] = new SwitchPort(1, "b", b, 0, true, BenchmarkFrames.Mac(2));
        _snapshot = new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1])]);
        Datapath.Publish(_snapshot);
        Datapath.Macs.AddStatic(0, BenchmarkFrames.Mac(1), 0, 0);
        Datapath.Macs.AddStatic(0, BenchmarkFrames.Mac(2), 1, 0);
        _worker = Datapath.Workers[0];
        _in = ports[0]!;
        _frames = Enumerable.Range(0, flows).Select(f => BenchmarkFrames.Udp64(BenchmarkFrames.Mac(1), BenchmarkFrames.Mac(2), f)).ToArray();
        unsafe
        {
            var events = stackalloc VSwitch.Interop.epoll_event[4];
            _worker.PollOnce(events, 4, 0);
        }
    }

    public Datapath Datapath { get; }

    /// <summary>32 × 64-byte frames, unicast a → b, the next 32 flows.</summary>
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

    public void Dispose()
    {
        _batch.Dispose();
        Datapath.Dispose();
    }
}
