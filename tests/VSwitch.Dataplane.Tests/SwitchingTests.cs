using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>The whole data path (worker threads, epoll, pipeline) over in-memory ports.</summary>
public sealed class SwitchingTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(200);

    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 2, Pin = false, MaxPorts = 16 });
    private readonly InMemoryPort[] _ports = new InMemoryPort[6];
    private long _generation;

    public SwitchingTests()
    {
        for (var i = 0; i < _ports.Length; i++)
        {
            _ports[i] = new InMemoryPort($"memory:p{i}", queueCount: 2);
        }
        _datapath.Start();
        // Ports 0-3 on network 0, ports 4-5 on network 1.
        Publish(adminUp: [true, true, true, true, true, true]);
    }

    private void Publish(bool[] adminUp)
    {
        var ports = new SwitchPort?[16];
        for (var i = 0; i < _ports.Length; i++)
        {
            ports[i] = new SwitchPort(i, $"p{i}", _ports[i], i < 4 ? 0 : 1, adminUp[i], null);
        }
        var networks = new NetworkSegment?[] { new(0, "a", [0, 1, 2, 3]), new(1, "b", [4, 5]) };
        Assert.True(_datapath.Publish(new DataplaneSnapshot(++_generation, ports, networks)));
    }

    [Fact]
    public void Broadcast_ReachesEveryOtherPortOfTheNetworkOnly()
    {
        _ports[0].Inject(Udp(Mac(1), VSwitch.Packets.MacAddress.Broadcast));
        foreach (var i in new[] { 1, 2, 3 })
        {
            Assert.True(_ports[i].TryTake(out _, s_wait), $"port {i} got nothing");
        }
        Assert.False(_ports[0].TryTake(out _, s_quiet), "the sender got its own broadcast");
        Assert.False(_ports[4].TryTake(out _, s_quiet), "a port of another network got the broadcast");
        Assert.False(_ports[5].TryTake(out _, TimeSpan.Zero));
    }

    [Fact]
    public void Unicast_AfterLearning_GoesOnlyToTheOwner()
    {
        _ports[1].Inject(Udp(Mac(11), VSwitch.Packets.MacAddress.Broadcast));
        Assert.True(_ports[0].TryTake(out _, s_wait));
        DrainAll();

        var frame = Udp(Mac(10), Mac(11), payload: 40);
        _ports[0].Inject(frame, queue: 1);
        Assert.True(_ports[1].TryTake(out var got, s_wait));
        Assert.Equal(frame, got);
        Assert.False(_ports[2].TryTake(out _, s_quiet));
        Assert.False(_ports[3].TryTake(out _, TimeSpan.Zero));
    }

    [Fact]
    public void UnknownUnicast_IsFloodedInItsNetwork()
    {
        _ports[4].Inject(Udp(Mac(40), Mac(99)));
        Assert.True(_ports[5].TryTake(out _, s_wait));
        Assert.False(_ports[0].TryTake(out _, s_quiet));
    }

    [Fact]
    public void MacMovingToAnotherPort_IsRelearned()
    {
        _ports[1].Inject(Udp(Mac(21), VSwitch.Packets.MacAddress.Broadcast));
        Assert.True(_ports[0].TryTake(out _, s_wait));
        DrainAll();
        _ports[2].Inject(Udp(Mac(21), VSwitch.Packets.MacAddress.Broadcast));
        Assert.True(_ports[0].TryTake(out _, s_wait));
        DrainAll();

        _ports[0].Inject(Udp(Mac(20), Mac(21)));
        Assert.True(_ports[2].TryTake(out _, s_wait));
        Assert.False(_ports[1].TryTake(out _, s_quiet));
    }

    [Fact]
    public void AdminDownPort_DropsBothWaysAndCountsPortDown()
    {
        Publish(adminUp: [true, false, true, true, true, true]);
        _ports[1].Inject(Udp(Mac(31), Mac(30)));
        _ports[2].Inject(Udp(Mac(32), VSwitch.Packets.MacAddress.Broadcast));
        Assert.True(_ports[0].TryTake(out _, s_wait));
        Assert.True(_ports[3].TryTake(out _, s_wait));
        Assert.False(_ports[1].TryTake(out _, s_quiet));
        WaitFor(() => _datapath.ReadDrop(1, DropReason.PortDown, Direction.Egress) == 1);
    }

    [Fact]
    public void MalformedFrame_IsDroppedAndCounted()
    {
        _ports[0].Inject(new byte[10]);
        WaitFor(() => _datapath.ReadDrop(0, DropReason.Malformed, Direction.Egress) == 1);
        Assert.False(_ports[1].TryTake(out _, s_quiet));
        Assert.Equal(1, _datapath.Read(0, PortCounter.RxPackets));
    }

    [Fact]
    public void Counters_CountReceivedAndTransmittedFramesAndBytes()
    {
        var frame = Udp(Mac(50), VSwitch.Packets.MacAddress.Broadcast, payload: 100);
        for (var i = 0; i < 100; i++)
        {
            _ports[4].Inject(frame, queue: i % 2);
        }
        WaitFor(() => _datapath.Read(5, PortCounter.TxPackets) == 100);
        Assert.Equal(100, _datapath.Read(4, PortCounter.RxPackets));
        Assert.Equal(100L * frame.Length, _datapath.Read(4, PortCounter.RxBytes));
        Assert.Equal(100L * frame.Length, _datapath.Read(5, PortCounter.TxBytes));
    }

    [Fact]
    public void FailedPort_IsSkippedWhileOthersKeepForwarding()
    {
        _ports[3].Fail("interface vanished");
        _ports[0].Inject(Udp(Mac(60), VSwitch.Packets.MacAddress.Broadcast));
        Assert.True(_ports[1].TryTake(out _, s_wait));
        Assert.True(_ports[2].TryTake(out _, s_wait));
        Assert.False(_ports[3].TryTake(out _, s_quiet));
    }

    [Fact]
    public void ResetBaseline_StartsSlotCountersFromZero()
    {
        _ports[4].Inject(Udp(Mac(70), VSwitch.Packets.MacAddress.Broadcast));
        WaitFor(() => _datapath.Read(4, PortCounter.RxPackets) == 1);
        _datapath.ResetBaseline(4);
        Assert.Equal(0, _datapath.Read(4, PortCounter.RxPackets));
    }

    private void DrainAll()
    {
        foreach (var p in _ports)
        {
            p.Drain(TimeSpan.FromMilliseconds(50));
        }
    }

    private static void WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            Thread.Sleep(10); // poll interval: worker threads update the counters, with no event to wait on
        }
    }

    public void Dispose()
    {
        _datapath.Stop();
        _datapath.Dispose();
        foreach (var p in _ports)
        {
            p.Dispose();
        }
    }
}
