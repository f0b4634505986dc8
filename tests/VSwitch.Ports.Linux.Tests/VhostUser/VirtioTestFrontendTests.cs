using System.Runtime.InteropServices;
using VSwitch.Interop;
using VSwitch.Packets;
using VSwitch.Ports.Linux.Tests.VhostUser.Frontend;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>
/// The frontend's session without a real back-end: the handshake against a scripted back-end (order, flags, payloads,
/// fds, refusals), and the driver side against a device played in this process (TX chains, RX buffers, merging).
/// </summary>
public sealed unsafe class VirtioTestFrontendTests
{
    private const ulong LogAll = 1UL << LibC.VHOST_F_LOG_ALL;

    private static readonly ulong s_backendFeatures = FrontendOptions.Modern | LogAll | FrontendOptions.Bit(LibC.VIRTIO_NET_F_CTRL_VQ);

    private static readonly ulong s_backendProtocol =
        (1UL << VhostUserProtocolFeature.Mq) | (1UL << VhostUserProtocolFeature.ReplyAck) | (1UL << VhostUserProtocolFeature.Config);

    [Fact]
    public void Start_SendsQemusSequenceWithReplyAckAndTheRightPayloadsAndFds()
    {
        var options = new FrontendOptions(FrontendOptions.Modern, QueuePairs: 2, RingSize: 64, MemoryMiB: 4, Regions: 2);
        using var session = Session.Start(options);
        var (frontend, backend) = (session.Frontend, session.Backend);

        var expected = new List<VhostUserRequest>
        {
            VhostUserRequest.GetFeatures, VhostUserRequest.GetProtocolFeatures, VhostUserRequest.SetProtocolFeatures,
            VhostUserRequest.GetQueueNum, VhostUserRequest.SetOwner, VhostUserRequest.SetFeatures, VhostUserRequest.SetMemTable,
        };
        for (var i = 0; i < 4; i++)
        {
            expected.AddRange([VhostUserRequest.SetVringNum, VhostUserRequest.SetVringAddr, VhostUserRequest.SetVringBase,
                VhostUserRequest.SetVringKick, VhostUserRequest.SetVringCall]);
        }
        expected.AddRange(Enumerable.Repeat(VhostUserRequest.SetVringEnable, 4));
        var received = backend.Received;
        Assert.Equal(expected, received.Select(m => m.Request));
        Assert.Equal(expected, frontend.SentRequests);

        // NEED_REPLY on every request without a reply of its own, once REPLY_ACK is in force.
        foreach (var m in received)
        {
            Assert.Equal(VhostUserFlags.Version, m.Version);
            var getter = m.Request is VhostUserRequest.GetFeatures or VhostUserRequest.GetProtocolFeatures or VhostUserRequest.GetQueueNum;
            Assert.Equal(!getter && m.Request != VhostUserRequest.SetProtocolFeatures, m.NeedsReply);
        }
        Assert.Equal((1UL << VhostUserProtocolFeature.Mq) | (1UL << VhostUserProtocolFeature.ReplyAck), Single(received, VhostUserRequest.SetProtocolFeatures).ReadU64());
        Assert.Equal(FrontendOptions.Modern, Single(received, VhostUserRequest.SetFeatures).ReadU64());
        Assert.Equal(FrontendOptions.Modern, frontend.NegotiatedFeatures);
        Assert.Equal(s_backendFeatures, frontend.BackendFeatures);
        Assert.Equal(4UL, frontend.BackendQueueNum);
        Assert.Equal(2, frontend.QueuePairs);
        Assert.Equal(12, frontend.HeaderLength);

        var table = Single(received, VhostUserRequest.SetMemTable);
        Assert.Equal(frontend.Memory.Table, table.ReadMemoryTable());
        Assert.Equal(2, table.Fds.Length);
        var region = frontend.Memory.Regions[1];
        frontend.Memory.Span(region.GuestPhysicalAddress + 8, 1)[0] = 0x5A;
        var length = (Tmds.Linux.size_t)(region.MmapOffset + region.Size);
        var map = (byte*)TmdsLibC.mmap(null, length, LibC.PROT_READ, LibC.MAP_SHARED, table.Fds[1], 0);
        Assert.True(map != LibC.MAP_FAILED);
        Assert.Equal(0x5A, map[region.MmapOffset + 8]);
        _ = TmdsLibC.munmap(map, length);

        var rings = received.Where(m => m.Request == VhostUserRequest.SetVringAddr).Select(m => m.ReadVringAddress()).ToList();
        Assert.Equal(Enumerable.Range(0, 4).Select(i => frontend.Ring(i).VringAddress), rings);
        Assert.All(received.Where(m => m.Request == VhostUserRequest.SetVringNum), m => Assert.Equal(64u, m.ReadVringState().num));
        Assert.All(received.Where(m => m.Request == VhostUserRequest.SetVringBase), m => Assert.Equal(0u, m.ReadVringState().num));
        Assert.Equal([0u, 1u, 2u, 3u], received.Where(m => m.Request == VhostUserRequest.SetVringEnable).Select(m => m.ReadVringState().index));
        Assert.All(received.Where(m => m.Request == VhostUserRequest.SetVringEnable), m => Assert.Equal(1u, m.ReadVringState().num));

        // The kick and call fds are the rings' eventfds: a kick reaches the back-end, a call reaches the frontend.
        var kicks = received.Where(m => m.Request == VhostUserRequest.SetVringKick).ToList();
        var calls = received.Where(m => m.Request == VhostUserRequest.SetVringCall).ToList();
        Assert.Equal([0UL, 1UL, 2UL, 3UL], kicks.Select(m => m.ReadU64()));
        Assert.All(kicks.Concat(calls), m => Assert.Single(m.Fds));
        frontend.Ring(3).Kick();
        ulong value;
        Assert.Equal(8, (int)LibC.read(kicks[3].Fds[0], &value, 8));
        ulong one = 1;
        Assert.Equal(8, (int)LibC.write(calls[2].Fds[0], &one, 8));
        Assert.Equal(1, frontend.Calls(1, tx: false));
        Assert.Null(backend.Fault);
    }

