using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Dataplane.Routing;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// Next hops outside that no port holds (Worker.RoutingStage.cs ResolveOutside, NeighborCache): port a inside
/// (198.18.1.10), port o the uplink of the external network 198.19.0.0/24 (port security off), behind which the
/// upstream router 198.19.0.1 (MAC ...99) is the default route; the router's gateway is 198.19.0.2 and holds the
/// floating IP 198.19.0.100. Port b, inside, claims the upstream's address (as an allowed address pair could): a
/// neighbour on another network than the route's is no next hop.
/// </summary>
public sealed class OutsideResolutionTests : IDisposable
{
    private const uint IpA = 0xC612_010A;
    private const uint Upstream = 0xC613_0001;
    private const uint Gateway = 0xC613_0002;
    private const uint Internet = 0xC613_C801; // 198.19.200.1, beyond the upstream router
    private const uint Floating = 0xC613_0064;
    private static readonly MacAddress s_inside = new(0xFA16_3E00_0001UL);
    private static readonly MacAddress s_gateway = new(0xFA16_3E00_0002UL);
    private static readonly MacAddress s_upstream = Mac(0x99);

    private readonly FakeTimeProvider _clock = new();
    private readonly Datapath _datapath;
    private readonly InMemoryPort _b = new("memory:b");
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _o = new("memory:o");
    private readonly PacketBatch _batch = new(2048);

