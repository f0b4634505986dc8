using Microsoft.Extensions.Time.Testing;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using VSwitch.Packets.Ndp;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// Unsolicited router advertisements (Worker.PeriodicAdvertisements.cs): every 30 to 100 s, as Neutron's radvd, to
/// all nodes on each port the switch advertises to, and on no other port.
/// </summary>
public sealed class PeriodicAdvertisementTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new();
    private readonly Datapath _datapath;
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");

    public PeriodicAdvertisementTests()
    {
        _datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 4, BufferSize = 2048 }, _clock);
        var settings = new RouterAdvertisementSettings(new MacAddress(0xFA163E000009), [(0x2001_0DB8_0070_0000UL, true)], false, false, true, 1500);
        var ports = new SwitchPort?[4];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1)) { RouterAdvertisement = settings };
        ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2));
        _datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1])]));
    }

    public void Dispose()
    {
        _datapath.Dispose();
        _a.Dispose();
        _b.Dispose();
    }

    private unsafe void Poll()
    {
        var events = stackalloc VSwitch.Interop.epoll_event[4];
        _datapath.Workers[0].PollOnce(events, 4, 0);
    }

    [Fact]
    public void AnAdvertisementGoesToAllNodes_WithinNeutronsInterval_OnlyOnAdvertisedPorts()
    {
        Poll();
        _clock.Advance(TimeSpan.FromMilliseconds(Worker.MinAdvertisementIntervalMs - 1000));
        Poll();
        Assert.Empty(_a.Drain(TimeSpan.FromMilliseconds(20)));

        _clock.Advance(TimeSpan.FromMilliseconds(Worker.MaxAdvertisementIntervalMs - Worker.MinAdvertisementIntervalMs + 1000));
        Poll();
        var ra = Assert.Single(_a.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(ParseError.None, PacketParser.Parse(ra, out var p));
        Assert.Equal(((ushort)134, new MacAddress(0x3333_0000_0001UL), new IpAddress128(0xFF02_0000_0000_0000UL, 1)), (p.SourcePort, p.EthDestination, p.IpDestination));
        Assert.Equal(0, _b.TransmittedCount);
        Assert.Equal(1, _datapath.Read(WorkerCounter.RouterAdvertisements));

        // The next one waits its own interval.
        Poll();
        Assert.Empty(_a.Drain(TimeSpan.FromMilliseconds(20)));
        _clock.Advance(TimeSpan.FromMilliseconds(Worker.MaxAdvertisementIntervalMs + 1));
        Poll();
        Assert.Single(_a.Drain(TimeSpan.FromMilliseconds(20)));
    }
}
