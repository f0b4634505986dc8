using System.Buffers.Binary;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Dataplane.Routing;
using VSwitch.Packets;
using VSwitch.Packets.Offloads;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// A router's SNAT (Worker.RoutingStage.cs, ConnTable.Nat.cs): ports a (198.18.1.10) and b (198.18.1.20) inside,
/// stateful, ingress TCP 22 only, no floating IPs; port o outside (198.19.0.10, no port security); the gateway
/// 198.19.0.2 lends its ports to the inside's connections.
/// </summary>
public sealed class SnatRoutingTests : IDisposable
{
    private const uint IpA = 0xC612_010A;
    private const uint IpB = 0xC612_0114;
    private const uint IpO = 0xC613_000A;
    private const uint Gateway = 0xC613_0002;
    private static readonly MacAddress s_inside = new(0xFA16_3E00_0001UL);
    private static readonly MacAddress s_gateway = new(0xFA16_3E00_0002UL);

    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 });
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");
    private readonly InMemoryPort _o = new("memory:o");
    private readonly InMemoryPort _c = new("memory:c");
    private const uint IpC = 0xC612_011E; // inside, port security off
    private readonly PacketBatch _batch = new(2048);

    public SnatRoutingTests()
    {
        var ssh = new ClassifierRule(0, false, IpProtocol.Tcp, 22, 22, -1, -1, default, 0);
        var any = new ClassifierRule(0, false, -1, -1, -1, -1, -1, default, 0);
        PortPolicy Policy(int mac, uint ip) =>
            new(new PortAddresses([(Mac(mac), IpAddress128.FromIpv4(ip), 32)]), true, ClassifierCompiler.Compile([ssh]), ClassifierCompiler.Compile([any]), [10], [20]);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1), Policy(1, IpA));
        ports[1] = new SwitchPort(1, "o", _o, 1, true, Mac(2));
        ports[2] = new SwitchPort(2, "b", _b, 0, true, Mac(3), Policy(3, IpB));
        ports[3] = new SwitchPort(3, "c", _c, 0, true, Mac(4));
        var inside = new RouterInterface(0, 0, s_inside, 0xC612_0101, []);
        var gateway = new RouterInterface(0, 1, s_gateway, Gateway, []);
        var router = new LogicalRouter(0, "edge", true, [inside, gateway],
            [new(IpAddress128.FromIpv4(0xC612_0100), 120, 0, default), new(IpAddress128.FromIpv4(0xC613_0000), 120, 1, default)],
            [
                new(IpAddress128.FromIpv4(IpA), new Neighbor(0, Mac(1))), new(IpAddress128.FromIpv4(IpO), new Neighbor(1, Mac(2))),
                new(IpAddress128.FromIpv4(IpB), new Neighbor(2, Mac(3))), new(IpAddress128.FromIpv4(IpC), new Neighbor(3, Mac(4))),
            ])
        {
            GatewayInterface = 1,
            SnatIpv4 = Gateway,
            NatZone = ConnTable.NatZone(1),
        };
        _datapath.Publish(new DataplaneSnapshot(1, ports,
            [
                new NetworkSegment(0, "inside", [0, 2, 3], Stateful: true) { RouterInterfaces = [inside] },
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

    private ParsedPacket Receive(InMemoryPort port)
    {
        var frame = Assert.Single(port.Drain(TimeSpan.FromMilliseconds(20)));
        AssertChecksums(frame);
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var p));
        return p;
    }

    /// <summary>A TCP or UDP packet with its checksum filled in.</summary>
    internal static byte[] Transport(MacAddress src, MacAddress dst, uint from, uint to, byte protocol, ushort sport, ushort dport, byte flags = 0)
    {
        var l4 = new byte[protocol == IpProtocol.Tcp ? 20 : 18];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), dport);
        if (protocol == IpProtocol.Tcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), 1000);
            BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(8), (flags & TcpFlags.Ack) != 0 ? 1001u : 0);
            l4[12] = 0x50;
            l4[13] = flags;
            BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(14), 65535);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), (ushort)l4.Length);
        }
        var frame = RoutingTests.Ipv4(src, dst, from, to, protocol, l4);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 20 + (protocol == IpProtocol.Tcp ? 16 : 6)), L4Checksum(frame));
        return frame;
    }

    /// <summary>The TCP or UDP checksum the frame should carry (over a zeroed field), or ICMP's.</summary>
    private static ushort L4Checksum(byte[] frame)
    {
        var ip = frame.AsSpan(14);
        var l4 = ip[20..BinaryPrimitives.ReadUInt16BigEndian(ip[2..])].ToArray();
        var at = ip[9] switch { IpProtocol.Tcp => 16, IpProtocol.Udp => 6, _ => 2 };
        l4[at] = 0;
        l4[at + 1] = 0;
        var start = ip[9] == IpProtocol.Icmp ? 0UL : InternetChecksum.Add(ip.Slice(12, 8), (ulong)l4.Length + ip[9]);
        return InternetChecksum.Finish(InternetChecksum.Add(l4, start));
    }

    internal static void AssertChecksums(byte[] frame)
    {
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(frame.AsSpan(14, 20))));
        if (frame[14 + 9] is not (IpProtocol.Tcp or IpProtocol.Udp or IpProtocol.Icmp))
        {
            return;
        }
        var at = frame[14 + 9] switch { IpProtocol.Tcp => 16, IpProtocol.Udp => 6, _ => 2 };
        Assert.Equal(L4Checksum(frame), BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(14 + 20 + at)));
    }

    [Fact]
    public void AVmWithoutAFloatingIp_ReachesOutFromTheGatewayAddress_AndItsRepliesComeBack()
    {
        Send(0, Transport(Mac(1), s_inside, IpA, IpO, IpProtocol.Tcp, 40000, 443, TcpFlags.Syn));
        var syn = Receive(_o);
        Assert.Equal((IpAddress128.FromIpv4(Gateway), (ushort)40000, s_gateway), (syn.IpSource, syn.SourcePort, syn.EthSource));
        // The inside connection and its binding.
        Assert.Equal(2, _datapath.Conntrack.Count);

        Send(1, Transport(Mac(2), s_gateway, IpO, Gateway, IpProtocol.Tcp, 443, 40000, TcpFlags.Syn | TcpFlags.Ack));
        var synAck = Receive(_a);
        Assert.Equal((IpAddress128.FromIpv4(IpO), IpAddress128.FromIpv4(IpA), (ushort)40000), (synAck.IpSource, synAck.IpDestination, synAck.DestinationPort));
        // Port 443 is not in a's ingress rules: the reply passed as a's own connection's.
        Assert.Equal(0, _datapath.ReadDrop(0, DropReason.SecurityGroup, Direction.Ingress));
        Assert.Equal(2, _datapath.Read(WorkerCounter.NatTranslated));

        // Nothing opened toward the gateway's other ports: the router's own address, dropped.
        Send(1, Transport(Mac(2), s_gateway, IpO, Gateway, IpProtocol.Tcp, 443, 40001, TcpFlags.Syn));
        Assert.Empty(_a.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(1, _datapath.ReadDrop(1, DropReason.NoRoute, Direction.Egress));
    }

    [Fact]
    public void TwoVmsOnTheSamePort_LeaveOnDifferentPorts_AndEachGetsItsOwnReplies()
    {
        Send(0, Transport(Mac(1), s_inside, IpA, IpO, IpProtocol.Udp, 5000, 53));
        var first = Receive(_o);
        Send(2, Transport(Mac(3), s_inside, IpB, IpO, IpProtocol.Udp, 5000, 53));
        var second = Receive(_o);
        Assert.Equal((ushort)5000, first.SourcePort);
        Assert.NotEqual((ushort)5000, second.SourcePort);
        Assert.Equal(IpAddress128.FromIpv4(Gateway), second.IpSource);

        Send(1, Transport(Mac(2), s_gateway, IpO, Gateway, IpProtocol.Udp, 53, second.SourcePort));
        var toB = Receive(_b);
        Assert.Equal((IpAddress128.FromIpv4(IpB), (ushort)5000), (toB.IpDestination, toB.DestinationPort));
        Send(1, Transport(Mac(2), s_gateway, IpO, Gateway, IpProtocol.Udp, 53, 5000));
        Assert.Equal(IpAddress128.FromIpv4(IpA), Receive(_a).IpDestination);
        Assert.Empty(_b.Drain(TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public void Pings_HaveTheirIdentifiersTranslated()
    {
        Send(0, RoutingTests.Ipv4(Mac(1), s_inside, IpA, IpO, IpProtocol.Icmp, RoutingTests.EchoL4(id: 7)));
        Assert.Equal((ushort)7, Receive(_o).IcmpIdentifier);
        Send(2, RoutingTests.Ipv4(Mac(3), s_inside, IpB, IpO, IpProtocol.Icmp, RoutingTests.EchoL4(id: 7)));
        var second = Receive(_o);
        Assert.NotEqual((ushort)7, second.IcmpIdentifier);

        var reply = RoutingTests.EchoL4(id: second.IcmpIdentifier);
        reply[0] = 0;
        reply[2] = 0;
        reply[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), InternetChecksum.Finish(InternetChecksum.Add(reply)));
        Send(1, RoutingTests.Ipv4(Mac(2), s_gateway, IpO, Gateway, IpProtocol.Icmp, reply));
        var toB = Receive(_b);
        Assert.Equal(((ushort)7, IpAddress128.FromIpv4(IpB)), (toB.IcmpIdentifier, toB.IpDestination));
        // The outside's own ping to the gateway address is the router's to answer.
        Send(1, RoutingTests.Ipv4(Mac(2), s_gateway, IpO, Gateway, IpProtocol.Icmp, RoutingTests.EchoL4(id: 900)));
        Assert.Equal(IpAddress128.FromIpv4(Gateway), Receive(_o).IpSource);
    }

    [Fact]
    public void IcmpErrorsAboutTranslatedPackets_AreTranslatedBack_AndPassAsRelated()
    {
        Send(0, Transport(Mac(1), s_inside, IpA, IpO, IpProtocol.Udp, 5000, 9999));
        Receive(_o);
        Send(2, Transport(Mac(3), s_inside, IpB, IpO, IpProtocol.Udp, 5000, 9999));
        var leaving = _o.Drain(TimeSpan.FromMilliseconds(20));
        var sent = Assert.Single(leaving);
        PacketParser.Parse(sent, out var translated);

        // The outside answers b's datagram with "port unreachable", quoting it as received (from the gateway's port).
        var icmp = new byte[8 + 28];
        icmp[0] = 3;
        icmp[1] = 3;
        sent.AsSpan(14, 28).CopyTo(icmp.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), InternetChecksum.Finish(InternetChecksum.Add(icmp)));
        Send(1, RoutingTests.Ipv4(Mac(2), s_gateway, IpO, Gateway, IpProtocol.Icmp, icmp));

        var error = Assert.Single(_b.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(error.AsSpan(14 + 20))));
        var quoted = error.AsSpan(14 + 20 + 8, 28);
        Assert.Equal((IpB, IpO, (ushort)5000), (BinaryPrimitives.ReadUInt32BigEndian(quoted[12..]), BinaryPrimitives.ReadUInt32BigEndian(quoted[16..]),
            BinaryPrimitives.ReadUInt16BigEndian(quoted[20..])));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(quoted[..20])));
        Assert.Equal(0, _datapath.ReadDrop(2, DropReason.SecurityGroup, Direction.Ingress));
        Assert.NotEqual((ushort)5000, translated.SourcePort);
    }

    [Fact]
    public void AConnectionFromOutsideToAFixedIp_IsAnsweredUntranslated()
    {
        Send(1, Transport(Mac(2), s_gateway, IpO, IpA, IpProtocol.Tcp, 40000, 22, TcpFlags.Syn));
        Assert.Equal(IpAddress128.FromIpv4(IpA), Receive(_a).IpDestination);
        Send(0, Transport(Mac(1), s_inside, IpA, IpO, IpProtocol.Tcp, 22, 40000, TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(IpAddress128.FromIpv4(IpA), Receive(_o).IpSource);
        Assert.Equal(1, _datapath.Conntrack.Count);
    }

    [Fact]
    public void APortWithoutGroups_AnswersConnectionsFromOutsideUntranslated_AndItsOwnLeaveThroughSnat()
    {
        Send(1, Transport(Mac(2), s_gateway, IpO, IpC, IpProtocol.Tcp, 40000, 22, TcpFlags.Syn));
        Assert.Equal(IpAddress128.FromIpv4(IpC), Receive(_c).IpDestination);
        Send(3, Transport(Mac(4), s_inside, IpC, IpO, IpProtocol.Tcp, 22, 40000, TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(IpAddress128.FromIpv4(IpC), Receive(_o).IpSource);
        Send(3, Transport(Mac(4), s_inside, IpC, IpO, IpProtocol.Udp, 6000, 53));
        var own = Receive(_o);
        Assert.Equal((IpAddress128.FromIpv4(Gateway), (ushort)6000), (own.IpSource, own.SourcePort));

        // Listed, the NAT zone holds one of each: the remembered connection from outside and the binding of c's own.
        var nat = _datapath.Conntrack.List(max: 100).Where(c => ConnTable.IsNatZone(c.Zone)).ToList();
        var untranslated = Assert.Single(nat, c => c.IsUntranslated);
        Assert.Equal((IpAddress128.FromIpv4(IpO), (ushort)22, false, null), (untranslated.Source, untranslated.DestinationPort, untranslated.IsSnatBinding, untranslated.SnatInside));
        var binding = Assert.Single(nat, c => c.IsSnatBinding);
        Assert.Equal((IpAddress128.FromIpv4(IpC), (ushort)6000), binding.SnatInside);
    }

    [Fact]
    public void AnAddressOnlyProtocol_TakenByAnotherVm_IsDroppedAsNatExhausted()
    {
        var gre = new byte[24];
        Send(0, RoutingTests.Ipv4(Mac(1), s_inside, IpA, IpO, 47, gre));
        Assert.Equal(IpAddress128.FromIpv4(Gateway), Receive(_o).IpSource);
        Send(2, RoutingTests.Ipv4(Mac(3), s_inside, IpB, IpO, 47, gre));
        Assert.Empty(_o.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(1, _datapath.ReadDrop(2, DropReason.NatExhausted, Direction.Egress));
    }

    [Fact]
    public void AFragmentedReply_ReachesItsVm_EveryFragmentTranslated()
    {
        Send(0, Transport(Mac(1), s_inside, IpA, IpO, IpProtocol.Udp, 5000, 53));
        Receive(_o);
        var reply = FragmentFrames.UdpDatagram(false, IpAddress128.FromIpv4(IpO), IpAddress128.FromIpv4(Gateway), 53, 5000, 600);
        var fragments = FragmentFrames.Fragment(reply, Mac(2), s_gateway, 256, 77);
        Assert.Equal(3, fragments.Count);
        foreach (var fragment in fragments)
        {
            fragment[14 + 10] = 0;
            fragment[14 + 11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(14 + 10), InternetChecksum.Finish(InternetChecksum.Add(fragment.AsSpan(14, 20))));
            Send(1, fragment);
        }
        var delivered = _a.Drain(TimeSpan.FromMilliseconds(20));
        Assert.Equal(3, delivered.Count);
        foreach (var frame in delivered)
        {
            Assert.Equal(IpA, BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(14 + 16)));
            Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(frame.AsSpan(14, 20))));
        }
    }

    [Fact]
    public void TheRoutersOwnErrors_AboutAReplyItTranslated_QuoteTheGatewaysPort()
    {
        Send(0, Transport(Mac(1), s_inside, IpA, IpO, IpProtocol.Udp, 5000, 53));
        Receive(_o);
        Send(2, Transport(Mac(3), s_inside, IpB, IpO, IpProtocol.Udp, 5000, 53));
        var port = Receive(_o).SourcePort;
        var expiring = Transport(Mac(2), s_gateway, IpO, Gateway, IpProtocol.Udp, 53, port);
        expiring[14 + 8] = 1;
        expiring[14 + 10] = 0;
        expiring[14 + 11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(expiring.AsSpan(14 + 10), InternetChecksum.Finish(InternetChecksum.Add(expiring.AsSpan(14, 20))));
        Send(1, expiring);
        Assert.Empty(_b.Drain(TimeSpan.FromMilliseconds(20)));
        var error = Assert.Single(_o.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(error.AsSpan(14 + 20))));
        var quoted = error.AsSpan(14 + 20 + 8, 28);
        Assert.Equal((Gateway, port), (BinaryPrimitives.ReadUInt32BigEndian(quoted[16..]), BinaryPrimitives.ReadUInt16BigEndian(quoted[22..])));
        Assert.Equal(0xFFFF, InternetChecksum.Fold(InternetChecksum.Add(quoted[..20])));
    }

    [Fact]
    public void AnEchoRequestFromOutside_WithAnInsidePingsIdentifier_IsTheRoutersToAnswer()
    {
        Send(0, RoutingTests.Ipv4(Mac(1), s_inside, IpA, IpO, IpProtocol.Icmp, RoutingTests.EchoL4(id: 7)));
        Receive(_o);
        Send(1, RoutingTests.Ipv4(Mac(2), s_gateway, IpO, Gateway, IpProtocol.Icmp, RoutingTests.EchoL4(id: 7)));
        var answer = Receive(_o);
        Assert.Equal((IpAddress128.FromIpv4(Gateway), (ushort)0), (answer.IpSource, answer.SourcePort));
        Assert.Empty(_a.Drain(TimeSpan.FromMilliseconds(20)));
    }

    [Fact]
    public void AConnectionThatCannotBeCommitted_GivesItsBindingBack()
    {
        var current = _datapath.Publisher.Current;
        var ports = (SwitchPort?[])current.Ports.Clone();
        ports[0] = ports[0]! with { ConntrackLimit = 1 };
        _datapath.Publish(new DataplaneSnapshot(2, ports, current.Networks, 1) { Routers = current.Routers });
        _datapath.Workers[0].SyncSnapshot();
        Send(0, Transport(Mac(1), s_inside, IpA, IpO, IpProtocol.Tcp, 40000, 443, TcpFlags.Syn));
        Receive(_o);
        Assert.Equal(2, _datapath.Conntrack.Count);
        // At its limit: the second connection is refused, and its binding with it.
        Send(0, Transport(Mac(1), s_inside, IpA, IpO, IpProtocol.Tcp, 40001, 443, TcpFlags.Syn));
        Assert.Empty(_o.Drain(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.ConntrackFull, Direction.Egress));
        Assert.Equal(2, _datapath.Conntrack.Count);
    }

    [Fact]
    public void ATrace_ShowsTheSnatStep_AndChangesNothing()
    {
        var trace = _datapath.Trace(0, Transport(Mac(1), s_inside, IpA, IpO, IpProtocol.Tcp, 40000, 443, TcpFlags.Syn));
        Assert.True(trace.Allowed);
        Assert.Contains(trace.Steps, s => s.Stage == "l3" && s.Result == "snat");
        Assert.Equal(0, _datapath.Conntrack.Count);
    }
}
