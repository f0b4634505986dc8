using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;
using VSwitch.Tests.Shared;

namespace VSwitch.Dataplane.Tests;

/// <summary>The allocation gate's fast form: the pipeline must not allocate per batch in steady state.</summary>
public sealed class ZeroAllocationTests
{
    [Fact]
    public unsafe void ProcessBatch_SteadyState_AllocatesNothing()
    {
        using var datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048 });
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:b", 1, captureTransmitted: false);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", a, 0, true, null);
        ports[1] = new SwitchPort(1, "b", b, 0, true, null);
        datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1])]));
        var worker = datapath.Workers[0];
        var events = stackalloc VSwitch.Interop.epoll_event[4];
        worker.PollOnce(events, 4, 0);

        using var batch = new PacketBatch(2048);
        var frames = new[] { Udp(Mac(1), Mac(2)), Udp(Mac(2), Mac(1)), Udp(Mac(1), MacAddress.Broadcast), new byte[5] };
        void Fill()
        {
            batch.ResetForReceive();
            for (var i = 0; i < PacketBatch.MaxSize; i++)
            {
                var f = frames[i % frames.Length];
                f.CopyTo(batch.Buffer(i));
                batch[i].Length = f.Length;
            }
            batch.Count = PacketBatch.MaxSize;
        }
        for (var i = 0; i < 100; i++)
        {
            Fill();
            worker.ProcessBatch(datapath.Publisher.Current, ports[i % 2]!, batch);
        }
        var allocated = SteadyStateAllocation.MinimumBytes(i =>
        {
            Fill();
            worker.ProcessBatch(datapath.Publisher.Current, ports[i % 2]!, batch);
        });
        Assert.Equal(0, allocated);
        Assert.True(b.TransmittedCount > 0);
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public unsafe void ProcessBatch_WithFragments_AllocatesNothing()
    {
        // Fragments in order and reversed, and orphans that fill the hold and are then dropped, then replayed.
        using var datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 });
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:b", 1, captureTransmitted: false);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", a, 0, true, Mac(1), SecurityGroupLogTests.Policy(1, false));
        ports[1] = new SwitchPort(1, "b", b, 0, true, Mac(2), SecurityGroupLogTests.Policy(2, true));
        datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1], Stateful: true)], policyGeneration: 1));
        datapath.Macs.AddStatic(0, Mac(1), 0, 0);
        datapath.Macs.AddStatic(0, Mac(2), 1, 0);
        var worker = datapath.Workers[0];
        var events = stackalloc VSwitch.Interop.epoll_event[4];
        worker.PollOnce(events, 4, 0);
        var from = IpAddress128.FromIpv4(0xC612_0001);
        var to = IpAddress128.FromIpv4(0xC612_0002);
        var frames = new List<byte[]>();
        for (var d = 0; d < 8; d++)
        {
            var fragments = FragmentFrames.Fragment(FragmentFrames.UdpDatagram(false, from, to, 40000, 2000, 1200), Mac(1), Mac(2), 400, (uint)d);
            if (d % 2 == 1)
            {
                fragments.Reverse();
            }
            frames.AddRange(fragments);
        }
        using var batch = new PacketBatch(2048);
        void Fill(int round)
        {
            batch.ResetForReceive();
            for (var i = 0; i < PacketBatch.MaxSize; i++)
            {
                var f = frames[i % frames.Count];
                f.CopyTo(batch.Buffer(i));
                batch[i].Length = f.Length;
            }
            // An orphan later fragment per batch: held until the hold is full, then dropped.
            var orphan = frames[1];
            orphan.CopyTo(batch.Buffer(0));
            batch[0].Length = orphan.Length;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(batch.Buffer(0).Slice(14 + 4), (ushort)(1000 + round));
            batch.Count = PacketBatch.MaxSize;
        }
        for (var i = 0; i < 100; i++)
        {
            Fill(i);
            worker.ProcessBatch(datapath.Publisher.Current, ports[0]!, batch);
        }
        var allocated = SteadyStateAllocation.MinimumBytes(i =>
        {
            Fill(i);
            worker.ProcessBatch(datapath.Publisher.Current, ports[0]!, batch);
            worker.ReplayHeld();
        });
        Assert.Equal(0, allocated);
        Assert.True(datapath.Read(WorkerCounter.FragmentsMatched) > 0);
        Assert.True(datapath.Read(1, PortCounter.TxPackets) > 0);
        Assert.True(datapath.ReadDrop(0, DropReason.Fragment, Direction.Egress) > 0);
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public unsafe void ProcessBatch_WithSecurityGroupLogging_AllocatesNothing()
    {
        // A small ring so that the measured loop also runs the "ring full: count and drop" path.
        using var datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64, SecurityGroupLogRingSize = 256 });
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:b", 1, captureTransmitted: false);
        var all = SecurityGroupLogging.Accept | SecurityGroupLogging.Drop;
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", a, 0, true, Mac(1), SecurityGroupLogTests.Policy(1, false), all);
        ports[1] = new SwitchPort(1, "b", b, 0, true, Mac(2), SecurityGroupLogTests.Policy(2, true), all);
        datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1], Stateful: true)], policyGeneration: 1));
        datapath.Macs.AddStatic(0, Mac(1), 0, 0);
        datapath.Macs.AddStatic(0, Mac(2), 1, 0);
        var worker = datapath.Workers[0];
        var events = stackalloc VSwitch.Interop.epoll_event[4];
        worker.PollOnce(events, 4, 0);
        var drained = new SecurityGroupLogEvent[64];

        using var batch = new PacketBatch(2048);
        for (var i = 0; i < 100; i++)
        {
            SecurityGroupLogTests.Fill(batch, PacketBatch.MaxSize, i);
            worker.ProcessBatch(datapath.Publisher.Current, ports[0]!, batch);
            worker.SecurityGroupLog.Drain(drained);
        }
        var allocated = SteadyStateAllocation.MinimumBytes(i =>
        {
            SecurityGroupLogTests.Fill(batch, PacketBatch.MaxSize, 100 + i);
            worker.ProcessBatch(datapath.Publisher.Current, ports[0]!, batch);
            if (i % 4 == 0)
            {
                worker.SecurityGroupLog.Drain(drained);
            }
        });
        Assert.Equal(0, allocated);
        Assert.True(b.TransmittedCount > 0);
        Assert.True(datapath.Read(WorkerCounter.SecurityGroupLogDropped) > 0);
        a.Dispose();
        b.Dispose();
    }
}
