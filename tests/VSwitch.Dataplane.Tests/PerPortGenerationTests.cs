using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// Per-port policy generations through the worker pipeline: a change of one port's policy re-checks that port's cached
/// verdicts and connections only; address sets are read from the snapshot.
/// </summary>
public sealed class PerPortGenerationTests : IDisposable
{
    private static readonly IpAddress128 s_ipA = IpAddress128.FromIpv4(0xC612_0001);
    private static readonly IpAddress128 s_ipB = IpAddress128.FromIpv4(0xC612_0002);
    private static readonly IpAddress128 s_ipC = IpAddress128.FromIpv4(0xC612_0003);

    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 });
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");
    private readonly InMemoryPort _c = new("memory:c");
    private readonly PacketBatch _batch = new(2048);
    private long _snapshot;

    private static PortPolicy Policy(IpAddress128 ip, MacAddress mac, bool stateful, params ClassifierRule[] ingress) => new(
        new PortAddresses([(mac, ip, 32)]),
        stateful,
        ClassifierCompiler.Compile(ingress),
        ClassifierCompiler.Compile([new ClassifierRule(0, false, -1, -1, -1, -1, -1, default, 0)]),
        ingress.Select(r => 10 + r.Index).Distinct().ToArray(),
        [20]);

    private static ClassifierRule UdpFromSet(int set) => new(0, false, 17, 2000, 2000, -1, -1, default, 0, set);

    private void Publish(bool stateful, PortPolicy a, PortPolicy b, PortPolicy c, long generation, long[] portGenerations, AddressSet?[]? sets = null)
    {
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1), a);
        ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2), b);
        ports[2] = new SwitchPort(2, "c", _c, 0, true, Mac(3), c);
        _datapath.Publish(new DataplaneSnapshot(++_snapshot, ports, [new NetworkSegment(0, "n", [0, 1, 2], stateful)], generation, portGenerations, sets));
        _datapath.Macs.AddStatic(0, Mac(1), 0, 0);
        _datapath.Macs.AddStatic(0, Mac(2), 1, 0);
        _datapath.Macs.AddStatic(0, Mac(3), 2, 0);
        _datapath.Workers[0].SyncSnapshot();
    }

    /// <summary>Sends one UDP frame a → b; returns whether b transmitted it.</summary>
    private bool SendAToB()
    {
        var before = _b.TransmittedCount;
        var frame = Udp(Mac(1), Mac(2));
        _batch.ResetForReceive();
        frame.CopyTo(_batch.Buffer(0));
        _batch[0].Length = frame.Length;
        _batch.Count = 1;
        var snapshot = _datapath.Publisher.Current;
        _datapath.Workers[0].ProcessBatch(snapshot, snapshot.Ports[0]!, _batch);
        return _b.TransmittedCount > before;
    }

    private static AddressSet Set(params IpAddress128[] hosts) => AddressSet.Build(hosts.Select(h => new AddressSet.Member(h, 128, false)));

    [Fact]
    public void AnotherPortsChange_KeepsTheCachedVerdicts_AndTheChangedPortsAreRechecked()
    {
        var a = Policy(s_ipA, Mac(1), false);
        var b = Policy(s_ipB, Mac(2), false, UdpFromSet(0));
        var c = Policy(s_ipC, Mac(3), false);
        Publish(false, a, b, c, 1, [1, 1, 1], [Set(s_ipA)]);
        Assert.True(SendAToB());
        Assert.True(SendAToB());
        var misses = _datapath.Read(WorkerCounter.FlowCacheMisses);
        var hits = _datapath.Read(WorkerCounter.FlowCacheHits);

        // Only c changed: a's and b's cached verdicts stay valid.
        Publish(false, a, b, Policy(s_ipC, Mac(3), false, UdpFromSet(0)), 2, [1, 1, 2], [Set(s_ipA)]);
        Assert.True(SendAToB());
        Assert.Equal(misses, _datapath.Read(WorkerCounter.FlowCacheMisses));
        Assert.Equal(hits + 2, _datapath.Read(WorkerCounter.FlowCacheHits));

        // a leaves the set b's rule names: b's generation moves, its verdict is recomputed and now refuses.
        Publish(false, a, b, c, 3, [1, 3, 2], [Set(s_ipC)]);
        Assert.False(SendAToB());
        Assert.Equal(1, _datapath.ReadDrop(1, DropReason.SecurityGroup, Direction.Ingress));
        Assert.Equal(misses + 1, _datapath.Read(WorkerCounter.FlowCacheMisses));

        // A set that is missing from the snapshot holds nothing.
        Publish(false, a, b, c, 4, [1, 4, 2], []);
        Assert.False(SendAToB());
    }

    [Fact]
    public void Connections_AreRecheckedOnlyWhenOneOfTheirPortsChanged()
    {
        var a = Policy(s_ipA, Mac(1), true);
        var b = Policy(s_ipB, Mac(2), true, UdpFromSet(0));
        var c = Policy(s_ipC, Mac(3), true);
        Publish(true, a, b, c, 1, [1, 1, 1], [Set(s_ipA)]);
        Assert.True(SendAToB());
        Assert.True(SendAToB());
        Assert.Equal(0, _datapath.Read(WorkerCounter.ConntrackRevalidated));

        Publish(true, a, b, Policy(s_ipC, Mac(3), true, UdpFromSet(0)), 2, [1, 1, 2], [Set(s_ipA)]);
        Assert.True(SendAToB());
        Assert.Equal(0, _datapath.Read(WorkerCounter.ConntrackRevalidated));

        // b's set still holds a: the connection is re-checked once and kept.
        Publish(true, a, b, c, 3, [1, 3, 2], [Set(s_ipA, s_ipC)]);
        Assert.True(SendAToB());
        Assert.True(SendAToB());
        Assert.Equal(1, _datapath.Read(WorkerCounter.ConntrackRevalidated));

        // a leaves b's set: the connection is cut at its next packet.
        Publish(true, a, b, c, 4, [1, 4, 2], [Set(s_ipC)]);
        Assert.False(SendAToB());
        Assert.Equal(1, _datapath.Read(WorkerCounter.ConntrackRevoked));
    }

    public void Dispose()
    {
        _batch.Dispose();
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
        _datapath.Dispose();
    }
}
