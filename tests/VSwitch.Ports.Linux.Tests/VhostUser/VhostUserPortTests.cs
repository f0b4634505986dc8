using System.Buffers.Binary;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using VSwitch.Packets.Offloads;
using VSwitch.Ports.Linux.Tests.VhostUser.Frontend;
using VSwitch.Ports.Linux.VhostUser;
using VSwitch.Tests.Shared;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>
/// The switch's vhost-user back-end (<see cref="VhostUserPort"/>) against the independent test front-end: frames both
/// ways in every ring layout the front-end can make, offloads, queue pairs, both modes and reconnection, and guests that
/// break their rings. The test thread plays the worker (it calls Receive and Transmit on the port's queues).
/// </summary>
public sealed unsafe class VhostUserPortTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vswitch-vhost-");
    private readonly PacketBatch _rx = new(PacketBatch.DefaultBufferSize);
    private readonly PacketBatch _tx = new(PacketBatch.DefaultBufferSize);
    private readonly List<IDisposable> _owned = [];

    private string Socket(string name = "vm") => Path.Combine(_dir.FullName, name + ".sock");

    private VhostUserPort OpenPort(int queues = 1, VhostUserMode mode = VhostUserMode.Server, string name = "vm", TimeSpan? stallTimeout = null)
    {
        var port = VhostUserPort.Open(VhostUserDevice.Parse($"vhostuser:{Socket(name)}{(mode == VhostUserMode.Client ? "?mode=client" : "")}"), queues, stallTimeout);
        _owned.Add(port);
        return port;
    }

    private VirtioTestFrontend Guest(FrontendOptions options, string name = "vm")
    {
        var vm = VirtioTestFrontend.Connect(Socket(name), options);
        _owned.Add(vm);
        vm.Start();
        return vm;
    }

    private static void WaitRunning(VhostUserPort port, int pairs) =>
        Assert.True(SpinWait.SpinUntil(() => port.ActiveQueuePairs == pairs, s_wait), $"{port.ActiveQueuePairs} of {pairs} queue pairs run; {string.Join(", ", port.Details)}");

    private static byte[] Frame(int length, int seed)
    {
        var frame = new byte[length];
        for (var i = 0; i < length; i++)
        {
            frame[i] = (byte)((i * 31) + seed);
        }
        // A plausible Ethernet header: unicast destination, the switch only copies the bytes.
        frame[0] = 0x02;
        frame[6] = 0x02;
        return frame;
    }

    /// <summary>Receives from the guest on <paramref name="queue"/> until <paramref name="count"/> frames came.</summary>
    private List<(byte[] Frame, VirtioNetHeader Header)> FromGuest(VhostUserPort port, int queue, int count)
    {
        var got = new List<(byte[], VirtioNetHeader)>();
        var errors = default(PortErrors);
        var deadline = DateTime.UtcNow + s_wait;
        while (got.Count < count && DateTime.UtcNow < deadline)
        {
            _rx.ResetForReceive();
            var n = port.Receive(queue, _rx, ref errors);
            for (var i = 0; i < n; i++)
            {
                got.Add((_rx[i].Span.ToArray(), _rx[i].Vnet));
            }
            if (n == 0)
            {
                Thread.Sleep(1); // the test front-end sends from its own thread; poll the ring until the deadline
            }
        }
        return got;
    }

    /// <summary>Transmits <paramref name="frames"/> to the guest on <paramref name="queue"/>; returns how many the port took.</summary>
    private int ToGuest(VhostUserPort port, int queue, IReadOnlyList<byte[]> frames, VirtioNetHeader vnet = default)
    {
        var sent = 0;
        var errors = default(PortErrors);
        for (var start = 0; start < frames.Count; start += PacketBatch.MaxSize)
        {
            _tx.ResetForReceive();
            foreach (var f in frames.Skip(start).Take(PacketBatch.MaxSize))
            {
                f.CopyTo(_tx.Buffer(_tx.Count));
                _tx[_tx.Count].Length = f.Length;
                _tx[_tx.Count].Vnet = vnet;
                _tx.Count++;
            }
            sent += port.Transmit(queue, _tx, ref errors);
        }
        return sent;
    }

    private static List<byte[]> Receive(VirtioTestFrontend vm, int pair, int count, out List<VirtioNetHeader> headers)
    {
        var frames = new List<byte[]>();
        headers = [];
        while (frames.Count < count && vm.TryReceive(pair, out var frame, out var header, TimeSpan.FromSeconds(5)))
        {
            frames.Add(frame);
            headers.Add(header);
        }
        return frames;
    }

    public static TheoryData<string, ulong, bool, bool, int, int> Layouts => new()
    {
        { "modern, mergeable", FrontendOptions.Modern, false, false, 1, 0 },
        { "no mergeable buffers", FrontendOptions.Modern & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_MRG_RXBUF), false, false, 1, 0 },
        { "legacy 10-byte header", FrontendOptions.Bit(LibC.VIRTIO_RING_F_INDIRECT_DESC) | FrontendOptions.ProtocolFeatures, false, false, 1, 0 },
        { "split descriptors, 3 regions", FrontendOptions.Modern, true, false, 3, 0 },
        { "indirect tables", FrontendOptions.Modern, false, true, 1, 0 },
        { "split and indirect, 2 regions", FrontendOptions.Modern, true, true, 2, 0 },
        { "256-byte mergeable buffers", FrontendOptions.Modern, false, false, 1, 256 },
        { "no protocol features", FrontendOptions.Modern & ~FrontendOptions.ProtocolFeatures, false, false, 1, 0 },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Frames_CrossBothWays_ByteForByte_InEveryRingLayout(string layout, ulong features, bool split, bool indirect, int regions, int rxBuffer)
    {
        var port = OpenPort();
        var vm = Guest(new FrontendOptions(features, Regions: regions, SplitDescriptors: split, UseIndirect: indirect, RxBufferSize: rxBuffer));
        WaitRunning(port, 1);
        // Without mergeable buffers or guest TSO the guest posts 1,518-byte buffers: larger frames cannot go to it.
        var big = (features & (FrontendOptions.Bit(LibC.VIRTIO_NET_F_MRG_RXBUF) | FrontendOptions.Bit(LibC.VIRTIO_NET_F_GUEST_TSO4))) != 0;
        var sizes = new[] { 60, 64, 128, 1000, 1514, 2000, 9014 };
        var frames = Enumerable.Range(0, 140).Select(i => Frame(big ? sizes[i % sizes.Length] : Math.Min(1514, sizes[i % sizes.Length]), i)).ToList();

        // Guest to switch, a batch at a time (the test thread is the worker that drains the ring).
        var received = new List<(byte[] Frame, VirtioNetHeader Header)>();
        for (var start = 0; start < frames.Count; start += 20)
        {
            var chunk = frames.Skip(start).Take(20).ToList();
            chunk.ForEach(f => vm.Send(0, f));
            received.AddRange(FromGuest(port, 0, chunk.Count));
        }
        Assert.True(frames.Count == received.Count, $"{layout}: {received.Count} of {frames.Count} frames from the guest");
        Assert.Equal(frames, received.Select(r => r.Frame));
        Assert.True(SpinWait.SpinUntil(() => vm.CompletedSends(0) == frames.Count, s_wait), $"{layout}: {vm.CompletedSends(0)} sends completed");

        // Switch to guest, in batches no larger than the guest's receive buffers.
        var delivered = new List<byte[]>();
        for (var start = 0; start < frames.Count; start += 16)
        {
            var chunk = frames.Skip(start).Take(16).ToList();
            Assert.Equal(chunk.Count, ToGuest(port, 0, chunk));
            delivered.AddRange(Receive(vm, 0, chunk.Count, out var headers));
            Assert.All(headers, h => Assert.Equal(default, h));
        }
        Assert.Equal(frames, delivered);
    }

    [Fact]
    public void FrameLargerThanANonMergeableBuffer_IsNotDelivered_AndTheBufferStaysTheGuests()
    {
        var port = OpenPort();
        var vm = Guest(new FrontendOptions(FrontendOptions.Modern & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_MRG_RXBUF)
            & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_GUEST_TSO4) & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_GUEST_TSO6)));
        WaitRunning(port, 1);
        Assert.Equal(0, ToGuest(port, 0, [Frame(4000, 1)]));
        Assert.Equal(1, ToGuest(port, 0, [Frame(1000, 2)]));
        Assert.Equal(Frame(1000, 2), Assert.Single(Receive(vm, 0, 1, out _)));
        Assert.Equal("1", port.Details["ring_full_drops"]);
    }

    [Fact]
    public void GuestThatStopsTakingFrames_TakesItsPortDown_UntilItTakesOneAgain()
    {
        var port = OpenPort(stallTimeout: TimeSpan.FromSeconds(1));
        var vm = Guest(new FrontendOptions(FrontendOptions.Modern));
        WaitRunning(port, 1);
        var frames = Enumerable.Range(0, vm.RxBuffersPerRing + 8).Select(i => Frame(100, i)).ToList();
        Assert.Equal(vm.RxBuffersPerRing, ToGuest(port, 0, frames));     // the ring fills; the guest reads nothing
        Assert.Null(port.LinkDown);                                       // full, but not for long yet
        Thread.Sleep(1200); // the stall is a span of time: it must outlast the port's timeout (1 s here)
        Assert.Equal(0, ToGuest(port, 0, [Frame(100, 99)]));
        Assert.Contains("receive ring 0 stays full", port.LinkDown);

        // A full ring that still takes frames now and then is a slow guest, not a stalled one.
        Assert.Equal(frames.Take(vm.RxBuffersPerRing), Receive(vm, 0, vm.RxBuffersPerRing, out _));
        Assert.Equal(1, ToGuest(port, 0, [Frame(100, 100)]));
        Assert.Null(port.LinkDown);
        Assert.Equal(Frame(100, 100), Assert.Single(Receive(vm, 0, 1, out _)));
    }

    [Fact]
    public void FramesTooLargeForTheGuestsBuffers_AreNotAStall_WhileItsRingHasRoom()
    {
        var port = OpenPort(stallTimeout: TimeSpan.FromMilliseconds(200));
        Guest(new FrontendOptions(FrontendOptions.Modern & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_MRG_RXBUF)
            & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_GUEST_TSO4) & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_GUEST_TSO6)));
        WaitRunning(port, 1);
        Assert.Equal(0, ToGuest(port, 0, [Frame(4000, 1)]));
        Thread.Sleep(300); // longer than the port's stall timeout (200 ms): a stall, had one started, would show now
        Assert.Equal(0, ToGuest(port, 0, [Frame(4000, 2)]));
        Assert.Null(port.LinkDown);
    }

    [Fact]
    public void GuestWithoutChecksumOffload_GetsCompleteChecksums_AndOneWithItGetsThePartialOne()
    {
        var partial = PartialUdp(out var start, out var offset);
        var vnet = new VirtioNetHeader { Flags = VirtioNetHeader.NeedsChecksum, ChecksumStart = (ushort)start, ChecksumOffset = (ushort)offset };

        var plainPort = OpenPort(name: "plain");
        var plain = Guest(new FrontendOptions(FrontendOptions.Modern & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_GUEST_CSUM)), "plain");
        WaitRunning(plainPort, 1);
        Assert.Equal(1, ToGuest(plainPort, 0, [partial], vnet));
        var got = Assert.Single(Receive(plain, 0, 1, out var headers));
        Assert.Equal(0, headers[0].Flags);
        var expected = (byte[])partial.Clone();
        Assert.True(InternetChecksum.Complete(expected, start, offset));
        Assert.Equal(expected, got);
        Assert.NotEqual(partial, got);

        var csumPort = OpenPort(name: "csum");
        var csum = Guest(new FrontendOptions(FrontendOptions.Modern), "csum");
        WaitRunning(csumPort, 1);
        Assert.Equal(1, ToGuest(csumPort, 0, [partial], vnet));
        Assert.Equal(partial, Assert.Single(Receive(csum, 0, 1, out headers)));
        Assert.Equal((VirtioNetHeader.NeedsChecksum, (ushort)start, (ushort)offset), (headers[0].Flags, headers[0].ChecksumStart, headers[0].ChecksumOffset));
    }

    [Fact]
    public void GsoFrame_GoesWholeToAGuestWithTso_AndInSegmentsToOneWithout()
    {
        var superFrame = TcpSuperFrame(20_000, out var vnet);

        var tsoPort = OpenPort(name: "tso");
        var tso = Guest(new FrontendOptions(FrontendOptions.Modern), "tso");
        WaitRunning(tsoPort, 1);
        Assert.Equal(1, ToGuest(tsoPort, 0, [superFrame], vnet));
        Assert.Equal(superFrame, Assert.Single(Receive(tso, 0, 1, out var headers)));
        Assert.Equal((vnet.GsoType, vnet.GsoSize), (headers[0].GsoType, headers[0].GsoSize));

        var plainPort = OpenPort(name: "plain");
        var plain = Guest(new FrontendOptions(FrontendOptions.Modern & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_GUEST_TSO4)
            & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_GUEST_TSO6) & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_GUEST_CSUM)), "plain");
        WaitRunning(plainPort, 1);
        Assert.Equal(1, ToGuest(plainPort, 0, [superFrame], vnet));
        var segments = Receive(plain, 0, 14, out headers);
        Assert.Equal(14, segments.Count);
        Assert.All(headers, h => Assert.Equal(default, h));
        Assert.All(segments, s => Assert.True(s.Length <= 14 + 20 + 20 + 1448));
        Assert.False(plain.TryReceive(0, out _, out _, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public void GuestOffloadsItDidNotNegotiate_AreRefusedAsReceiveErrors()
    {
        var port = OpenPort();
        var vm = Guest(new FrontendOptions(FrontendOptions.Modern & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_HOST_TSO4) & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_CSUM)));
        WaitRunning(port, 1);
        vm.Send(0, Frame(200, 1), new VirtioNetHeader { GsoType = VirtioNetHeader.GsoTcpV4, GsoSize = 100 });
        vm.Send(0, Frame(200, 2), new VirtioNetHeader { Flags = VirtioNetHeader.NeedsChecksum });
        vm.Send(0, Frame(200, 3));
        var errors = default(PortErrors);
        var got = new List<byte[]>();
        Assert.True(SpinWait.SpinUntil(() =>
        {
            _rx.ResetForReceive();
            var n = port.Receive(0, _rx, ref errors);
            got.AddRange(Enumerable.Range(0, n).Select(i => _rx[i].Span.ToArray()));
            return got.Count == 1 && errors.RxErrors == 2;
        }, s_wait), $"{got.Count} frames, {errors.RxErrors} errors");
        Assert.Equal(Frame(200, 3), got[0]);
    }

    [Fact]
    public void TwoQueuePairs_EachWorkerItsOwnPair_AndAThirdWorkerSharesOne()
    {
        var port = OpenPort(queues: 3);
        var vm = Guest(new FrontendOptions(FrontendOptions.Modern, QueuePairs: 2));
        WaitRunning(port, 2);
        for (var pair = 0; pair < 2; pair++)
        {
            vm.Send(pair, Frame(100, pair));
            var got = Assert.Single(FromGuest(port, pair, 1));
            Assert.Equal(Frame(100, pair), got.Frame);
        }
        Assert.Empty(FromGuestNow(port, 2));
        for (var queue = 0; queue < 3; queue++)
        {
            Assert.Equal(1, ToGuest(port, queue, [Frame(300, 10 + queue)]));
        }
        // Worker 2 has no pair of its own: it writes into one of the two (under that ring's lock).
        var arrived = Receive(vm, 0, 2, out _).Concat(Receive(vm, 1, 2, out _)).ToList();
        Assert.Equal(3, arrived.Count);
        Assert.Contains(Frame(300, 12), arrived);
    }

    private List<byte[]> FromGuestNow(VhostUserPort port, int queue)
    {
        _rx.ResetForReceive();
        var errors = default(PortErrors);
        var n = port.Receive(queue, _rx, ref errors);
        return [.. Enumerable.Range(0, n).Select(i => _rx[i].Span.ToArray())];
    }

    [Fact]
    public void ServerMode_WithoutFrontEnd_IsLinkDown_ThenAnotherFrontEndTakesTheSocketAfterOneLeaves()
    {
        var port = OpenPort();
        Assert.NotNull(port.LinkDown);
        var errors = default(PortErrors);
        _tx.ResetForReceive();
        _tx[0].Length = 60;
        _tx.Count = 1;
        Assert.Equal(0, port.Transmit(0, _tx, ref errors));
        Assert.Equal(1, errors.TxLinkDown);

        var first = Guest(new FrontendOptions(FrontendOptions.Modern));
        WaitRunning(port, 1);
        Assert.Null(port.LinkDown);
        first.Send(0, Frame(100, 1));
        Assert.Single(FromGuest(port, 0, 1));
        first.Disconnect();
        Assert.True(SpinWait.SpinUntil(() => port.LinkDown is not null, s_wait));
        Assert.Equal("the front-end disconnected", port.Details["last_error"]);

        var second = Guest(new FrontendOptions(FrontendOptions.Modern));
        WaitRunning(port, 1);
        second.Send(0, Frame(100, 2));
        Assert.Equal(Frame(100, 2), Assert.Single(FromGuest(port, 0, 1)).Frame);
        Assert.Equal(1, ToGuest(port, 0, [Frame(80, 3)]));
        Assert.Equal(Frame(80, 3), Assert.Single(Receive(second, 0, 1, out _)));
        Assert.Equal(2, port.Connections);
    }

    [Fact]
    public void ClientMode_ConnectsWhenTheVmListens_AndReconnectsAfterItRestarts()
    {
        var port = OpenPort(mode: VhostUserMode.Client);
        Assert.Equal("client", port.Details["mode"]);
        Assert.NotNull(port.LinkDown);
        for (var round = 0; round < 2; round++)
        {
            var vm = VirtioTestFrontend.Listen(Socket(), new FrontendOptions(FrontendOptions.Modern), s_wait);
            _owned.Add(vm);
            // Connected, but the driver has not started its rings: still no link (a VM that is still booting).
            Assert.True(SpinWait.SpinUntil(() => port.Connected, s_wait));
            Assert.Contains("has not started the rings", port.LinkDown);
            vm.Start();
            WaitRunning(port, 1);
            Assert.Null(port.LinkDown);
            vm.Send(0, Frame(100, round));
            Assert.Equal(Frame(100, round), Assert.Single(FromGuest(port, 0, 1)).Frame);
            Assert.Equal(1, ToGuest(port, 0, [Frame(90, round)]));
            Assert.Equal(Frame(90, round), Assert.Single(Receive(vm, 0, 1, out _)));
            vm.Disconnect();
            Assert.True(SpinWait.SpinUntil(() => port.LinkDown is not null, s_wait));
        }
        // A reconnection may race a front-end's close (connect, then refused): at least one per VM start.
        Assert.True(port.Connections >= 2);
    }

    [Fact]
    public void GetVringBase_StopsTheRingAtTheGuestsPosition()
    {
        var port = OpenPort();
        var vm = Guest(new FrontendOptions(FrontendOptions.Modern));
        WaitRunning(port, 1);
        for (var i = 0; i < 5; i++)
        {
            vm.Send(0, Frame(64, i));
        }
        Assert.Equal(5, FromGuest(port, 0, 5).Count);
        Assert.Equal(5u, vm.GetVringBase(1));
        Assert.True(SpinWait.SpinUntil(() => port.ActiveQueuePairs == 0, s_wait));
        vm.Send(0, Frame(64, 9));
        Thread.Sleep(50); // time for a ring that (wrongly) still ran to take the frame: the assertion is that none came
        Assert.Empty(FromGuestNow(port, 0));
    }

    public static TheoryData<string, string> GuestMistakes => new()
    {
        { "head beyond the ring", "beyond the ring" },
        { "avail index jumps", "more than the ring" },
        { "descriptor loop", "loop" },
        { "next beyond the ring", "beyond the ring's" },
        { "address outside memory", "outside the guest's memory" },
        { "writable buffer in a transmit chain", "device-writable" },
        { "nested indirect table", "indirect table inside" },
        { "indirect table outside memory", "outside the guest's memory" },
        { "indirect table of a partial descriptor", "not whole descriptors" },
    };

    [Theory]
    [MemberData(nameof(GuestMistakes))]
    public void GuestThatBreaksItsTransmitRing_LosesThePort_NeverTheSwitch(string mistake, string reason)
    {
        var port = OpenPort();
        var vm = Guest(new FrontendOptions(FrontendOptions.Modern));
        WaitRunning(port, 1);
        var ring = vm.Ring(1);
        var memory = vm.Memory;
        var buffer = memory.Allocate(256);
        var heads = ring.TakeDescriptors(2);
        var d = ring.Descriptors;
        switch (mistake)
        {
            case "head beyond the ring":
                ring.PostRaw((ushort)(ring.Size + 3));
                break;
            case "avail index jumps":
                ring.PostRaw(heads[0], (ushort)(ring.Size + 1));
                break;
            case "descriptor loop":
                d[heads[0]] = new vring_desc { addr = buffer, len = 64, flags = LibC.VRING_DESC_F_NEXT, next = heads[1] };
                d[heads[1]] = new vring_desc { addr = buffer, len = 64, flags = LibC.VRING_DESC_F_NEXT, next = heads[0] };
                ring.PostRaw(heads[0]);
                break;
            case "next beyond the ring":
                d[heads[0]] = new vring_desc { addr = buffer, len = 64, flags = LibC.VRING_DESC_F_NEXT, next = (ushort)(ring.Size + 1) };
                ring.PostRaw(heads[0]);
                break;
            case "address outside memory":
                d[heads[0]] = new vring_desc { addr = memory.AddressOutsideEveryRegion, len = 64 };
                ring.PostRaw(heads[0]);
                break;
            case "writable buffer in a transmit chain":
                d[heads[0]] = new vring_desc { addr = buffer, len = 64, flags = LibC.VRING_DESC_F_WRITE };
                ring.PostRaw(heads[0]);
                break;
            case "nested indirect table":
                {
                    var table = memory.Allocate(32);
                    var inner = memory.Span(table, 32);
                    BinaryPrimitives.WriteUInt64LittleEndian(inner, table);
                    BinaryPrimitives.WriteUInt32LittleEndian(inner.Slice(8), 16);
                    BinaryPrimitives.WriteUInt16LittleEndian(inner.Slice(12), LibC.VRING_DESC_F_INDIRECT);
                    d[heads[0]] = new vring_desc { addr = table, len = 16, flags = LibC.VRING_DESC_F_INDIRECT };
                    ring.PostRaw(heads[0]);
                    break;
                }
            case "indirect table outside memory":
                d[heads[0]] = new vring_desc { addr = memory.AddressOutsideEveryRegion, len = 64, flags = LibC.VRING_DESC_F_INDIRECT };
                ring.PostRaw(heads[0]);
                break;
            default:
                d[heads[0]] = new vring_desc { addr = buffer, len = 20, flags = LibC.VRING_DESC_F_INDIRECT };
                ring.PostRaw(heads[0]);
                break;
        }
        ring.Kick();
        var errors = default(PortErrors);
        Assert.True(SpinWait.SpinUntil(() =>
        {
            _rx.ResetForReceive();
            port.Receive(0, _rx, ref errors);
            return port.Failure is not null;
        }, s_wait), $"{mistake}: the port did not fail");
        Assert.StartsWith("guest error: ring 1: ", port.Failure);
        Assert.Contains(reason, port.Failure);
        Assert.Equal("failed", port.Details["frontend"]);
        // A failed port is never touched again: both directions answer at once, nothing is read or written.
        _rx.ResetForReceive();
        Assert.Equal(0, port.Receive(0, _rx, ref errors));
        Assert.Equal(0, ToGuest(port, 0, [Frame(64, 1)]));
    }

    [Fact]
    public void GuestThatPutsAReadOnlyBufferInItsReceiveRing_LosesThePort()
    {
        var port = OpenPort();
        // Large receive buffers: fewer of them than descriptors, so the test can post one of its own.
        var vm = Guest(new FrontendOptions(FrontendOptions.Modern, RxBufferSize: 65536));
        WaitRunning(port, 1);
        var ring = vm.Ring(0);
        Assert.True(ring.FreeDescriptors > 0);
        var head = ring.TakeDescriptors(1)[0];
        ring.Descriptors[head] = new vring_desc { addr = vm.Memory.Allocate(2048), len = 2048 };
        ring.PostRaw(head);
        // The valid buffers the guest posted come first; the read-only one after them.
        var frames = Enumerable.Range(0, vm.RxBuffersPerRing + 1).Select(i => Frame(64, i)).ToList();
        ToGuest(port, 0, frames);
        Assert.NotNull(port.Failure);
        Assert.Contains("device-readable", port.Failure);
    }

    [Fact]
    public void FrontEndThatBreaksTheProtocol_LosesItsConnection_AndTheNextOneWorks()
    {
        var port = OpenPort();
        var bad = VirtioTestFrontend.Connect(Socket(), new FrontendOptions(FrontendOptions.Modern));
        _owned.Add(bad);
        try
        {
            bad.SendRaw(new VhostUserMessage(Frontend.VhostUserRequest.SetVringNum, VhostUserFlags.Version, State(0, 100)), expectReply: false);
        }
        catch (IOException)
        {
            // The back-end may close the connection before the frontend has looked at it: the outcome this test wants.
        }
        Assert.True(SpinWait.SpinUntil(() => port.Details.TryGetValue("last_error", out var e) && e.Contains("power of two"), s_wait), string.Join(", ", port.Details));
        var good = Guest(new FrontendOptions(FrontendOptions.Modern));
        WaitRunning(port, 1);
        good.Send(0, Frame(64, 1));
        Assert.Single(FromGuest(port, 0, 1));
        Assert.Null(port.Failure);
    }

    private static byte[] State(uint index, uint num)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, index);
        BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), num);
        return payload;
    }

    [Fact]
    public void SteadyState_ReceiveAndTransmit_AllocateNothing()
    {
        var port = OpenPort();
        var vm = Guest(new FrontendOptions(FrontendOptions.Modern));
        WaitRunning(port, 1);
        var frame = Frame(64, 1);
        var errors = default(PortErrors);
        _tx.ResetForReceive();
        frame.CopyTo(_tx.Buffer(0));
        _tx[0].Length = frame.Length;
        _tx.Count = 1;
        var allocated = SteadyStateAllocation.MinimumBytes(_ =>
        {
            _rx.ResetForReceive();
            port.Receive(0, _rx, ref errors);
            port.Transmit(0, _tx, ref errors);
        }, iterationsPerWindow: 200);
        Assert.Equal(0, allocated);
        _ = vm;
    }

    /// <summary>An Ethernet + IPv4 frame of <paramref name="length"/> bytes from 198.18.0.1 to 198.18.0.2 (IP checksum left 0).</summary>
    private static byte[] Ipv4Frame(int length, byte protocol)
    {
        var frame = new byte[length];
        frame[0] = 0x02;
        frame[6] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Ipv4);
        frame[14] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)(frame.Length - 14));
        frame[22] = 64;
        frame[23] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(26), 0xC612_0001);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(30), 0xC612_0002);
        return frame;
    }

    private static byte[] PartialUdp(out int start, out int offset)
    {
        var frame = Ipv4Frame(14 + 20 + 8 + 100, IpProtocol.Udp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34), 4000);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(36), 53);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(38), 108);
        for (var i = 42; i < frame.Length; i++)
        {
            frame[i] = (byte)i;
        }
        PacketParser.Parse(frame, out var p);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(40), InternetChecksum.Fold(InternetChecksum.PseudoHeader(in p, IpProtocol.Udp, 108)));
        start = 34;
        offset = 6;
        return frame;
    }

    private static byte[] TcpSuperFrame(int payload, out VirtioNetHeader vnet)
    {
        var frame = Ipv4Frame(14 + 20 + 20 + payload, IpProtocol.Tcp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(36), 80);
        frame[46] = 0x50;
        frame[47] = TcpFlags.Ack | TcpFlags.Psh;
        PacketParser.Parse(frame, out var p);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(50), InternetChecksum.Fold(InternetChecksum.PseudoHeader(in p, IpProtocol.Tcp, 20 + payload)));
        vnet = new VirtioNetHeader
        {
            Flags = VirtioNetHeader.NeedsChecksum, GsoType = VirtioNetHeader.GsoTcpV4, GsoSize = 1448, HeaderLength = 54, ChecksumStart = 34, ChecksumOffset = 16,
        };
        return frame;
    }

    public void Dispose()
    {
        foreach (var d in Enumerable.Reverse(_owned))
        {
            d.Dispose();
        }
        _rx.Dispose();
        _tx.Dispose();
        _dir.Delete(recursive: true);
    }
}
