using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;
using VSwitch.Tests.Shared;

namespace VSwitch.Dataplane.Tests;

/// <summary>The security-group log's data-path half: the per-worker ring and the events the stages put on it.</summary>
public sealed class SecurityGroupLogTests : IDisposable
{
    private readonly Datapath _datapath;
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");
    private readonly PacketBatch _batch = new(2048);

    public SecurityGroupLogTests() : this(4096)
    {
    }

    private SecurityGroupLogTests(int ringSize) =>
        _datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64, SecurityGroupLogRingSize = ringSize });

    public void Dispose()
    {
        _datapath.Dispose();
        _a.Dispose();
        _b.Dispose();
        _batch.Dispose();
    }

    private SecurityGroupLogRing Ring => _datapath.Workers[0].SecurityGroupLog;

    /// <summary>Stateful policies: a may send anything, b accepts UDP to port 2000 only (ingress rule slot 10, egress slots 20).</summary>
    internal static PortPolicy Policy(int host, bool ingressUdp2000) => new(
        new PortAddresses([(Mac(host), IpAddress128.FromIpv4(0xC612_0000u | (uint)host), 32)]),
        Stateful: true,
        ClassifierCompiler.Compile(ingressUdp2000 ? [new ClassifierRule(0, false, 17, 2000, 2000, -1, -1, default, 0)] : []),
        ClassifierCompiler.Compile([new ClassifierRule(0, false, -1, -1, -1, -1, -1, default, 0)]),
        ingressUdp2000 ? [10] : [],
        [20]);

    private void Publish(SecurityGroupLogging a, SecurityGroupLogging b)
    {
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1), Policy(1, false), a);
        ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2), Policy(2, true), b);
        _datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1], Stateful: true)], policyGeneration: 1));
        _datapath.Macs.AddStatic(0, Mac(1), 0, 0);
        _datapath.Macs.AddStatic(0, Mac(2), 1, 0);
        _datapath.Workers[0].SyncSnapshot();
    }

    private static byte[] UdpAToB(ushort srcPort, ushort dstPort) => Udp(Mac(1), Mac(2), srcPort: srcPort, dstPort: dstPort);

    private void SendFromA(byte[] frame)
    {
        _batch.ResetForReceive();
        frame.CopyTo(_batch.Buffer(0));
        _batch[0].Length = frame.Length;
        _batch.Count = 1;
        var snapshot = _datapath.Publisher.Current;
        _datapath.Workers[0].ProcessBatch(snapshot, snapshot.Ports[0]!, _batch);
    }

    private SecurityGroupLogEvent[] DrainAll()
    {
        var events = new SecurityGroupLogEvent[Ring.Capacity];
        return events[..Ring.Drain(events)];
    }

    [Fact]
    public void Event_IsSixtyFourBytes() => Assert.Equal(SecurityGroupLogEvent.Size, Unsafe.SizeOf<SecurityGroupLogEvent>());

    [Fact]
    public void Ring_Full_RefusesWithoutOverwriting_ThenDrainsInOrder()
    {
        var ring = new SecurityGroupLogRing(3);
        Assert.Equal(4, ring.Capacity);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(ring.TryWrite(new SecurityGroupLogEvent { PortSlot = i }));
        }
        Assert.False(ring.TryWrite(new SecurityGroupLogEvent { PortSlot = 99 }));
        var out2 = new SecurityGroupLogEvent[2];
        Assert.Equal(2, ring.Drain(out2));
        Assert.Equal([0, 1], out2.Select(e => e.PortSlot));
        Assert.True(ring.TryWrite(new SecurityGroupLogEvent { PortSlot = 4 }));
        var rest = new SecurityGroupLogEvent[8];
        Assert.Equal(3, ring.Drain(rest));
        Assert.Equal([2, 3, 4], rest.Take(3).Select(e => e.PortSlot));
        Assert.Equal(0, ring.Drain(rest));
    }

    [Fact]
    public void Ring_WriteAndDrain_AllocateNothing()
    {
        var ring = new SecurityGroupLogRing(64);
        var buffer = new SecurityGroupLogEvent[16];
        var item = new SecurityGroupLogEvent { PortSlot = 1 };
        for (var i = 0; i < 1000; i++)
        {
            ring.TryWrite(in item);
            ring.Drain(buffer);
        }
        var refused = 0;
        // The minimum over windows: a one-off allocation of the runtime (a tier-up on this thread) is not the ring's.
        var allocated = SteadyStateAllocation.MinimumBytes(i =>
        {
            refused += ring.TryWrite(in item) ? 0 : 1;
            if (i % 100 == 0)
            {
                ring.Drain(buffer);
            }
        }, iterationsPerWindow: 10_000);
        Assert.Equal(0, allocated);
        Assert.True(refused > 0);
    }

    [Fact]
    public async Task Ring_ProducerAndConsumerThreads_LoseNothingTheyAccepted()
    {
        var ring = new SecurityGroupLogRing(64);
        const int total = 200_000;
        var accepted = 0;
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < total; i++)
            {
                while (!ring.TryWrite(new SecurityGroupLogEvent { RuleSlot = i }))
                {
                    Thread.SpinWait(10);
                }
                accepted++;
            }
        });
        var buffer = new SecurityGroupLogEvent[32];
        var expected = 0;
        while (expected < total)
        {
            var n = ring.Drain(buffer);
            for (var i = 0; i < n; i++)
            {
                Assert.Equal(expected++, buffer[i].RuleSlot);
            }
        }
        await producer;
        Assert.Equal(total, accepted);
    }

    [Fact]
    public void NewAllowedConnection_LogsAcceptOnBothEnds_Once()
    {
        Publish(SecurityGroupLogging.Accept | SecurityGroupLogging.Drop, SecurityGroupLogging.Accept | SecurityGroupLogging.Drop);
        SendFromA(UdpAToB(1000, 2000));
        SendFromA(UdpAToB(1000, 2000));
        var events = DrainAll();
        Assert.Equal(2, events.Length);
        Assert.All(events, e => Assert.Equal(SecurityGroupLogAction.Accept, e.Action));
        Assert.Equal((0, Direction.Egress, 20), (events[0].PortSlot, events[0].Direction, events[0].RuleSlot));
        Assert.Equal((1, Direction.Ingress, 10), (events[1].PortSlot, events[1].Direction, events[1].RuleSlot));
        Assert.Equal((IpProtocol.Udp, (ushort)1000, (ushort)2000), (events[0].Protocol, events[0].SourcePort, events[0].DestinationPort));
        Assert.Equal(IpAddress128.FromIpv4(0xC612_0001), events[0].Source);
        Assert.InRange(events[0].UnixTimeMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1);
    }

    [Fact]
    public void DeniedPacket_LogsDropOnlyWhereDropIsLogged_AndTraceLogsNothing()
    {
        Publish(SecurityGroupLogging.Accept, SecurityGroupLogging.Drop);
        SendFromA(UdpAToB(1000, 2001));
        var events = DrainAll();
        var drop = Assert.Single(events);
        Assert.Equal((SecurityGroupLogAction.Drop, 1, Direction.Ingress, DropReason.SecurityGroup, -1),
            (drop.Action, drop.PortSlot, drop.Direction, drop.Reason, drop.RuleSlot));

        // Allowed: a logs its ACCEPT, b (DROP only) does not.
        SendFromA(UdpAToB(1001, 2000));
        Assert.Equal(0, Assert.Single(DrainAll()).PortSlot);

        var trace = _datapath.Trace(0, UdpAToB(1002, 2001));
        Assert.Equal(0, Ring.Count);
        Assert.NotNull(trace);
    }

    [Fact]
    public void NothingLogged_WhenFlagsAreClear()
    {
        Publish(SecurityGroupLogging.None, SecurityGroupLogging.None);
        SendFromA(UdpAToB(1000, 2000));
        SendFromA(UdpAToB(1000, 2001));
        Assert.Equal(0, Ring.Count);
    }

    [Fact]
    public void FullRing_DropsEventsAndCountsThem_ForwardingUnaffected()
    {
        using var small = new SecurityGroupLogTests(4);
        small.Publish(SecurityGroupLogging.None, SecurityGroupLogging.Drop);
        for (ushort i = 0; i < 10; i++)
        {
            small.SendFromA(UdpAToB((ushort)(3000 + i), 2001));
        }
        small.SendFromA(UdpAToB(1000, 2000));
        Assert.Equal(4, small.Ring.Count);
        Assert.Equal(6, small._datapath.Read(WorkerCounter.SecurityGroupLogDropped));
        Assert.Equal(10, small._datapath.ReadDrop(1, DropReason.SecurityGroup, Direction.Ingress));
        Assert.Equal(1, small._b.TransmittedCount);
    }

    /// <summary>Sends <paramref name="n"/> frames at once from a (for the allocation test).</summary>
    internal static void Fill(PacketBatch batch, int n, int round)
    {
        batch.ResetForReceive();
        for (var i = 0; i < n; i++)
        {
            var span = batch.Buffer(i);
            var frame = s_template;
            frame.CopyTo(span);
            // Half the frames open new allowed connections (ACCEPT on both ends), half are denied (DROP at b).
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(14 + 20), (ushort)(1024 + ((round * n) + i) % 60000));
            BinaryPrimitives.WriteUInt16BigEndian(span.Slice(14 + 20 + 2), (ushort)(i % 2 == 0 ? 2000 : 2001));
            batch[i].Length = frame.Length;
        }
        batch.Count = n;
    }

    private static readonly byte[] s_template = UdpAToB(1000, 2000);
}
