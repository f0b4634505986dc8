using Microsoft.Extensions.Logging.Abstractions;
using VSwitch.Control.Configuration;
using VSwitch.Control.Model;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Control.Tests;

/// <summary>
/// A worker that does not switch to a new snapshot in time (held inside a port's receive) must never find a device
/// it may still use closed under it: the reconciler keeps removed devices open until every worker has moved on.
/// </summary>
public sealed class ReconcilerLateWorkerTests : IDisposable
{
    private readonly Datapath _datapath = new(new DatapathOptions
    {
        Workers = 1,
        Pin = false,
        MaxPorts = 8,
        BufferSize = 2048,
        PublishTimeout = TimeSpan.FromMilliseconds(200),
    });

    private readonly GatedPortType _ports = new();
    private readonly Reconciler _reconciler;

    public ReconcilerLateWorkerTests()
    {
        _reconciler = new Reconciler(_datapath, new PortTypes(_ports), NullLogger<Reconciler>.Instance);
        _datapath.Start();
    }

    private static SwitchModel Model(params string[] ports) => SwitchConfig.Parse($$"""
        { "networks": [ { "name": "n" } ],
          "ports": [ {{string.Join(", ", ports.Select(p => $$"""{ "name": "{{p}}", "network": "n", "device": "memory:{{p}}", "port_security_enabled": false }"""))}} ] }
        """).ToModel();

    private static byte[] Broadcast()
    {
        var frame = new byte[60];
        MacAddress.Broadcast.Write(frame);
        new MacAddress(0x02_00_00_00_00_01).Write(frame.AsSpan(6));
        frame[12] = 0x88;
        frame[13] = 0xB5;
        return frame;
    }

    [Fact]
    public void RemovedPort_StaysOpenWhileAWorkerIsHeldOnTheOldSnapshot_AndIsClosedAfter()
    {
        _reconciler.Apply(Model("a", "b"));
        var a = _ports["a"];
        var b = _ports["b"];

        // The worker takes a frame from a and is held inside a's receive, before it floods the frame to b.
        a.HoldNextReceive();
        a.Inject(Broadcast());
        Assert.True(a.Held.Wait(TimeSpan.FromSeconds(5)), "the worker never entered a's receive");

        // b is removed while the worker is held: the publish times out, and b must stay open.
        _reconciler.Apply(Model("a"));
        Assert.False(b.Disposed);
        Assert.Equal(1, _reconciler.RetiredCount);
        _reconciler.CheckHealth();
        Assert.False(b.Disposed);

        // Released, the worker finishes its batch on the old snapshot (flooding to b), then switches.
        a.Release();
        Assert.True(SpinWait.SpinUntil(() => b.Transmitted > 0, TimeSpan.FromSeconds(5)), "the held batch never reached b");
        Assert.True(SpinWait.SpinUntil(() => { _reconciler.CheckHealth(); return b.Disposed; }, TimeSpan.FromSeconds(5)));
        Assert.Equal(0, _reconciler.RetiredCount);
        Assert.False(b.UsedAfterDispose);
        Assert.False(a.UsedAfterDispose);
    }

    [Fact]
    public void RetiredPortsOfAStoppingDaemon_AreClosedOnceTheWorkersStop()
    {
        _reconciler.Apply(Model("a", "b"));
        var a = _ports["a"];
        a.HoldNextReceive();
        a.Inject(Broadcast());
        Assert.True(a.Held.Wait(TimeSpan.FromSeconds(5)));
        _reconciler.Dispose();
        Assert.False(_ports["b"].Disposed);
        a.Release();
        _datapath.Stop();
        _reconciler.CloseRetired();
        Assert.True(_ports["a"].Disposed && _ports["b"].Disposed);
        Assert.False(_ports["b"].UsedAfterDispose);
    }

    public void Dispose()
    {
        foreach (var port in _ports.All)
        {
            port.Release();
        }
        _datapath.Stop();
        _reconciler.Dispose();
        _datapath.Dispose();
    }
}

/// <summary>Opens <c>memory:NAME</c> ports as <see cref="GatedPort"/>s and keeps them by name.</summary>
internal sealed class GatedPortType : IPortType
{
    private readonly MemoryPortType _memory = new();
    private readonly Dictionary<string, GatedPort> _ports = [];

    public GatedPort this[string name] => _ports[name];

    public IEnumerable<GatedPort> All => _ports.Values;

    public string Scheme => _memory.Scheme;

    public string Syntax => _memory.Syntax;

    public PortDevice Parse(string device) => _memory.Parse(device) with { Type = this };

    public IPort Open(PortRequest request) => _ports[request.Device["memory:".Length..]] = new GatedPort(request.Device, request.QueueCount);
}

/// <summary>
/// An in-memory port whose next receive can be made to wait until the test releases it (a worker held back), and
/// which records any use after it was disposed instead of touching freed memory.
/// </summary>
internal sealed class GatedPort(string device, int queues) : IPort
{
    private readonly InMemoryPort _inner = new(device, queues, captureTransmitted: false);
    private readonly ManualResetEventSlim _gate = new(true);
    private long _transmitted;
    private volatile bool _holdNext;
    private volatile bool _disposed;

    public string Device => device;

    public int QueueCount => queues;

    public ManualResetEventSlim Held { get; } = new(false);

    public bool Disposed => _disposed;

    public bool UsedAfterDispose { get; private set; }

    public long Transmitted => Interlocked.Read(ref _transmitted);

    public string? Failure => _inner.Failure;

    public void HoldNextReceive()
    {
        _gate.Reset();
        _holdNext = true;
    }

    public void Release() => _gate.Set();

    public void Inject(byte[] frame) => _inner.Inject(frame);

    public int GetReadyFd(int queue) => _inner.GetReadyFd(queue);

    public int Receive(int queue, PacketBatch batch, ref PortErrors errors)
    {
        if (_disposed)
        {
            UsedAfterDispose = true;
            return 0;
        }
        var n = _inner.Receive(queue, batch, ref errors);
        if (n > 0 && _holdNext)
        {
            _holdNext = false;
            Held.Set();
            _gate.Wait();
        }
        return n;
    }

    public int Transmit(int queue, PacketBatch batch, ref PortErrors errors)
    {
        if (_disposed)
        {
            UsedAfterDispose = true;
            return 0;
        }
        Interlocked.Add(ref _transmitted, batch.Count);
        return batch.Count;
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _inner.Dispose();
        }
    }
}
