using System.Buffers.Binary;
using VSwitch.Dataplane.Capture;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using VSwitch.Tests.Shared;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>vswitchctl capture's data-path half: the per-worker rings, and which frames the stages offer a capture.</summary>
public sealed class CaptureTests : IDisposable
{
    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 });
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");
    private readonly PacketBatch _batch = new(2048);

    public CaptureTests()
    {
        // a may send anything; b accepts UDP to port 2000 only (SecurityGroupLogTests' policies).
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1), SecurityGroupLogTests.Policy(1, false));
        ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2), SecurityGroupLogTests.Policy(2, true));
        _datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1], Stateful: true)], policyGeneration: 1));
        _datapath.Macs.AddStatic(0, Mac(1), 0, 0);
        _datapath.Macs.AddStatic(0, Mac(2), 1, 0);
        _datapath.Workers[0].SyncSnapshot();
    }

    public void Dispose()
    {
        _datapath.Dispose();
        _a.Dispose();
        _b.Dispose();
        _batch.Dispose();
    }

    private static byte[] UdpAToB(ushort dstPort, int payload = 18) => Udp(Mac(1), Mac(2), payload, srcPort: 1000, dstPort: dstPort);

    private void SendFromA(params byte[][] frames)
    {
        _batch.ResetForReceive();
        for (var i = 0; i < frames.Length; i++)
        {
            frames[i].CopyTo(_batch.Buffer(i));
            _batch[i].Length = frames[i].Length;
        }
        _batch.Count = frames.Length;
        var snapshot = _datapath.Publisher.Current;
        _datapath.Workers[0].ProcessBatch(snapshot, snapshot.Ports[0]!, _batch);
    }

    private static List<(CaptureRecord Record, byte[] Bytes)> Read(CaptureSession session)
    {
        var frames = new List<(CaptureRecord, byte[])>();
        while (session.TryPeek(out var record, out var bytes))
        {
            frames.Add((record, bytes.ToArray()));
            session.Advance();
        }
        return frames;
    }

    private CaptureSession Start(int slot, bool received = true, bool sent = true, bool dropsOnly = false, int capacity = 64, int snap = 2048) =>
        _datapath.StartCapture(new CaptureFilter(slot, received, sent, dropsOnly), capacity, snap)!;

    [Fact]
    public void Ring_Full_CountsTheLostFrame_KeepsOrder_AndCutsToTheSnapLength()
    {
        var ring = new CaptureRing(3, snapLength: 4);
        Assert.Equal(4, ring.Capacity);
        for (byte i = 0; i < 4; i++)
        {
            Assert.True(ring.TryWrite([i, i, i, i, i, i], 100 + i, Direction.Egress, null));
        }
        Assert.False(ring.TryWrite([9], 200, Direction.Egress, DropReason.Malformed));
        Assert.Equal(1, ring.Lost);
        Assert.True(ring.TryPeek(out var first, out var bytes));
        Assert.Equal(100, first.UnixTimeNs);
        Assert.Equal(6, first.OriginalLength);
        Assert.Equal(4, first.CapturedLength);
        Assert.Equal([0, 0, 0, 0], bytes.ToArray());
        Assert.False(first.Dropped);
        ring.Advance();
        Assert.True(ring.TryWrite([7, 7], 300, Direction.Ingress, DropReason.TxFailed));
        var rest = new List<(long Time, bool Dropped)>();
        while (ring.TryPeek(out var record, out _))
        {
            rest.Add((record.UnixTimeNs, record.Dropped));
            ring.Advance();
        }
        Assert.Equal([(101, false), (102, false), (103, false), (300, true)], rest);
        Assert.Equal(1, ring.Lost);
    }

    [Fact]
    public void Ring_TooLarge_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CaptureRing(1 << 16, 1 << 20));

    [Fact]
    public void Ring_WriteAndRead_AllocateNothing()
    {
        var ring = new CaptureRing(64, 128);
        var frame = new byte[200];
        var allocated = SteadyStateAllocation.MinimumBytes(i =>
        {
            ring.TryWrite(frame, i, Direction.Egress, i % 2 == 0 ? null : DropReason.SecurityGroup);
            if (i % 100 == 0)
            {
                while (ring.TryPeek(out _, out _))
                {
                    ring.Advance();
                }
            }
        }, iterationsPerWindow: 10_000);
        Assert.Equal(0, allocated);
        Assert.True(ring.Lost > 0);
    }

    [Fact]
    public async Task Ring_ProducerAndConsumerThreads_EveryFrameReadIsTheOneWritten()
    {
        var ring = new CaptureRing(32, 64);
        const int total = 100_000;
        var producer = Task.Run(() =>
        {
            var frame = new byte[64];
            for (var i = 0; i < total; i++)
            {
                frame.AsSpan().Fill((byte)i);
                BinaryPrimitives.WriteInt32LittleEndian(frame, i);
                while (!ring.TryWrite(frame, i, Direction.Egress, null))
                {
                    Thread.SpinWait(10);
                }
            }
        });
        var expected = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (expected < total && DateTime.UtcNow < deadline)
        {
            if (!ring.TryPeek(out var record, out var bytes))
            {
                Thread.Yield();
                continue;
            }
            Assert.Equal(expected, record.UnixTimeNs);
            Assert.Equal(expected, BinaryPrimitives.ReadInt32LittleEndian(bytes));
            Assert.Equal((byte)expected, bytes[63]);
            ring.Advance();
            expected++;
        }
        await producer;
        Assert.Equal(total, expected);
    }

    [Fact]
    public void Forwarded_TheSenderSeesItReceived_TheReceiverSeesItSent()
    {
        using var atA = new Stopping(_datapath, Start(0));
        using var atB = new Stopping(_datapath, Start(1));
        var frame = UdpAToB(2000);
        SendFromA(frame);

        var a = Assert.Single(Read(atA.Session));
        Assert.Equal(Direction.Egress, a.Record.Direction);
        Assert.False(a.Record.Dropped);
        Assert.Equal(frame, a.Bytes);
        var b = Assert.Single(Read(atB.Session));
        Assert.Equal(Direction.Ingress, b.Record.Direction);
        Assert.Equal(frame, b.Bytes);
        Assert.True(b.Record.UnixTimeNs >= a.Record.UnixTimeNs);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(a.Record.UnixTimeNs / 1_000_000), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
    }

    [Fact]
    public void Direction_TakesOnlyTheFramesOfThatWay()
    {
        using var inOnly = new Stopping(_datapath, Start(1, received: true, sent: false));
        using var outOnly = new Stopping(_datapath, Start(1, received: false, sent: true));
        SendFromA(UdpAToB(2000));
        Assert.Empty(Read(inOnly.Session));
        Assert.Single(Read(outOnly.Session));
    }

    [Fact]
    public void Drops_CarryTheirReason_OnThePortWhoseCounterCountsThem()
    {
        using var aDrops = new Stopping(_datapath, Start(0, dropsOnly: true));
        using var bDrops = new Stopping(_datapath, Start(1, dropsOnly: true));
        var denied = UdpAToB(3000);
        var malformed = UdpAToB(2000)[..20];
        SendFromA(UdpAToB(2000), denied, malformed);

        // b's ingress rules refused the UDP to 3000: its drop, toward b.
        var atB = Assert.Single(Read(bDrops.Session));
        Assert.True(atB.Record.Dropped);
        Assert.Equal(DropReason.SecurityGroup, atB.Record.Reason);
        Assert.Equal(Direction.Ingress, atB.Record.Direction);
        Assert.Equal(denied, atB.Bytes);
        // The truncated frame a sent is a's malformed drop; the allowed frame is in neither capture.
        var atA = Assert.Single(Read(aDrops.Session));
        Assert.Equal(DropReason.Malformed, atA.Record.Reason);
        Assert.Equal(Direction.Egress, atA.Record.Direction);
        Assert.Equal(malformed, atA.Bytes);
        Assert.Equal(1, _datapath.ReadDrop(1, DropReason.SecurityGroup, Direction.Ingress));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.Malformed, Direction.Egress));
    }

    [Fact]
    public void BothWays_WithDrops_AFrameTheSwitchDroppedIsMarked()
    {
        using var atB = new Stopping(_datapath, Start(1));
        SendFromA(UdpAToB(2000), UdpAToB(3000));
        var frames = Read(atB.Session);
        Assert.Equal(2, frames.Count);
        // The drop is recorded when b's rules refuse it, the sent frame when b's batch is flushed after the stage.
        Assert.Equal([true, false], frames.Select(f => f.Record.Dropped));
        Assert.Equal(DropReason.SecurityGroup, frames[0].Record.Reason);
    }

    [Fact]
    public void FullRing_CountsTheLoss_AndForwardingGoesOn()
    {
        using var atA = new Stopping(_datapath, Start(0, capacity: 2));
        SendFromA(UdpAToB(2000), UdpAToB(2000), UdpAToB(2000), UdpAToB(2000), UdpAToB(2000));
        Assert.Equal(2, Read(atA.Session).Count);
        Assert.Equal(3, atA.Session.Lost);
        Assert.Equal(5, _datapath.Read(1, PortCounter.TxPackets));
        Assert.Equal(5, _b.Drain(TimeSpan.FromMilliseconds(50)).Count);
    }

    [Fact]
    public void SnapLength_CutsTheBytes_KeepsTheLength()
    {
        using var atA = new Stopping(_datapath, Start(0, snap: 60));
        SendFromA(UdpAToB(2000, payload: 400));
        var frame = Assert.Single(Read(atA.Session));
        Assert.Equal(60, frame.Bytes.Length);
        Assert.Equal(14 + 20 + 8 + 400, frame.Record.OriginalLength);
    }

    [Fact]
    public void Stopped_TakesNothingMore_AndOnlyMaxCapturesRunAtOnce()
    {
        var session = Start(0);
        _datapath.StopCapture(session);
        SendFromA(UdpAToB(2000));
        Assert.Empty(Read(session));
        Assert.Equal(0, _datapath.CaptureCount);

        var running = Enumerable.Range(0, Datapath.MaxCaptures).Select(_ => Start(0)).ToList();
        Assert.Null(_datapath.StartCapture(new CaptureFilter(0, true, true, false), 4, 64));
        _datapath.StopCapture(running[0]);
        Assert.NotNull(_datapath.StartCapture(new CaptureFilter(0, true, true, false), 4, 64));
    }

    [Fact]
    public void Trace_IsNeverCaptured()
    {
        using var atA = new Stopping(_datapath, Start(0));
        _datapath.Trace(0, UdpAToB(3000));
        Assert.Empty(Read(atA.Session));
    }

    /// <summary>Stops the capture when the test ends.</summary>
    private sealed class Stopping(Datapath datapath, CaptureSession session) : IDisposable
    {
        public CaptureSession Session { get; } = session;

        public void Dispose() => datapath.StopCapture(Session);
    }
}
