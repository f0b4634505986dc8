using System.Buffers.Binary;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Dataplane.Routing;
using VSwitch.Packets;
using VSwitch.Packets.Offloads;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// A router in the worker pipeline (Worker.RoutingStage.cs): two networks joined by one router, ports a (network 0)
/// and b, c (network 1). Frames to the router's MAC are routed with their TTL and MACs rewritten, judged by both ends'
/// rules, and tracked as one connection; the router answers ARP and pings for its addresses and sends ICMP errors.
/// </summary>
public sealed class RoutingTests : IDisposable
{
    private const uint IpA = 0xC612_010A; // 198.18.1.10
    private const uint IpB = 0xC612_0214; // 198.18.2.20
    private const uint IpC = 0xC612_021E; // 198.18.2.30
    private const uint Gateway0 = 0xC612_0101; // 198.18.1.1
    private const uint Gateway1 = 0xC612_0201; // 198.18.2.1
    private static readonly MacAddress s_router0 = new(0xFA16_3E00_0001UL);
    private static readonly MacAddress s_router1 = new(0xFA16_3E00_0002UL);

    private static readonly ClassifierRule s_any = new(0, false, -1, -1, -1, -1, -1, default, 0);
    private static readonly ClassifierRule s_any6 = new(1, true, -1, -1, -1, -1, -1, default, 0);

    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 });
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");
    private readonly InMemoryPort _c = new("memory:c");
    private readonly PacketBatch _batch = new(2048);
    private long _snapshot;

    public RoutingTests() => Publish();

    public void Dispose()
    {
        _batch.Dispose();
        _datapath.Dispose();
    }

    /// <summary>2001:db8:NET::HOST.</summary>
    private static IpAddress128 V6(int net, int host) => new(0x2001_0DB8_0000_0000UL | ((ulong)net << 16), (ulong)host);

    private static PortPolicy Policy(uint ip, MacAddress mac, bool ingress, bool egress) =>
        new(new PortAddresses([(mac, IpAddress128.FromIpv4(ip), 32), (mac, V6(ip == IpA ? 1 : 2, ip == IpA ? 10 : 20), 128)]), true,
            ClassifierCompiler.Compile(ingress ? [s_any, s_any6] : []), ClassifierCompiler.Compile(egress ? [s_any, s_any6] : []), [10, 11], [20, 21]);

    /// <summary>Ports a, b, c; by default every port allows everything (stateful).</summary>
    private void Publish(bool routerUp = true, PortPolicy? policyA = null, PortPolicy? policyB = null, int mtu1 = 0)
    {
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1), policyA ?? Policy(IpA, Mac(1), true, true));
        ports[1] = new SwitchPort(1, "b", _b, 1, true, Mac(2), policyB ?? Policy(IpB, Mac(2), true, true));
        ports[2] = new SwitchPort(2, "c", _c, 1, true, Mac(3), null);
        var if0 = new RouterInterface(0, 0, s_router0, Gateway0, [V6(1, 1)]);
        var if1 = new RouterInterface(0, 1, s_router1, Gateway1, [V6(2, 1)]);
        var router = new LogicalRouter(0, "r", routerUp, [if0, if1],
            [
                new Route(IpAddress128.FromIpv4(0xC612_0100), 120, 0, default),
                new Route(IpAddress128.FromIpv4(0xC612_0200), 120, 1, default),
                new Route(IpAddress128.FromIpv4(0xC613_0000), 112, 1, IpAddress128.FromIpv4(IpC)), // 198.19.0.0/16 via c
                new Route(V6(1, 0), 64, 0, default),
                new Route(V6(2, 0), 64, 1, default),
            ],
            [
                new(IpAddress128.FromIpv4(IpA), new Neighbor(0, Mac(1))),
                new(IpAddress128.FromIpv4(IpB), new Neighbor(1, Mac(2))),
                new(IpAddress128.FromIpv4(IpC), new Neighbor(2, Mac(3))),
                new(V6(1, 10), new Neighbor(0, Mac(1))),
                new(V6(2, 20), new Neighbor(1, Mac(2))),
            ]);
        NetworkSegment?[] networks =
        [
            new NetworkSegment(0, "n0", [0], true) { Zone = 0, RouterInterfaces = [if0] },
            new NetworkSegment(1, "n1", [1, 2], true, mtu1) { Zone = 0, RouterInterfaces = [if1] },
        ];
        _datapath.Publish(new DataplaneSnapshot(++_snapshot, ports, networks, _snapshot) { Routers = [router] });
        _datapath.Macs.AddStatic(0, Mac(1), 0, 0);
        _datapath.Macs.AddStatic(1, Mac(2), 1, 0);
        _datapath.Macs.AddStatic(1, Mac(3), 2, 0);
        _datapath.Workers[0].SyncSnapshot();
    }

    private void Send(int slot, byte[] frame) => SendOne(_datapath, _batch, slot, frame);

    private static List<byte[]> Drained(InMemoryPort port) => port.Drain(TimeSpan.FromMilliseconds(20));

    /// <summary>An IPv4 frame with a valid header checksum; <paramref name="l4"/> follows the 20-byte header.</summary>
    internal static byte[] Ipv4(MacAddress src, MacAddress dst, uint srcIp, uint dstIp, byte protocol, byte[] l4, byte ttl = 64, bool dontFragment = false)
    {
        var frame = new byte[14 + 20 + l4.Length];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Ipv4);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + l4.Length));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0x1234);
        ip[6] = (byte)(dontFragment ? 0x40 : 0);
        ip[8] = ttl;
        ip[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], srcIp);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dstIp);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Finish(InternetChecksum.Add(ip[..20])));
        l4.CopyTo(ip[20..]);
        return frame;
    }

    internal static byte[] UdpL4(ushort srcPort, ushort dstPort, int payload = 10)
    {
        var udp = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(udp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        return udp;
    }

    internal static byte[] EchoL4(ushort id = 7, ushort sequence = 1)
    {
        var icmp = new byte[8 + 16];
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), sequence);
        for (var i = 8; i < icmp.Length; i++)
        {
            icmp[i] = (byte)i;
        }
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), InternetChecksum.Finish(InternetChecksum.Add(icmp)));
        return icmp;
    }

    internal static byte[] ArpRequest(MacAddress sender, uint senderIp, uint targetIp)
    {
        var frame = new byte[42];
        MacAddress.Broadcast.Write(frame);
        sender.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Arp);
        var arp = frame.AsSpan(14);
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], EtherType.Ipv4);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 1);
        sender.Write(arp[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(arp[14..], senderIp);
        BinaryPrimitives.WriteUInt32BigEndian(arp[24..], targetIp);
        return frame;
    }

    /// <summary>An IPv6 frame; <paramref name="l4"/> follows the 40-byte header (its checksum is the caller's).</summary>
    internal static byte[] Ipv6(MacAddress src, MacAddress dst, IpAddress128 srcIp, IpAddress128 dstIp, byte nextHeader, byte[] l4, byte hopLimit = 64)
    {
        var frame = new byte[14 + 40 + l4.Length];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Ipv6);
        var ip = frame.AsSpan(14);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)l4.Length);
        ip[6] = nextHeader;
        ip[7] = hopLimit;
        BinaryPrimitives.WriteUInt64BigEndian(ip[8..], srcIp.High);
        BinaryPrimitives.WriteUInt64BigEndian(ip[16..], srcIp.Low);
        BinaryPrimitives.WriteUInt64BigEndian(ip[24..], dstIp.High);
        BinaryPrimitives.WriteUInt64BigEndian(ip[32..], dstIp.Low);
        l4.CopyTo(ip[40..]);
        if (nextHeader == IpProtocol.Icmpv6)
        {
            var pseudo = InternetChecksum.Add(ip[8..40], (ulong)l4.Length + IpProtocol.Icmpv6);
            BinaryPrimitives.WriteUInt16BigEndian(ip[42..], InternetChecksum.Finish(InternetChecksum.Add(ip[40..], pseudo)));
        }
        return frame;
    }

    /// <summary>True when the frame's ICMPv6 checksum (over the pseudo-header) is right.</summary>
    private static bool Icmpv6ChecksumOk(byte[] frame)
    {
        var ip = frame.AsSpan(14);
        var length = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        var pseudo = InternetChecksum.Add(ip[8..40], (ulong)length + IpProtocol.Icmpv6);
        return InternetChecksum.Fold(InternetChecksum.Add(ip.Slice(40, length), pseudo)) == 0xFFFF;
    }

    private static void AssertValidIpv4(byte[] frame)
    {
        var ip = frame.AsSpan(14, 20);
        Assert.Equal(0, InternetChecksum.Fold(InternetChecksum.Add(ip)) ^ 0xFFFF);
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out _));
    }

    [Fact]
    public void AFrameToTheRouter_ReachesThePortOfItsDestination_WithTheNextHopsMacsAndOneLessTtl()
    {
        Send(0, Ipv4(Mac(1), s_router0, IpA, IpB, IpProtocol.Udp, UdpL4(1000, 53), ttl: 64));
        var routed = Assert.Single(Drained(_b));
        Assert.Equal((Mac(2), s_router1), (MacAddress.Read(routed), MacAddress.Read(routed.AsSpan(6))));
        Assert.Equal(63, routed[14 + 8]);
        AssertValidIpv4(routed);
        Assert.Empty(Drained(_c));
        Assert.Empty(Drained(_a));
        Assert.Equal(1, _datapath.Read(WorkerCounter.RouterForwarded));

        // An extra route's destination goes to its next hop's port.
        Send(0, Ipv4(Mac(1), s_router0, IpA, 0xC613_0505, IpProtocol.Udp, UdpL4(1000, 53)));
        Assert.Equal(Mac(3), MacAddress.Read(Assert.Single(Drained(_c))));
    }

    [Fact]
    public void TheTtlChecksumUpdate_IsRightForEveryStartingChecksum()
    {
        // Incremental updates go wrong near 0x0000/0xFFFF: sweep the identification field so the checksum takes every value range.
        for (var id = 0; id < 65536; id += 7)
        {
            var frame = Ipv4(Mac(1), s_router0, IpA, IpB, IpProtocol.Udp, UdpL4(1000, 53), ttl: 9);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 4), (ushort)id);
            frame[14 + 10] = 0;
            frame[14 + 11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 10), InternetChecksum.Finish(InternetChecksum.Add(frame.AsSpan(14, 20))));
            PacketParser.Parse(frame, out var p);
            VSwitch.Packets.Routing.RoutedFrame.Forward(frame, in p, Mac(2), s_router1);
            Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(frame.AsSpan(14, 20))));
        }
    }

    [Fact]
    public void TtlOfOne_IsDropped_AndTheSenderGetsTimeExceededFromTheGateway()
    {
        var frame = Ipv4(Mac(1), s_router0, IpA, IpB, IpProtocol.Udp, UdpL4(33434, 33434), ttl: 1);
        Send(0, frame);
        Assert.Empty(Drained(_b));
        var error = Assert.Single(Drained(_a));
        Assert.Equal((Mac(1), s_router0), (MacAddress.Read(error), MacAddress.Read(error.AsSpan(6))));
        AssertValidIpv4(error);
        PacketParser.Parse(error, out var p);
        Assert.Equal((IpAddress128.FromIpv4(Gateway0), IpAddress128.FromIpv4(IpA)), (p.IpSource, p.IpDestination));
        Assert.Equal((IpProtocol.Icmp, (ushort)11, (ushort)0), (p.IpProtocol, p.SourcePort, p.DestinationPort));
        Assert.Equal(frame.AsSpan(14).ToArray(), error.AsSpan(14 + 20 + 8).ToArray());
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(error.AsSpan(14 + 20))));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.TtlExceeded, Direction.Egress));
        Assert.Equal(1, _datapath.Read(WorkerCounter.RouterIcmpErrors));
    }

    [Theory]
    [InlineData(0xC612_6309u, 0)] // 198.18.99.9: no route
    [InlineData(0xC612_0263u, 1)] // 198.18.2.99: on a connected subnet, but no port holds it
    public void AnUnroutableDestination_IsDropped_AndTheSenderGetsUnreachable(uint destination, int code)
    {
        Send(0, Ipv4(Mac(1), s_router0, IpA, destination, IpProtocol.Udp, UdpL4(1000, 53)));
        Assert.Empty(Drained(_b));
        Assert.Empty(Drained(_c));
        PacketParser.Parse(Assert.Single(Drained(_a)), out var p);
        Assert.Equal(((ushort)3, (ushort)code), (p.SourcePort, p.DestinationPort));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.NoRoute, Direction.Egress));
    }

    [Fact]
    public void OverTheNextNetworksMtu_WithDontFragment_TheSenderGetsFragmentationNeededWithThatMtu()
    {
        Publish(mtu1: 100);
        Send(0, Ipv4(Mac(1), s_router0, IpA, IpB, IpProtocol.Udp, UdpL4(1000, 53, payload: 200), dontFragment: true));
        Assert.Empty(Drained(_b));
        var error = Assert.Single(Drained(_a));
        PacketParser.Parse(error, out var p);
        Assert.Equal(((ushort)3, (ushort)4, 100), (p.SourcePort, p.DestinationPort, (int)BinaryPrimitives.ReadUInt16BigEndian(error.AsSpan(14 + 20 + 6))));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.Mtu, Direction.Egress));
    }

    [Theory]
    [InlineData(900, true)]
    [InlineData(1400, false)]
    public void AGsoSuperFrame_IsJudgedByItsSegments_AgainstTheNextNetworksMtu(int segmentSize, bool fits)
    {
        // 1,800 bytes of UDP handed over as one frame to be cut into datagrams of segmentSize (virtio GSO_UDP_L4, USO).
        Publish(mtu1: 1000);
        var frame = Ipv4(Mac(1), s_router0, IpA, IpB, IpProtocol.Udp, UdpL4(1000, 53, payload: 1800), dontFragment: true);
        using var batch = new PacketBatch(4096);
        frame.CopyTo(batch.Buffer(0));
        batch[0].Length = frame.Length;
        batch[0].Vnet = new VirtioNetHeader { GsoType = VirtioNetHeader.GsoUdpL4, GsoSize = (ushort)segmentSize, HeaderLength = 42 };
        batch.Count = 1;
        var snapshot = _datapath.Publisher.Current;
        _datapath.Workers[0].ProcessBatch(snapshot, snapshot.Ports[0]!, batch);
        Assert.Equal(fits ? 1 : 0, Drained(_b).Count);
        Assert.Equal(fits ? 0 : 1, _datapath.ReadDrop(0, DropReason.Mtu, Direction.Egress));
    }

    [Fact]
    public void NoIcmpError_AboutAnIcmpError()
    {
        // From c, whose port has no port security: its stray errors reach the router.
        var error = new byte[8 + 28];
        error[0] = 3;
        Send(2, Ipv4(Mac(3), s_router1, IpC, 0xC612_6309, IpProtocol.Icmp, error));
        Assert.Empty(Drained(_c));
        Assert.Equal(1, _datapath.ReadDrop(2, DropReason.NoRoute, Direction.Egress));
        Send(2, Ipv4(Mac(3), s_router1, IpC, 0xC612_6309, IpProtocol.Icmp, EchoL4()));
        Assert.Single(Drained(_c));
    }

    [Fact]
    public void AUnicastArpProbe_IsAnsweredOnlyForTheRoutersOwnAddress()
    {
        var probe = ArpRequest(Mac(1), IpA, 0xC612_0163);
        s_router0.Write(probe);
        Send(0, probe);
        Assert.Empty(Drained(_a));
        var own = ArpRequest(Mac(1), IpA, Gateway0);
        s_router0.Write(own);
        Send(0, own);
        Assert.Single(Drained(_a));
    }

    [Fact]
    public void UdpToTheRoutersAddress_IsCounted_AndTheSenderHearsPortUnreachable()
    {
        Send(0, Ipv4(Mac(1), s_router0, IpA, Gateway0, IpProtocol.Udp, UdpL4(5000, 53)));
        PacketParser.Parse(Assert.Single(Drained(_a)), out var p);
        Assert.Equal(((ushort)3, (ushort)3), (p.SourcePort, p.DestinationPort));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.NoRoute, Direction.Egress));
    }

    [Fact]
    public void AConnectionTrackedBeforeARouterJoinedItsNetwork_CarriesOnFromItsPreviousZone()
    {
        // b → c on network 1 while network 1 was its own zone (1): c takes nothing new (no ingress rule).
        var ports = new SwitchPort?[8];
        ports[1] = new SwitchPort(1, "b", _b, 1, true, Mac(2), Policy(IpB, Mac(2), true, true));
        ports[2] = new SwitchPort(2, "c", _c, 1, true, Mac(3), Policy(IpC, Mac(3), ingress: false, egress: true));
        _datapath.Publish(new DataplaneSnapshot(10, ports, [null, new NetworkSegment(1, "n1", [1, 2], true)], 10));
        _datapath.Workers[0].SyncSnapshot();
        Send(2, Ipv4(Mac(3), Mac(2), IpC, IpB, IpProtocol.Udp, UdpL4(7000, 53)));
        Assert.Single(Drained(_b));

        // A router joins network 1 to network 0: its zone becomes 0, the previous one 1. b's reply still matches.
        _datapath.Publish(new DataplaneSnapshot(11, ports,
            [new NetworkSegment(0, "n0", [], true), new NetworkSegment(1, "n1", [1, 2], true) { Zone = 0, PreviousZone = 1 }], 10));
        _datapath.Workers[0].SyncSnapshot();
        Send(1, Ipv4(Mac(2), Mac(3), IpB, IpC, IpProtocol.Udp, UdpL4(53, 7000)));
        Assert.Single(Drained(_c));

        // Without the previous zone the reply would be new, and c's groups refuse new traffic.
        _datapath.Publish(new DataplaneSnapshot(12, ports,
            [new NetworkSegment(0, "n0", [], true), new NetworkSegment(1, "n1", [1, 2], true) { Zone = 0 }], 10));
        _datapath.Workers[0].SyncSnapshot();
        Send(1, Ipv4(Mac(2), Mac(3), IpB, IpC, IpProtocol.Udp, UdpL4(53, 7000)));
        Assert.Empty(Drained(_c));
    }

    [Fact]
    public void RoutesMatchTheirOwnAddressFamilyOnly()
    {
        var v6Default = new Route(default, 0, 0, default);
        var v4Default = new Route(IpAddress128.FromIpv4(0), 96, 0, default);
        Assert.False(v6Default.Contains(IpAddress128.FromIpv4(0x0808_0808)));
        Assert.True(v6Default.Contains(V6(9, 9)));
        Assert.True(v4Default.Contains(IpAddress128.FromIpv4(0x0808_0808)));
        Assert.False(v4Default.Contains(V6(9, 9)));
    }

    [Fact]
    public void TheRouterAnswersArpAndPingsForItsAddresses_AndNothingIsFlooded()
    {
        Send(0, ArpRequest(Mac(1), IpA, Gateway0));
        var reply = Assert.Single(Drained(_a));
        PacketParser.Parse(reply, out var arp);
        Assert.Equal((2, s_router0, IpAddress128.FromIpv4(Gateway0), IpAddress128.FromIpv4(IpA)), (arp.ArpOperation, arp.ArpSenderMac, arp.IpSource, arp.IpDestination));
        Assert.Equal((Mac(1), s_router0), (MacAddress.Read(reply), MacAddress.Read(reply.AsSpan(6))));

        // An ARP for someone else's address is switched as before (flooded to the network's other ports: none here).
        Send(0, ArpRequest(Mac(1), IpA, 0xC612_0163));
        Assert.Empty(Drained(_a));

        // A ping to the router's address on the other network is answered by the router too.
        Send(0, Ipv4(Mac(1), s_router0, IpA, Gateway1, IpProtocol.Icmp, EchoL4()));
        var echo = Assert.Single(Drained(_a));
        AssertValidIpv4(echo);
        PacketParser.Parse(echo, out var p);
        Assert.Equal((IpAddress128.FromIpv4(Gateway1), IpAddress128.FromIpv4(IpA), (ushort)0, (ushort)7), (p.IpSource, p.IpDestination, p.SourcePort, p.IcmpIdentifier));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(echo.AsSpan(14 + 20))));
        Assert.Empty(Drained(_b));
        Assert.Equal((1L, 1L), (_datapath.Read(WorkerCounter.RouterNeighborReplies), _datapath.Read(WorkerCounter.RouterEchoReplies)));
    }

    [Fact]
    public void RoutedTraffic_IsJudgedAtBothEnds_AndItsRepliesMatchOneConnection()
    {
        // a may send but takes nothing new; b takes anything but may send nothing new: only replies come back.
        Publish(policyA: Policy(IpA, Mac(1), ingress: false, egress: true), policyB: Policy(IpB, Mac(2), ingress: true, egress: false));
        Send(0, Ipv4(Mac(1), s_router0, IpA, IpB, IpProtocol.Udp, UdpL4(1000, 53)));
        Assert.Single(Drained(_b));
        Send(1, Ipv4(Mac(2), s_router1, IpB, IpA, IpProtocol.Udp, UdpL4(53, 1000)));
        Assert.Single(Drained(_a));
        Assert.Equal(1, _datapath.Conntrack.Count);

        // A new flow from b is b's egress to refuse; a new one to a is a's ingress to refuse.
        Send(1, Ipv4(Mac(2), s_router1, IpB, IpA, IpProtocol.Udp, UdpL4(54, 1000)));
        Assert.Empty(Drained(_a));
        Assert.Equal(1, _datapath.ReadDrop(1, DropReason.SecurityGroup, Direction.Egress));
        Publish(policyA: Policy(IpA, Mac(1), ingress: false, egress: true), policyB: Policy(IpB, Mac(2), ingress: true, egress: true));
        Send(1, Ipv4(Mac(2), s_router1, IpB, IpA, IpProtocol.Udp, UdpL4(55, 1000)));
        Assert.Empty(Drained(_a));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.SecurityGroup, Direction.Ingress));
    }

    [Fact]
    public void Ipv6_NeighborSolicitationsAndPingsAreAnswered_RoutedFramesLoseAHop_AndAnExpiredOneGetsTimeExceeded()
    {
        // A solicitation for the gateway (to its solicited-node address) gets a router's advertisement with its MAC.
        var ns = new byte[32];
        ns[0] = 135;
        BinaryPrimitives.WriteUInt64BigEndian(ns.AsSpan(8), V6(1, 1).High);
        BinaryPrimitives.WriteUInt64BigEndian(ns.AsSpan(16), V6(1, 1).Low);
        ns[24] = 1;
        ns[25] = 1;
        Mac(1).Write(ns.AsSpan(26));
        Send(0, Ipv6(Mac(1), new MacAddress(0x3333_FF00_0001UL), V6(1, 10), new IpAddress128(0xFF02_0000_0000_0000UL, 0x0000_0001_FF00_0001UL), IpProtocol.Icmpv6, ns, hopLimit: 255));
        var na = Assert.Single(Drained(_a));
        PacketParser.Parse(na, out var advert);
        Assert.Equal(((ushort)136, V6(1, 1), s_router0), (advert.SourcePort, advert.NdTarget, advert.NdLinkLayerAddress));
        Assert.True(Icmpv6ChecksumOk(na));
        Assert.Equal(0xE0, na[14 + 40 + 4]); // router, solicited, override

        // Its link-local address (what router advertisements come from) is answered too.
        var linkLocal = new RouterInterface(0, 0, s_router0, 0, []).LinkLocal;
        BinaryPrimitives.WriteUInt64BigEndian(ns.AsSpan(8), linkLocal.High);
        BinaryPrimitives.WriteUInt64BigEndian(ns.AsSpan(16), linkLocal.Low);
        Send(0, Ipv6(Mac(1), new MacAddress(0x3333_FF00_0001UL), V6(1, 10), new IpAddress128(0xFF02_0000_0000_0000UL, 0x0000_0001_FF00_0001UL), IpProtocol.Icmpv6, ns, hopLimit: 255));
        Assert.Single(Drained(_a));

        var echo = new byte[8 + 8];
        echo[0] = 128;
        Send(0, Ipv6(Mac(1), s_router0, V6(1, 10), V6(2, 1), IpProtocol.Icmpv6, echo));
        var reply = Assert.Single(Drained(_a));
        PacketParser.Parse(reply, out var p);
        Assert.Equal(((ushort)129, V6(2, 1), V6(1, 10)), (p.SourcePort, p.IpSource, p.IpDestination));
        Assert.True(Icmpv6ChecksumOk(reply));

        Send(0, Ipv6(Mac(1), s_router0, V6(1, 10), V6(2, 20), IpProtocol.Udp, UdpL4(1000, 53), hopLimit: 9));
        var routed = Assert.Single(Drained(_b));
        Assert.Equal((Mac(2), s_router1, (byte)8), (MacAddress.Read(routed), MacAddress.Read(routed.AsSpan(6)), routed[14 + 7]));

        Send(0, Ipv6(Mac(1), s_router0, V6(1, 10), V6(2, 20), IpProtocol.Udp, UdpL4(1000, 53), hopLimit: 1));
        Assert.Empty(Drained(_b));
        var expired = Assert.Single(Drained(_a));
        PacketParser.Parse(expired, out var error);
        Assert.Equal(((ushort)3, V6(1, 1), V6(1, 10)), (error.SourcePort, error.IpSource, error.IpDestination));
        Assert.True(Icmpv6ChecksumOk(expired));
    }

    [Fact]
    public void Ipv6FromALinkLocalSource_IsNotForwarded_AndTheSenderHearsBeyondScope()
    {
        var linkLocalA = new IpAddress128(0xFE80_0000_0000_0000UL, 0x0000_00FF_FE00_0001UL);
        Send(2, Ipv6(Mac(3), s_router1, linkLocalA, V6(1, 10), IpProtocol.Udp, UdpL4(1000, 53)));
        Assert.Empty(Drained(_a));
        var error = Assert.Single(Drained(_c));
        PacketParser.Parse(error, out var p);
        Assert.Equal(((ushort)1, (ushort)2, new RouterInterface(0, 1, s_router1, 0, []).LinkLocal), (p.SourcePort, p.DestinationPort, p.IpSource));
        Assert.Equal(1, _datapath.ReadDrop(2, DropReason.NoRoute, Direction.Egress));
    }

    [Fact]
    public void ARouterThatIsDown_RoutesAndAnswersNothing()
    {
        Publish(routerUp: false);
        Send(0, Ipv4(Mac(1), s_router0, IpA, IpB, IpProtocol.Udp, UdpL4(1000, 53)));
        Send(0, ArpRequest(Mac(1), IpA, Gateway0));
        Assert.Empty(Drained(_b));
        Assert.Empty(Drained(_a));
        Assert.Equal(2, _datapath.ReadDrop(0, DropReason.NoRoute, Direction.Egress));
    }

    [Fact]
    public void TheTrace_ShowsTheRoutingStep_AndTheReceiversRules()
    {
        var trace = _datapath.Trace(0, Ipv4(Mac(1), s_router0, IpA, IpB, IpProtocol.Udp, UdpL4(1000, 53)));
        Assert.True(trace.Allowed);
        Assert.Equal([1], trace.DeliveredTo);
        var routed = Assert.Single(trace.Steps, s => s.Stage == "l3");
        Assert.Equal("routed", routed.Result);
        Assert.Contains("router r routes it to port b", routed.Detail, StringComparison.Ordinal);
        Assert.Contains(trace.Steps, s => s.Stage == "ingress" && s.Port == 1);

        var expired = _datapath.Trace(0, Ipv4(Mac(1), s_router0, IpA, IpB, IpProtocol.Udp, UdpL4(1000, 53), ttl: 1));
        Assert.Equal(DropReason.TtlExceeded, expired.DropReason);
        Assert.Contains(expired.Steps, s => s.Stage == "l3" && s.Detail.Contains("time exceeded", StringComparison.Ordinal));
        Assert.Empty(Drained(_a));
    }
}
