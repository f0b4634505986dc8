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
/// A floating IP on a router's gateway (Worker.RoutingStage.cs): port a inside (198.18.1.10, stateful, ingress TCP 22
/// only), port o outside on the external network (198.19.0.10, no port security), floating IP 198.19.0.50 ↔ a.
/// </summary>
public sealed class FloatingIpRoutingTests : IDisposable
{
    private const uint IpA = 0xC612_010A;
    private const uint IpO = 0xC613_000A;
    private const uint Floating = 0xC613_0032;
    private static readonly MacAddress s_inside = new(0xFA16_3E00_0001UL);
    private static readonly MacAddress s_gateway = new(0xFA16_3E00_0002UL);

    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 });
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _o = new("memory:o");
    private readonly InMemoryPort _b = new("memory:b");
    private const uint IpB = 0xC612_0114; // inside, without a floating IP
    private readonly PacketBatch _batch = new(2048);

    public FloatingIpRoutingTests()
    {
        var ssh = new ClassifierRule(0, false, IpProtocol.Tcp, 22, 22, -1, -1, default, 0);
        var any = new ClassifierRule(0, false, -1, -1, -1, -1, -1, default, 0);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1),
            new PortPolicy(new PortAddresses([(Mac(1), IpAddress128.FromIpv4(IpA), 32)]), true, ClassifierCompiler.Compile([ssh]), ClassifierCompiler.Compile([any]), [10], [20]),
            SecurityGroupLogging.Accept | SecurityGroupLogging.Drop);
        ports[1] = new SwitchPort(1, "o", _o, 1, true, Mac(2), null, SecurityGroupLogging.Accept);
        ports[2] = new SwitchPort(2, "b", _b, 0, true, Mac(3),
            new PortPolicy(new PortAddresses([(Mac(3), IpAddress128.FromIpv4(IpB), 32)]), true, ClassifierCompiler.Compile([ssh]), ClassifierCompiler.Compile([any]), [10], [20]));
        var inside = new RouterInterface(0, 0, s_inside, 0xC612_0101, []);
        var gateway = new RouterInterface(0, 1, s_gateway, 0xC613_0002, []) { FloatingIpv4 = [Floating] };
        var router = new LogicalRouter(0, "edge", true, [inside, gateway],
            [new(IpAddress128.FromIpv4(0xC612_0100), 120, 0, default), new(IpAddress128.FromIpv4(0xC613_0000), 120, 1, default)],
            [
                new(IpAddress128.FromIpv4(IpA), new Neighbor(0, Mac(1))), new(IpAddress128.FromIpv4(IpO), new Neighbor(1, Mac(2))),
                new(IpAddress128.FromIpv4(IpB), new Neighbor(2, Mac(3))),
            ])
        {
            GatewayInterface = 1,
            FixedOf = new Ipv4Map<uint>([KeyValuePair.Create(Floating, IpA)]),
            FloatingOf = new Ipv4Map<uint>([KeyValuePair.Create(IpA, Floating)]),
        };
        _datapath.Publish(new DataplaneSnapshot(1, ports,
            [
                new NetworkSegment(0, "inside", [0, 2], Stateful: true) { RouterInterfaces = [inside] },
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

    private static byte[] Tcp(MacAddress src, MacAddress dst, uint from, uint to, ushort sport, ushort dport, byte flags, uint seq, uint ack)
    {
        var tcp = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = 0x50;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 65535);
        var frame = RoutingTests.Ipv4(src, dst, from, to, IpProtocol.Tcp, tcp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 20 + 16), TcpChecksum(frame));
        return frame;
    }

    /// <summary>The TCP checksum the frame should carry (computed over a zeroed field).</summary>
    private static ushort TcpChecksum(byte[] frame)
    {
        var ip = frame.AsSpan(14);
        var tcp = ip[20..].ToArray();
        tcp[16] = 0;
        tcp[17] = 0;
        var pseudo = InternetChecksum.Add(ip.Slice(12, 8), (ulong)tcp.Length + IpProtocol.Tcp);
        return InternetChecksum.Finish(InternetChecksum.Add(tcp, pseudo));
    }

    private static void AssertChecksums(byte[] frame)
    {
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(frame.AsSpan(14, 20))));
        Assert.Equal(TcpChecksum(frame), BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14 + 20 + 16)));
    }

    [Fact]
    public void TheOutsideReachesTheFloatingIp_OnWhatTheGroupsAllow_AndTheRepliesComeFromTheFloatingIp()
    {
        Send(1, RoutingTests.ArpRequest(Mac(2), IpO, Floating));
        PacketParser.Parse(Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20))), out var arp);
        Assert.Equal((s_gateway, IpAddress128.FromIpv4(Floating)), (arp.ArpSenderMac, arp.IpSource));

        Send(1, Tcp(Mac(2), s_gateway, IpO, Floating, 40000, 22, TcpFlags.Syn, 1000, 0));
        var syn = Assert.Single(_a.Drain(TimeSpan.FromMilliseconds(20)));
        PacketParser.Parse(syn, out var p);
        Assert.Equal((IpAddress128.FromIpv4(IpO), IpAddress128.FromIpv4(IpA), Mac(1)), (p.IpSource, p.IpDestination, p.EthDestination));
        AssertChecksums(syn);
        Assert.Equal(1, _datapath.Conntrack.Count);

        Send(0, Tcp(Mac(1), s_inside, IpA, IpO, 22, 40000, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001));
        var synAck = Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20)));
        PacketParser.Parse(synAck, out var r);
        Assert.Equal((IpAddress128.FromIpv4(Floating), IpAddress128.FromIpv4(IpO), s_gateway), (r.IpSource, r.IpDestination, r.EthSource));
        AssertChecksums(synAck);
        Send(1, Tcp(Mac(2), s_gateway, IpO, Floating, 40000, 22, TcpFlags.Ack, 1001, 5001));
        Assert.Single(_a.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(1, _datapath.Conntrack.Count);
        Assert.Equal(3, _datapath.Read(WorkerCounter.NatTranslated));

        // Port 80 is not in a's groups: dropped at a's ingress, where the outside address is judged.
        Send(1, Tcp(Mac(2), s_gateway, IpO, Floating, 40001, 80, TcpFlags.Syn, 1000, 0));
        Assert.Empty(_a.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.SecurityGroup, Direction.Ingress));
        var trace = _datapath.Trace(1, Tcp(Mac(2), s_gateway, IpO, Floating, 40002, 22, TcpFlags.Syn, 1000, 0));
        Assert.True(trace.Allowed);
        Assert.Contains(trace.Steps, s => s.Stage == "l3" && s.Result == "dnat");
    }

    [Fact]
    public void AVmWithAFloatingIp_ReachesOut_AsItsFloatingIp_AndItsRepliesComeBack()
    {
        Send(0, Tcp(Mac(1), s_inside, IpA, IpO, 50000, 443, TcpFlags.Syn, 7000, 0));
        var syn = Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20)));
        PacketParser.Parse(syn, out var p);
        Assert.Equal(IpAddress128.FromIpv4(Floating), p.IpSource);
        AssertChecksums(syn);
        Send(1, Tcp(Mac(2), s_gateway, IpO, Floating, 443, 50000, TcpFlags.Syn | TcpFlags.Ack, 9000, 7001));
        var synAck = Assert.Single(_a.Drain(TimeSpan.FromMilliseconds(20)));
        PacketParser.Parse(synAck, out var r);
        Assert.Equal(IpAddress128.FromIpv4(IpA), r.IpDestination);
        // Port 443 is not in a's ingress rules: the SYN-ACK passed as the reply of a's own connection.
        Assert.Equal(0, _datapath.ReadDrop(0, DropReason.SecurityGroup, Direction.Ingress));
    }

    [Fact]
    public void TheSecurityGroupLog_NamesTheFloatingIp_WithTheAddressesTheVmSees()
    {
        Send(1, Tcp(Mac(2), s_gateway, IpO, Floating, 40000, 22, TcpFlags.Syn, 1000, 0));
        Send(1, Tcp(Mac(2), s_gateway, IpO, Floating, 40001, 80, TcpFlags.Syn, 1000, 0));
        Send(0, Tcp(Mac(1), s_inside, IpA, IpO, 50000, 443, TcpFlags.Syn, 7000, 0));
        Send(2, Tcp(Mac(3), s_inside, IpB, IpA, 50001, 22, TcpFlags.Syn, 7000, 0));
        var events = new SecurityGroupLogEvent[16];
        events = events[.._datapath.Workers[0].SecurityGroupLog.Drain(events)];

        // Each port's events have the addresses it sees: the outside port o (which logs ACCEPT) the floating IP, a its fixed IP.
        string Of(SecurityGroupLogEvent e) =>
            $"{"aob"[e.PortSlot]} {e.Action} {e.Direction} {e.Source}:{e.SourcePort} > {e.Destination}:{e.DestinationPort} via {e.FloatingIpv4:x}";
        Assert.Equal(
            [
                $"o Accept Egress 198.19.0.10:40000 > 198.19.0.50:22 via {Floating:x}",
                $"a Accept Ingress 198.19.0.10:40000 > 198.18.1.10:22 via {Floating:x}",
                $"a Drop Ingress 198.19.0.10:40001 > 198.18.1.10:80 via {Floating:x}",
                $"a Accept Egress 198.18.1.10:50000 > 198.19.0.10:443 via {Floating:x}",
                $"o Accept Ingress 198.19.0.50:50000 > 198.19.0.10:443 via {Floating:x}",
                // b reaches a on the inside: routed, not translated, no floating IP to name.
                "a Accept Ingress 198.18.1.20:50001 > 198.18.1.10:22 via 0",
            ], events.Select(Of));
    }

    [Fact]
    public void IcmpErrorsThroughTheFloatingIp_QuoteTheTranslatedPacket_AndPassAsRelated()
    {
        // a sends UDP out (as its floating IP); the outside answers "port unreachable", quoting what it received.
        var udp = RoutingTests.Ipv4(Mac(1), s_inside, IpA, IpO, IpProtocol.Udp, RoutingTests.UdpL4(5353, 9999));
        Send(0, udp);
        var leaving = Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20)));
        var icmp = new byte[8 + 28];
        icmp[0] = 3;
        icmp[1] = 3;
        leaving.AsSpan(14, 28).CopyTo(icmp.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), InternetChecksum.Finish(InternetChecksum.Add(icmp)));
        Send(1, RoutingTests.Ipv4(Mac(2), s_gateway, IpO, Floating, IpProtocol.Icmp, icmp));

        // a's rules admit TCP 22 only: the error passes as related to a's connection, quoting a's own packet.
        var error = Assert.Single(_a.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(error.AsSpan(14 + 20))));
        var quoted = error.AsSpan(14 + 20 + 8, 20);
        Assert.Equal((IpA, IpO), (BinaryPrimitives.ReadUInt32BigEndian(quoted[12..]), BinaryPrimitives.ReadUInt32BigEndian(quoted[16..])));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(quoted)));
        Assert.Equal(0, _datapath.ReadDrop(0, DropReason.SecurityGroup, Direction.Ingress));
    }

    [Fact]
    public void AVmWithoutAFloatingIp_ReachesTheOutsideUntranslated_AndItsRepliesPassAsItsConnections()
    {
        Send(2, Tcp(Mac(3), s_inside, IpB, IpO, 50001, 443, TcpFlags.Syn, 7000, 0));
        PacketParser.Parse(Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20))), out var p);
        Assert.Equal(IpAddress128.FromIpv4(IpB), p.IpSource);
        // b admits TCP 22 only: the SYN-ACK from 443 passes as the reply of b's connection, looked up inside.
        Send(1, Tcp(Mac(2), s_gateway, IpO, IpB, 443, 50001, TcpFlags.Syn | TcpFlags.Ack, 9000, 7001));
        Assert.Single(_b.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(0, _datapath.ReadDrop(2, DropReason.SecurityGroup, Direction.Ingress));
    }

    [Fact]
    public void AnErrorTheRouterSendsAboutATranslatedPacket_QuotesItAsTheSenderSentIt()
    {
        var expiring = Tcp(Mac(2), s_gateway, IpO, Floating, 40000, 22, TcpFlags.Syn, 1000, 0);
        expiring[14 + 8] = 1;
        expiring[14 + 10] = 0;
        expiring[14 + 11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(expiring.AsSpan(14 + 10), InternetChecksum.Finish(InternetChecksum.Add(expiring.AsSpan(14, 20))));
        Send(1, expiring);
        Assert.Empty(_a.Drain(TimeSpan.FromMilliseconds(20)));
        var error = Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20)));
        PacketParser.Parse(error, out var p);
        Assert.Equal(((ushort)11, IpAddress128.FromIpv4(IpO)), (p.SourcePort, p.IpDestination));
        var quoted = error.AsSpan(14 + 20 + 8, 20);
        Assert.Equal((IpO, Floating), (BinaryPrimitives.ReadUInt32BigEndian(quoted[12..]), BinaryPrimitives.ReadUInt32BigEndian(quoted[16..])));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(quoted)));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(error.AsSpan(14 + 20))));
    }
}
