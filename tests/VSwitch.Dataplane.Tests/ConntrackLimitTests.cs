using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// Per-port connection limits through the worker pipeline (<see cref="SwitchPort.ConntrackLimit"/>): a port at its limit
/// cannot open more connections, nor be opened to, while its admitted connections and other ports carry on; the drop
/// is <c>conntrack_full</c> on the port that is full, and the trace names the limit.
/// </summary>
public sealed class ConntrackLimitTests : IDisposable
{
    private static readonly IpAddress128 s_ipA = IpAddress128.FromIpv4(0xC612_0001);
    private static readonly IpAddress128 s_ipB = IpAddress128.FromIpv4(0xC612_0002);

    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 });
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");
    private readonly InMemoryPort _c = new("memory:c");
    private readonly PacketBatch _batch = new(2048);
    private long _snapshot;

    private static readonly ClassifierRule s_any = new(0, false, -1, -1, -1, -1, -1, default, 0);

    // Every port allows everything, statefully; c sends from a's address (the test frames' source) with its own MAC.
    private static PortPolicy Policy(IpAddress128 ip, MacAddress mac) =>
        new(new PortAddresses([(mac, ip, 32)]), true, ClassifierCompiler.Compile([s_any]), ClassifierCompiler.Compile([s_any]), [10], [20]);

    private void Publish(int limitA, int limitB)
    {
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1), Policy(s_ipA, Mac(1))) { ConntrackLimit = limitA };
        ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2), Policy(s_ipB, Mac(2))) { ConntrackLimit = limitB };
        ports[2] = new SwitchPort(2, "c", _c, 0, true, Mac(3), Policy(s_ipA, Mac(3)));
        _datapath.Publish(new DataplaneSnapshot(++_snapshot, ports, [new NetworkSegment(0, "n", [0, 1, 2], true)], 1));
        for (var i = 0; i < 3; i++)
        {
            _datapath.Macs.AddStatic(0, Mac(i + 1), i, 0);
        }
        _datapath.Workers[0].SyncSnapshot();
    }

    /// <summary>Sends one UDP frame from <paramref name="slot"/> to b; returns whether b transmitted it.</summary>
    private bool SendToB(int slot, ushort sourcePort)
    {
        var before = _b.TransmittedCount;
        SendOne(_datapath, _batch, slot, Udp(Mac(slot + 1), Mac(2), srcPort: sourcePort));
        return _b.TransmittedCount > before;
    }

    [Fact]
    public void ASenderAtItsLimit_CannotOpenMore_ButItsConnectionsAndOtherPortsCarryOn()
    {
        Publish(limitA: 2, limitB: 0);
        Assert.True(SendToB(0, 1000));
        Assert.True(SendToB(0, 1001));
        Assert.False(SendToB(0, 1002));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.ConntrackFull, Direction.Egress));
        Assert.Equal(2, _datapath.Conntrack.PortConnections(0));

        Assert.True(SendToB(0, 1000));
        Assert.True(SendToB(0, 1001));
        Assert.True(SendToB(2, 3000));
        Assert.Equal(3, _datapath.Conntrack.PortConnections(1));

        var trace = _datapath.Trace(0, Udp(Mac(1), Mac(2), srcPort: 1003));
        Assert.False(trace.Allowed);
        Assert.Equal(DropReason.ConntrackFull, trace.DropReason);
        Assert.Contains(trace.Steps, s => s.Stage == "egress" && s.Detail.Contains("conntrack_limit 2", StringComparison.Ordinal));

        // A connection that leaves the table gives its place back.
        _datapath.Conntrack.RemoveWhere(c => c.SourcePort == 1000);
        Assert.True(SendToB(0, 1002));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.ConntrackFull, Direction.Egress));
    }

    [Fact]
    public void AReceiverAtItsLimit_CannotBeOpenedTo_AndTheDropIsItsIngress()
    {
        Publish(limitA: 0, limitB: 2);
        Assert.True(SendToB(0, 1000));
        Assert.True(SendToB(2, 3000));
        Assert.False(SendToB(2, 3001));
        Assert.False(SendToB(0, 1001));
        Assert.Equal(2, _datapath.ReadDrop(1, DropReason.ConntrackFull, Direction.Ingress));
        Assert.Equal(0, _datapath.ReadDrop(0, DropReason.ConntrackFull, Direction.Egress));
        Assert.Equal(0, _datapath.ReadDrop(2, DropReason.ConntrackFull, Direction.Egress));
        Assert.Equal((1, 2, 1), (_datapath.Conntrack.PortConnections(0), _datapath.Conntrack.PortConnections(1), _datapath.Conntrack.PortConnections(2)));

        var trace = _datapath.Trace(2, Udp(Mac(3), Mac(2), srcPort: 3002));
        Assert.Equal(DropReason.ConntrackFull, trace.DropReason);
        Assert.Contains(trace.Steps, s => s.Stage == "ingress" && s.Port == 1);

        // Raising the limit lets new connections in at once.
        Publish(limitA: 0, limitB: 3);
        Assert.True(SendToB(2, 3001));
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