    public OutsideResolutionTests()
    {
        _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 }, _clock);
        var ports = new SwitchPort?[8];
        ports[2] = new SwitchPort(2, "b", _b, 0, true, Mac(3));
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1));
        ports[1] = new SwitchPort(1, "o", _o, 1, true, Mac(2));
        var inside = new RouterInterface(0, 0, s_inside, 0xC612_0101, []);
        var gateway = new RouterInterface(0, 1, s_gateway, Gateway, []) { FloatingIpv4 = [Floating] };
        var router = new LogicalRouter(0, "edge", true, [inside, gateway],
            [
                new(IpAddress128.FromIpv4(0xC612_0100), 120, 0, default), new(IpAddress128.FromIpv4(0xC613_0000), 120, 1, default),
                new(IpAddress128.FromIpv4(0), 96, 1, IpAddress128.FromIpv4(Upstream)),
            ],
            [new(IpAddress128.FromIpv4(IpA), new Neighbor(0, Mac(1))), new(IpAddress128.FromIpv4(Upstream), new Neighbor(2, Mac(3)))])
        {
            GatewayInterface = 1,
        };
        _datapath.Publish(new DataplaneSnapshot(1, ports,
            [
                new NetworkSegment(0, "inside", [0, 2]) { RouterInterfaces = [inside] },
                new NetworkSegment(1, "ext", [1]) { RouterInterfaces = [gateway] },
            ], 1)
        {
            Routers = [router],
        });
        _datapath.Workers[0].SyncSnapshot();
    }

    public void Dispose()
    {
        _batch.Dispose();
        _datapath.Dispose();
    }

    private void Send(int slot, byte[] frame) => SendOne(_datapath, _batch, slot, frame);

    private static byte[] ToInternet(uint destination = Internet) =>
        RoutingTests.Ipv4(Mac(1), s_inside, IpA, destination, IpProtocol.Udp, RoutingTests.UdpL4(5000, 53));

    /// <summary>"<paramref name="senderIp"/> is at <paramref name="sender"/>", to the gateway.</summary>
    private static byte[] ArpReplyToGateway(MacAddress sender, uint senderIp)
    {
        var frame = RoutingTests.ArpRequest(sender, senderIp, Gateway);
        s_gateway.Write(frame);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 6), 2);
        s_gateway.Write(frame.AsSpan(14 + 18));
        return frame;
    }

    [Fact]
    public void AnUpstreamRouterThatIsNoPort_IsAskedWithArp_AndTrafficFlowsOnceItAnswers()
    {
        // The packet waits for nothing: it is lost, and the question goes out on the external network.
        Send(0, ToInternet());
        var arp = Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(ParseError.None, PacketParser.Parse(arp, out var request));
        Assert.True(request.IsArp && request.ArpOperation == 1 && request.EthDestination.IsBroadcast);
        Assert.Equal((s_gateway, IpAddress128.FromIpv4(Gateway), IpAddress128.FromIpv4(Upstream)), (request.ArpSenderMac, request.IpSource, request.IpDestination));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.NoRoute, Direction.Egress));
        // Within the second, the next packet asks nothing more; b, which claims the address inside, gets nothing.
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        Send(0, ToInternet());
        Assert.Empty(_o.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(1, _datapath.Read(WorkerCounter.RouterArpRequests));
        Assert.Empty(_b.Drain(TimeSpan.FromMilliseconds(20)));
        _clock.Advance(TimeSpan.FromMilliseconds(600));
        Send(0, ToInternet());
        Assert.Equal(2, _datapath.Read(WorkerCounter.RouterArpRequests));
        _o.Drain(TimeSpan.FromMilliseconds(20));

        Send(1, ArpReplyToGateway(s_upstream, Upstream));
        Assert.Equal(1, _datapath.Read(WorkerCounter.RouterNeighborsLearned));
        Send(0, ToInternet());
        var forwarded = Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(ParseError.None, PacketParser.Parse(forwarded, out var p));
        Assert.Equal((s_upstream, s_gateway, IpAddress128.FromIpv4(Internet), (byte)63), (p.EthDestination, p.EthSource, p.IpDestination, p.Ttl));

        // The upstream fails over to another MAC and says so with a gratuitous ARP: traffic follows at once.
        var moved = Mac(0x98);
        var announcement = RoutingTests.ArpRequest(moved, Upstream, Upstream);
        Send(1, announcement);
        Send(0, ToInternet());
        PacketParser.Parse(Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20)), f => BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == EtherType.Ipv4), out var after);
        Assert.Equal(moved, after.EthDestination);
    }

    [Fact]
    public void TheSwitchsOwnAddressesOutside_AreNeverAskedForNorLearned()
    {
        // A floating IP of the router (hairpin) is not asked for on the uplink: unreachable, as before.
        Send(0, ToInternet(Floating));
        var frames = _a.Drain(TimeSpan.FromMilliseconds(20));
        PacketParser.Parse(Assert.Single(frames), out var error);
        Assert.Equal((ushort)3, error.SourcePort);
        Assert.Equal(0, _datapath.Read(WorkerCounter.RouterArpRequests));
        Send(1, ArpReplyToGateway(Mac(0x66), Floating));
        Assert.Equal(0, _datapath.Read(WorkerCounter.RouterNeighborsLearned));
    }

    [Fact]
    public void OnlyAnswersFromTheGatewaysSubnet_AreLearned_AndRequestsForTheRoutersAddressTeachTheirSender()
    {
        // Claims about inside addresses or addresses beyond the subnet are ignored.
        Send(1, ArpReplyToGateway(Mac(0x66), IpA));
        Send(1, ArpReplyToGateway(Mac(0x66), 0xC613_0505 + 0x100));
        Assert.Equal(0, _datapath.Read(WorkerCounter.RouterNeighborsLearned));

        // A host outside asks for the gateway: the router answers, and knows the host from then on.
        Send(1, RoutingTests.ArpRequest(Mac(0x77), 0xC613_0007, Gateway));
        PacketParser.Parse(Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20))), out var answer);
        Assert.Equal(ArpOperationReply, answer.ArpOperation);
        Send(0, ToInternet(0xC613_0007));
        PacketParser.Parse(Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20))), out var p);
        Assert.Equal(Mac(0x77), p.EthDestination);
        Assert.Equal(0, _datapath.Read(WorkerCounter.RouterArpRequests));
    }

    private const ushort ArpOperationReply = 2;

    [Fact]
    public void AGleanedAnswer_NeverDisplacesALiveOne_AReplyMay()
    {
        var cache = new NeighborCache();
        cache.Learn(1, Upstream, s_upstream, 1_000);
        var refused = 0;
        uint colliding = 0;
        for (uint address = 0xC613_0100; address < 0xC613_0100 + 5000; address++)
        {
            if (!cache.Learn(1, address, Mac(0x55), 1_000, evict: false))
            {
                refused++;
                colliding = colliding == 0 && !cache.TryGet(1, address, 1_000, out _, out _) ? address : colliding;
            }
        }
        Assert.True(refused > 0 && colliding != 0);
        Assert.True(cache.TryGet(1, Upstream, 1_000, out var kept, out _));
        Assert.Equal(s_upstream, kept);
        Assert.False(cache.Refresh(1, 0xC613_FFFE, Mac(0x55), 1_000));
    }

    [Fact]
    public void AnAnswerGrownStale_IsStillUsed_WhileTheRouterAsksAgain()
    {
        var cache = new NeighborCache();
        cache.Learn(1, Upstream, s_upstream, 1_000);
        Assert.True(cache.TryGet(1, Upstream, 1_000 + NeighborCache.FreshMs - 1, out var mac, out var stale));
        Assert.Equal((s_upstream, false), (mac, stale));
        Assert.True(cache.TryGet(1, Upstream, 1_000 + NeighborCache.FreshMs, out _, out stale));
        Assert.True(stale);
        Assert.False(cache.TryGet(1, Upstream, 1_000 + NeighborCache.LifetimeMs, out _, out _));
        Assert.False(cache.TryGet(2, Upstream, 1_000, out _, out _));
        Assert.Single(cache.Snapshot(2_000));
    }

    [Fact]
    public void ANetworkThatGoes_TakesWhatWasLearnedOnIt_SoItsIndexStartsEmptyForTheNext()
    {
        var cache = new NeighborCache();
        cache.Learn(1, Upstream, s_upstream, 1_000);
        cache.Learn(2, Upstream, s_upstream, 1_000);
        cache.Forget(1);
        Assert.False(cache.TryGet(1, Upstream, 1_001, out _, out _));
        Assert.True(cache.TryGet(2, Upstream, 1_001, out _, out _));
        Assert.Equal(2, Assert.Single(cache.Snapshot(1_001)).Network);
    }
}
