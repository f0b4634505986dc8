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
    public unsafe void ProcessBatch_Snat_AllocatesNothing()
    {
        // Connections leaving through a router's SNAT (bindings found and, at first, created) and their replies coming back.
        using var datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048 });
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var o = new InMemoryPort("memory:o", 1, captureTransmitted: false);
        var inside = new MacAddress(0xFA16_3E00_0001UL);
        var outside = new MacAddress(0xFA16_3E00_0002UL);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", a, 0, true, Mac(1));
        ports[1] = new SwitchPort(1, "o", o, 1, true, Mac(2));
        var if0 = new Routing.RouterInterface(0, 0, inside, 0xC612_0101, []);
        var if1 = new Routing.RouterInterface(0, 1, outside, 0xC613_0002, []);
        var router = new Routing.LogicalRouter(0, "r", true, [if0, if1],
            [new(IpAddress128.FromIpv4(0xC612_0100), 120, 0, default), new(IpAddress128.FromIpv4(0xC613_0000), 120, 1, default)],
            [new(IpAddress128.FromIpv4(0xC612_010A), new Routing.Neighbor(0, Mac(1))), new(IpAddress128.FromIpv4(0xC613_000A), new Routing.Neighbor(1, Mac(2)))])
        {
            GatewayInterface = 1,
            SnatIpv4 = 0xC613_0002,
            NatZone = Conntrack.ConnTable.NatZone(1),
        };
        datapath.Publish(new DataplaneSnapshot(1, ports,
            [new NetworkSegment(0, "n0", [0], Stateful: true) { RouterInterfaces = [if0] }, new NetworkSegment(1, "ext", [1]) { RouterInterfaces = [if1] }])
        {
            Routers = [router],
        });
        var worker = datapath.Workers[0];
        var events = stackalloc VSwitch.Interop.epoll_event[4];
        worker.PollOnce(events, 4, 0);

        using var batch = new PacketBatch(2048);
        var outward = new byte[PacketBatch.MaxSize][];
        var inward = new byte[PacketBatch.MaxSize][];
        for (var i = 0; i < PacketBatch.MaxSize; i++)
        {
            outward[i] = RoutingTests.Ipv4(Mac(1), inside, 0xC612_010A, 0xC613_000A, IpProtocol.Udp, RoutingTests.UdpL4((ushort)(5000 + i), 53));
            inward[i] = RoutingTests.Ipv4(Mac(2), outside, 0xC613_000A, 0xC613_0002, IpProtocol.Udp, RoutingTests.UdpL4(53, (ushort)(5000 + i)));
        }
        void Run(byte[][] frames, int slot)
        {
            batch.ResetForReceive();
            for (var i = 0; i < PacketBatch.MaxSize; i++)
            {
                frames[i].CopyTo(batch.Buffer(i));
                batch[i].Length = frames[i].Length;
            }
            batch.Count = PacketBatch.MaxSize;
            worker.ProcessBatch(datapath.Publisher.Current, ports[slot]!, batch);
        }
        for (var i = 0; i < 100; i++)
        {
            Run(outward, 0);
            Run(inward, 1);
        }
        var allocated = SteadyStateAllocation.MinimumBytes(_ =>
        {
            Run(outward, 0);
            Run(inward, 1);
        });
        Assert.Equal(0, allocated);
        Assert.True(a.TransmittedCount > 0 && o.TransmittedCount > 0);
        // a has no groups: only the bindings are tracked, one per flow.
        Assert.Equal(PacketBatch.MaxSize, datapath.Conntrack.Count);
        a.Dispose();
        o.Dispose();
    }

    [Fact]
    public unsafe void ProcessBatch_Routing_AllocatesNothing()
    {
        // Routed frames, ARP and pings answered by the router, and ICMP errors (TTL, no route): all on reused buffers.
        using var datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048 });
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:b", 1, captureTransmitted: false);
        var router0 = new MacAddress(0xFA16_3E00_0001UL);
        var router1 = new MacAddress(0xFA16_3E00_0002UL);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", a, 0, true, Mac(1));
        ports[1] = new SwitchPort(1, "b", b, 1, true, Mac(2));
        var if0 = new Routing.RouterInterface(0, 0, router0, 0xC612_0101, []);
        var if1 = new Routing.RouterInterface(0, 1, router1, 0xC612_0201, []);
        var router = new Routing.LogicalRouter(0, "r", true, [if0, if1],
            [new(IpAddress128.FromIpv4(0xC612_0100), 120, 0, default), new(IpAddress128.FromIpv4(0xC612_0200), 120, 1, default)],
            [new(IpAddress128.FromIpv4(0xC612_010A), new Routing.Neighbor(0, Mac(1))), new(IpAddress128.FromIpv4(0xC612_0214), new Routing.Neighbor(1, Mac(2)))]);
        datapath.Publish(new DataplaneSnapshot(1, ports,
            [new NetworkSegment(0, "n0", [0]) { RouterInterfaces = [if0] }, new NetworkSegment(1, "n1", [1]) { Zone = 0, RouterInterfaces = [if1] }])
        {
            Routers = [router],
        });
        var worker = datapath.Workers[0];
        var events = stackalloc VSwitch.Interop.epoll_event[4];
        worker.PollOnce(events, 4, 0);

        using var batch = new PacketBatch(2048);
        var frames = new[]
        {
            RoutingTests.Ipv4(Mac(1), router0, 0xC612_010A, 0xC612_0214, IpProtocol.Udp, RoutingTests.UdpL4(1000, 53)),
            RoutingTests.Ipv4(Mac(1), router0, 0xC612_010A, 0xC612_0214, IpProtocol.Udp, RoutingTests.UdpL4(1000, 53), ttl: 1),
            RoutingTests.Ipv4(Mac(1), router0, 0xC612_010A, 0xC612_6309, IpProtocol.Udp, RoutingTests.UdpL4(1000, 53)),
            RoutingTests.Ipv4(Mac(1), router0, 0xC612_010A, 0xC612_0201, IpProtocol.Icmp, RoutingTests.EchoL4()),
            RoutingTests.ArpRequest(Mac(1), 0xC612_010A, 0xC612_0101),
        };
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
            worker.ProcessBatch(datapath.Publisher.Current, ports[0]!, batch);
        }
        var allocated = SteadyStateAllocation.MinimumBytes(_ =>
        {
            Fill();
            worker.ProcessBatch(datapath.Publisher.Current, ports[0]!, batch);
        });
        Assert.Equal(0, allocated);
        Assert.True(b.TransmittedCount > 0);
        Assert.True(datapath.Read(WorkerCounter.RouterIcmpErrors) > 0);
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public unsafe void ProcessBatch_WithFragments_AllocatesNothing()
    {
        // Fragments in order and reversed, and orphans that fill the hold and are then dropped, then replayed.
        var (datapath, a, b, sender, worker) = TwoPortsOnOneNetwork();
        using var owner = datapath;
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
            worker.ProcessBatch(datapath.Publisher.Current, sender, batch);
        }
        var allocated = SteadyStateAllocation.MinimumBytes(i =>
        {
            Fill(i);
            worker.ProcessBatch(datapath.Publisher.Current, sender, batch);
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
        var (datapath, a, b, sender, worker) = TwoPortsOnOneNetwork(SecurityGroupLogging.Accept | SecurityGroupLogging.Drop, securityGroupLogRingSize: 256);
        using var owner = datapath;
        var drained = new SecurityGroupLogEvent[64];

        using var batch = new PacketBatch(2048);
        for (var i = 0; i < 100; i++)
        {
            SecurityGroupLogTests.Fill(batch, PacketBatch.MaxSize, i);
            worker.ProcessBatch(datapath.Publisher.Current, sender, batch);
            worker.SecurityGroupLog.Drain(drained);
        }
        var allocated = SteadyStateAllocation.MinimumBytes(i =>
        {
            SecurityGroupLogTests.Fill(batch, PacketBatch.MaxSize, 100 + i);
            worker.ProcessBatch(datapath.Publisher.Current, sender, batch);
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

    [Fact]
    public unsafe void ProcessBatch_WithCapturesRunning_AllocatesNothing()
    {
        var (datapath, a, b, sender, worker) = TwoPortsOnOneNetwork();
        using var owner = datapath;
        // Every frame a sends, every frame b is sent, and b's drops; a small ring so that the loop also loses frames.
        var atA = datapath.StartCapture(new Capture.CaptureFilter(0, true, true, false), 64, 256)!;
        var atB = datapath.StartCapture(new Capture.CaptureFilter(1, true, true, false), 64, 256)!;
        var bDrops = datapath.StartCapture(new Capture.CaptureFilter(1, true, true, true), 64, 256)!;
        void ReadSome()
        {
            foreach (var session in (ReadOnlySpan<Capture.CaptureSession>)[atA, atB, bDrops])
            {
                for (var k = 0; k < 16 && session.TryPeek(out _, out _); k++)
                {
                    session.Advance();
                }
            }
        }

        using var batch = new PacketBatch(2048);
        for (var i = 0; i < 100; i++)
        {
            SecurityGroupLogTests.Fill(batch, PacketBatch.MaxSize, i);
            worker.ProcessBatch(datapath.Publisher.Current, sender, batch);
            ReadSome();
        }
        var allocated = SteadyStateAllocation.MinimumBytes(i =>
        {
            SecurityGroupLogTests.Fill(batch, PacketBatch.MaxSize, 100 + i);
            worker.ProcessBatch(datapath.Publisher.Current, sender, batch);
            if (i % 4 == 0)
            {
                ReadSome();
            }
        });
        Assert.Equal(0, allocated);
        Assert.True(b.TransmittedCount > 0);
        Assert.True(atA.Lost > 0 && atB.Lost > 0 && bDrops.Lost > 0);
        a.Dispose();
        b.Dispose();
    }

    /// <summary>
    /// Ports a and b on one stateful network with <see cref="SecurityGroupLogTests.Policy"/>'s rules (b admits UDP to
    /// port 2000) and <paramref name="logging"/>, the worker polled once.
    /// </summary>
    private static unsafe (Datapath Datapath, InMemoryPort A, InMemoryPort B, SwitchPort Sender, Worker Worker) TwoPortsOnOneNetwork(
        SecurityGroupLogging logging = SecurityGroupLogging.None, int securityGroupLogRingSize = SecurityGroupLogRing.DefaultCapacity)
    {
        var datapath = new Datapath(new DatapathOptions
        {
            Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64, SecurityGroupLogRingSize = securityGroupLogRingSize,
        });
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:b", 1, captureTransmitted: false);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", a, 0, true, Mac(1), SecurityGroupLogTests.Policy(1, false), logging);
        ports[1] = new SwitchPort(1, "b", b, 0, true, Mac(2), SecurityGroupLogTests.Policy(2, true), logging);
        datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1], Stateful: true)], policyGeneration: 1));
        datapath.Macs.AddStatic(0, Mac(1), 0, 0);
        datapath.Macs.AddStatic(0, Mac(2), 1, 0);
        var worker = datapath.Workers[0];
        var events = stackalloc VSwitch.Interop.epoll_event[4];
        worker.PollOnce(events, 4, 0);
        return (datapath, a, b, ports[0]!, worker);
    }
}