    [Fact]
    public void Start_WithoutProtocolFeatures_SendsNoProtocolMessagesNoEnableAndNoNeedReply()
    {
        var options = new FrontendOptions(FrontendOptions.Modern & ~FrontendOptions.ProtocolFeatures, RingSize: 16, MemoryMiB: 2);
        using var session = Session.Start(options);
        var received = session.Backend.Received;
        Assert.Equal(
            [VhostUserRequest.GetFeatures, VhostUserRequest.SetOwner, VhostUserRequest.SetFeatures, VhostUserRequest.SetMemTable,
             VhostUserRequest.SetVringNum, VhostUserRequest.SetVringAddr, VhostUserRequest.SetVringBase, VhostUserRequest.SetVringKick, VhostUserRequest.SetVringCall,
             VhostUserRequest.SetVringNum, VhostUserRequest.SetVringAddr, VhostUserRequest.SetVringBase, VhostUserRequest.SetVringKick, VhostUserRequest.SetVringCall],
            received.Select(m => m.Request));
        Assert.All(received, m => Assert.False(m.NeedsReply));
        Assert.Equal(0UL, Single(received, VhostUserRequest.SetFeatures).ReadU64() & FrontendOptions.ProtocolFeatures);
    }

    [Fact]
    public void Start_ThrowsNamingTheRequestTheBackendRefused()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            Session.Start(new FrontendOptions(FrontendOptions.Modern, MemoryMiB: 2), b => b with { RefuseRequest = VhostUserRequest.SetMemTable }));
        Assert.Contains("refused SetMemTable", e.Message);
    }

    [Fact]
    public void Start_ThrowsWhenTheBackendHangsUp()
    {
        var noAck = (1UL << VhostUserProtocolFeature.Mq);
        var e = Assert.Throws<IOException>(() =>
            Session.Start(new FrontendOptions(FrontendOptions.Modern, MemoryMiB: 2), b => b with { CloseOn = VhostUserRequest.SetFeatures }, protocol: noAck));
        Assert.Contains("closed the connection", e.Message);
    }

    [Fact]
    public void Start_ThrowsWhenAReplyAnswersAnotherRequestOrNoneComes()
    {
        var wrong = Assert.Throws<InvalidDataException>(() =>
            Session.Start(new FrontendOptions(FrontendOptions.Modern, MemoryMiB: 2), b => b with { MisanswerRequest = VhostUserRequest.GetProtocolFeatures }));
        Assert.Contains("answered GetProtocolFeatures with SetOwner", wrong.Message);
        var silent = Assert.Throws<TimeoutException>(() =>
            Session.Start(new FrontendOptions(FrontendOptions.Modern, MemoryMiB: 2, ReplyTimeoutMs: 200), b => b with { IgnoreRequest = VhostUserRequest.GetFeatures }));
        Assert.Contains("did not answer GetFeatures", silent.Message);
    }

    [Fact]
    public void Start_RefusesMorePairsThanTheBackendHasAndIndirectItDoesNotOffer()
    {
        Assert.Throws<InvalidOperationException>(() =>
            Session.Start(new FrontendOptions(FrontendOptions.Modern, QueuePairs: 5, MemoryMiB: 2)));
        var noIndirect = s_backendFeatures & ~FrontendOptions.Bit(LibC.VIRTIO_RING_F_INDIRECT_DESC);
        var e = Assert.Throws<InvalidOperationException>(() =>
            Session.Start(new FrontendOptions(FrontendOptions.Modern, MemoryMiB: 2, UseIndirect: true), features: noIndirect));
        Assert.Contains("INDIRECT_DESC", e.Message);
    }

    [Fact]
    public void Options_RefusePackedRingsInOrderAndAnIommu()
    {
        var (a, b) = VhostUserSocket.Pair();
        using (a)
        using (b)
        {
            foreach (var bit in new[] { LibC.VIRTIO_F_RING_PACKED, LibC.VIRTIO_F_IN_ORDER, LibC.VIRTIO_F_ACCESS_PLATFORM })
            {
                Assert.Throws<ArgumentException>(() => VirtioTestFrontend.Over(a, new FrontendOptions(FrontendOptions.Modern | FrontendOptions.Bit(bit))));
            }
        }
    }

    [Theory]
    [InlineData(false, false, 1)]
    [InlineData(true, false, 3)]
    [InlineData(false, true, 1)]
    [InlineData(true, true, 3)]
    public void Send_PostsTheHeaderAndTheFrameAsOneChain(bool split, bool indirect, int expectedElements)
    {
        var options = new FrontendOptions(FrontendOptions.Modern, RingSize: 16, MemoryMiB: 2, Regions: 2, SplitDescriptors: split, UseIndirect: indirect);
        using var session = Session.Start(options);
        var frontend = session.Frontend;
        var device = new FakeDevice(frontend.Memory, frontend.Ring(1));
        var frame = Enumerable.Range(0, 1500).Select(i => (byte)i).ToArray();
        var header = new VirtioNetHeader { Flags = VirtioNetHeader.NeedsChecksum, ChecksumStart = 34, ChecksumOffset = 16 };
        var kicksBefore = frontend.Ring(1).Kicks;

        frontend.Send(0, frame, header);
        Assert.Equal(kicksBefore + 1, frontend.Ring(1).Kicks);
        Assert.True(device.TryTake(out var head, out var elements));
        Assert.Equal(expectedElements, elements.Count);
        Assert.All(elements, e => Assert.False(e.Writable));
        Assert.Equal(indirect, (frontend.Ring(1).Descriptors[head].flags & LibC.VRING_DESC_F_INDIRECT) != 0);
        if (split)
        {
            Assert.Equal(12u, elements[0].Length);
            Assert.All(elements.Skip(1), e => Assert.True(e.Length <= FrontendOptions.SplitChunk));
        }
        var bytes = device.Read(elements);
        Assert.Equal(12 + 1500, bytes.Length);
        Assert.Equal(header, MemoryMarshal.Read<VirtioNetHeader>(bytes));
        Assert.Equal([0, 0], bytes[10..12]);
        Assert.Equal(frame, bytes[12..]);

        Assert.Equal(0, frontend.CompletedSends(0));
        device.Complete(head, 0);
        Assert.Equal(1, frontend.CompletedSends(0));
        Assert.Equal(0, frontend.Ring(1).Outstanding);
    }

    [Fact]
    public void Send_WaitsForTheBackendWhenTheRingIsFullAndTrySendDoesNot()
    {
        using var session = Session.Start(new FrontendOptions(FrontendOptions.Modern, RingSize: 4, MemoryMiB: 2));
        var frontend = session.Frontend;
        for (var i = 0; i < 4; i++)
        {
            Assert.True(frontend.TrySend(0, new byte[60]));
        }
        Assert.False(frontend.TrySend(0, new byte[60]));
        var device = new FakeDevice(frontend.Memory, frontend.Ring(1));
        Assert.True(device.TryTake(out var head, out _));
        device.Complete(head, 0);
        frontend.Send(0, new byte[60]);
        Assert.Equal(1, frontend.CompletedSends(0));
    }

    [Fact]
    public void TryReceive_Mergeable_GathersNumBuffersAndPostsThemAgain()
    {
        using var session = Session.Start(new FrontendOptions(FrontendOptions.Modern, RingSize: 16, MemoryMiB: 2, RxBufferSize: 256));
        var frontend = session.Frontend;
        var ring = frontend.Ring(0);
        var device = new FakeDevice(frontend.Memory, ring);
        Assert.Equal(16, frontend.RxBuffersPerRing);
        Assert.Equal(16, ring.Outstanding);

        var frame = Enumerable.Range(0, 600).Select(i => (byte)(i * 7)).ToArray();
        var header = new VirtioNetHeader { Flags = VirtioNetHeader.DataValid };
        var packet = new byte[12 + 600];
        MemoryMarshal.Write(packet, in header);
        packet[10] = 3;
        frame.CopyTo(packet, 12);
        // 612 bytes over three 256-byte buffers: 256, 256 and 100.
        for (var at = 0; at < packet.Length; at += 256)
        {
            Assert.True(device.TryTake(out var head, out var elements));
            var written = device.Write(elements, packet.AsSpan(at, Math.Min(256, packet.Length - at)));
            device.Complete(head, written);
        }
        device.Call();

        Assert.True(frontend.TryReceive(0, out var got, out var gotHeader, TimeSpan.FromSeconds(1)));
        Assert.Equal(frame, got);
        Assert.Equal(header, gotHeader);
        Assert.Equal(3, frontend.LastNumBuffers);
        Assert.Equal(16, ring.Outstanding);
        Assert.Equal(1, frontend.Calls(0, tx: false));
        Assert.False(frontend.TryReceive(0, out _, out _, TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public void TryReceive_Mergeable_RefusesAMiddleBufferThatIsNotFullAndANumBuffersOfZero()
    {
        using var session = Session.Start(new FrontendOptions(FrontendOptions.Modern, RingSize: 16, MemoryMiB: 2, RxBufferSize: 256));
        var frontend = session.Frontend;
        var device = new FakeDevice(frontend.Memory, frontend.Ring(0));
        var packet = new byte[300];
        packet[10] = 2;
        Assert.True(device.TryTake(out var first, out var elements));
        device.Write(elements, packet.AsSpan(0, 200));
        device.Complete(first, 200);
        Assert.True(device.TryTake(out var second, out elements));
        device.Write(elements, packet.AsSpan(200, 100));
        device.Complete(second, 100);
        Assert.Contains("must be full", Assert.Throws<InvalidDataException>(() => frontend.TryReceive(0, out _, out _, TimeSpan.FromSeconds(1))).Message);

        using var other = Session.Start(new FrontendOptions(FrontendOptions.Modern, RingSize: 16, MemoryMiB: 2));
        device = new FakeDevice(other.Frontend.Memory, other.Frontend.Ring(0));
        Assert.True(device.TryTake(out var head, out elements));
        device.Complete(head, device.Write(elements, new byte[80]));
        Assert.Contains("num_buffers is 0", Assert.Throws<InvalidDataException>(() => other.Frontend.TryReceive(0, out _, out _, TimeSpan.FromSeconds(1))).Message);
    }

    [Fact]
    public void TryReceive_WithoutMergeable_ReadsOneChainAndShowsWhetherNumBuffersWasWritten()
    {
        var features = FrontendOptions.Modern & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_MRG_RXBUF);
        using var session = Session.Start(new FrontendOptions(features, RingSize: 16, MemoryMiB: 4, SplitDescriptors: true));
        var frontend = session.Frontend;
        Assert.False(frontend.Mergeable);
        Assert.Equal(12 + 65589, frontend.RxBufferSize);
        Assert.Equal(8, frontend.RxBuffersPerRing);
        var device = new FakeDevice(frontend.Memory, frontend.Ring(0));

        for (var numBuffers = 0; numBuffers <= 1; numBuffers++)
        {
            var packet = new byte[12 + 9000];
            packet[10] = (byte)numBuffers;
            new Random(numBuffers).NextBytes(packet.AsSpan(12));
            Assert.True(device.TryTake(out var head, out var elements));
            Assert.Equal([12u, 65589u], elements.Select(e => e.Length));
            device.Complete(head, device.Write(elements, packet));
            Assert.True(frontend.TryReceive(0, out var frame, out _, TimeSpan.FromSeconds(1)));
            Assert.Equal(packet[12..], frame);
            Assert.Equal(numBuffers, frontend.LastNumBuffers);
        }

        Assert.True(device.TryTake(out var shortHead, out _));
        device.Complete(shortHead, 11);
        Assert.Contains("less than the 12-byte header", Assert.Throws<InvalidDataException>(() => frontend.TryReceive(0, out _, out _, TimeSpan.FromSeconds(1))).Message);
    }

    [Fact]
    public void GetVringBaseAndDisconnect_ReachTheBackend()
    {
        using var session = Session.Start(new FrontendOptions(FrontendOptions.Modern, RingSize: 16, MemoryMiB: 2));
        Assert.Equal(7u, session.Frontend.GetVringBase(1));
        Assert.Equal(1u, Single(session.Backend.Received, VhostUserRequest.GetVringBase).ReadVringState().index);
        session.Frontend.Disconnect();
        Assert.False(session.Frontend.IsConnected);
        Assert.Throws<ObjectDisposedException>(() => session.Frontend.GetVringBase(0));
    }

    private static VhostUserMessage Single(IEnumerable<VhostUserMessage> messages, VhostUserRequest request) =>
        Assert.Single(messages, m => m.Request == request);

    /// <summary>A frontend started against a scripted back-end over a socket pair.</summary>
    private sealed class Session(VirtioTestFrontend frontend, ScriptedBackend backend) : IDisposable
    {
        public VirtioTestFrontend Frontend { get; } = frontend;

        public ScriptedBackend Backend { get; } = backend;

        public static Session Start(FrontendOptions options, Func<BackendScript, BackendScript>? script = null, ulong? features = null, ulong? protocol = null)
        {
            var (frontendSocket, backendSocket) = VhostUserSocket.Pair();
            var s = (script ?? (x => x))(new BackendScript());
            var backend = new ScriptedBackend(backendSocket, features ?? s_backendFeatures, protocol ?? s_backendProtocol)
            {
                RefuseRequest = s.RefuseRequest, CloseOn = s.CloseOn, MisanswerRequest = s.MisanswerRequest, IgnoreRequest = s.IgnoreRequest,
            }.Start();
            var frontend = VirtioTestFrontend.Over(frontendSocket, options);
            try
            {
                frontend.Start();
                return new Session(frontend, backend);
            }
            catch
            {
                frontend.Dispose();
                backend.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Frontend.Dispose();
            Backend.Dispose();
        }
    }

    /// <summary>What the scripted back-end should get wrong.</summary>
    private sealed record BackendScript(
        VhostUserRequest RefuseRequest = VhostUserRequest.None,
        VhostUserRequest CloseOn = VhostUserRequest.None,
        VhostUserRequest MisanswerRequest = VhostUserRequest.None,
        VhostUserRequest IgnoreRequest = VhostUserRequest.None);
}
