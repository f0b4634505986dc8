using Microsoft.Extensions.Time.Testing;
using VSwitch.Dataplane.Fragments;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.FragmentFrames;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// IP fragments through the worker pipeline: later fragments are judged with their first fragment's L4 fields, in any
/// order, and no order or overlap gets bytes past the rules. Also the VLAN and MTU checks of the parse stage.
/// </summary>
public sealed class FragmentPipelineTests : IDisposable
{
    private static readonly IpAddress128 s_a4 = IpAddress128.FromIpv4(0xC612_0001);
    private static readonly IpAddress128 s_b4 = IpAddress128.FromIpv4(0xC612_0002);
    private static readonly IpAddress128 s_a6 = new(0x2001_0DB8_0000_0000UL, 1);
    private static readonly IpAddress128 s_b6 = new(0x2001_0DB8_0000_0000UL, 2);

    private readonly FakeTimeProvider _clock = new();
    private readonly Datapath _datapath;
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");
    private readonly PacketBatch _batch = new(9300);
    private long _generation;

    public FragmentPipelineTests()
    {
        _datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 9300, MaxRules = 64, FragmentMaxDatagrams = 64 }, _clock);
    }

    private static IpAddress128 A(bool ipv6) => ipv6 ? s_a6 : s_a4;

    private static IpAddress128 B(bool ipv6) => ipv6 ? s_b6 : s_b4;

    private static ClassifierRule Any(bool ipv6) => new(0, ipv6, -1, -1, -1, -1, -1, default, 0);

    private static ClassifierRule UdpPort(bool ipv6, int port) => new(0, ipv6, IpProtocol.Udp, port, port, -1, -1, default, 0);

    private static ClassifierRule EchoRequest(bool ipv6) =>
        new(0, ipv6, ipv6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, -1, -1, ipv6 ? 128 : 8, -1, default, 0);

    private static PortPolicy Policy(int host, bool stateful, ClassifierRule[] ingress, ClassifierRule[] egress) => new(
        new PortAddresses([(Mac(host), IpAddress128.FromIpv4(0xC612_0000u | (uint)host), 32), (Mac(host), new IpAddress128(0x2001_0DB8_0000_0000UL, (ulong)host), 128)]),
        stateful,
        ClassifierCompiler.Compile(ingress),
        ClassifierCompiler.Compile(egress),
        ingress.Select(r => 10 + r.Index).Distinct().ToArray(),
        egress.Select(r => 20 + r.Index).Distinct().ToArray());

    /// <summary>b accepts UDP 53 only (stateless); a sends anything.</summary>
    private void PublishUdp53(int mtu = 0, bool vlanTransparent = false) => Publish(
        Policy(1, false, [], [Any(false), Any(true)]),
        Policy(2, false, [UdpPort(false, 53), UdpPort(true, 53)], [Any(false), Any(true)]),
        mtu, vlanTransparent);

    private void Publish(PortPolicy? a, PortPolicy? b, int mtu = 0, bool vlanTransparent = false)
    {
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1), a);
        ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2), b);
        _generation++;
        var stateful = a is { Stateful: true } || b is { Stateful: true };
        _datapath.Publish(new DataplaneSnapshot(_generation, ports, [new NetworkSegment(0, "n", [0, 1], stateful, mtu, vlanTransparent)], policyGeneration: _generation));
        _datapath.Macs.AddStatic(0, Mac(1), 0, 0);
        _datapath.Macs.AddStatic(0, Mac(2), 1, 0);
        _datapath.Workers[0].SyncSnapshot();
    }

    /// <summary>Sends <paramref name="frames"/> as one batch from <paramref name="slot"/>; returns the frames the other port transmitted.</summary>
    private List<byte[]> Send(int slot, IEnumerable<byte[]> frames, VirtioNetHeader vnet = default)
    {
        _batch.ResetForReceive();
        foreach (var frame in frames)
        {
            frame.CopyTo(_batch.Buffer(_batch.Count));
            _batch[_batch.Count].Length = frame.Length;
            _batch[_batch.Count].Vnet = vnet;
            _batch.Count++;
        }
        var snapshot = _datapath.Publisher.Current;
        _datapath.Workers[0].ProcessBatch(snapshot, snapshot.Ports[slot]!, _batch);
        return Transmitted(slot == 0 ? _b : _a);
    }

    private static List<byte[]> Transmitted(InMemoryPort port) => port.Drain(TimeSpan.Zero);

    private List<byte[]> Replay(InMemoryPort receiver)
    {
        _datapath.Workers[0].ReplayHeld();
        return Transmitted(receiver);
    }

    private long Drops(int slot, DropReason reason, Direction direction = Direction.Egress) => _datapath.ReadDrop(slot, reason, direction);

    private long Counter(WorkerCounter counter) => _datapath.Read(counter);

    private static List<byte[]> UdpFragments(bool ipv6, ushort dstPort, uint id = 7, int payload = 4000) =>
        Fragment(UdpDatagram(ipv6, A(ipv6), B(ipv6), 40000, dstPort, payload), Mac(1), Mac(2), 1448, id);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AllowedUdpDatagram_EveryFragmentIsDelivered(bool ipv6)
    {
        PublishUdp53();
        var fragments = UdpFragments(ipv6, 53);
        Assert.Equal(3, fragments.Count);
        var delivered = Send(0, fragments);
        Assert.Equal(fragments, delivered);
        Assert.Equal(2, Counter(WorkerCounter.FragmentsMatched));
        Assert.Equal(1, _datapath.Fragments.RecordedTotal);
        Assert.Equal(3, _datapath.ReadRuleHits(10));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DatagramToAPortNoRuleAllows_NoFragmentIsDelivered(bool ipv6)
    {
        PublishUdp53();
        Assert.Empty(Send(0, UdpFragments(ipv6, 54)));
        Assert.Equal(3, Drops(1, DropReason.SecurityGroup, Direction.Ingress));
    }

    [Fact]
    public void FragmentsInSeparateBatches_AreDeliveredInOrder()
    {
        PublishUdp53();
        var fragments = UdpFragments(false, 53);
        var delivered = fragments.SelectMany(f => Send(0, [f])).ToList();
        Assert.Equal(fragments, delivered);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReversedInOneBatch_DeliveredWithoutHolding(bool ipv6)
    {
        PublishUdp53();
        var fragments = UdpFragments(ipv6, 53);
        fragments.Reverse();
        Assert.Equal(fragments, Send(0, fragments));
        Assert.Equal(0, Counter(WorkerCounter.FragmentsHeld));
    }

    [Fact]
    public void LaterFragmentsBeforeTheirFirst_AreHeldThenReplayedAfterIt()
    {
        PublishUdp53();
        var fragments = UdpFragments(false, 53);
        Assert.Empty(Send(0, [fragments[2]]));
        Assert.Empty(Send(0, [fragments[1]]));
        Assert.Equal(2, Counter(WorkerCounter.FragmentsHeld));
        Assert.Empty(Replay(_b));
        Assert.Equal([fragments[0]], Send(0, [fragments[0]]));
        Assert.Equal([fragments[2], fragments[1]], Replay(_b));
        Assert.Equal(0, Drops(0, DropReason.Fragment));
        Assert.Equal(3, _datapath.Read(0, PortCounter.RxPackets));
    }

    [Fact]
    public void HeldLaterFragmentOfADeniedDatagram_IsDeniedWhenReplayed()
    {
        PublishUdp53();
        var fragments = UdpFragments(false, 54);
        Assert.Empty(Send(0, [fragments[1]]));
        Assert.Empty(Send(0, [fragments[0]]));
        Assert.Empty(Replay(_b));
        Assert.Equal(2, Drops(1, DropReason.SecurityGroup, Direction.Ingress));
    }

    [Fact]
    public void LaterFragmentWhoseFirstNeverComes_IsDroppedAfterTheHold()
    {
        PublishUdp53();
        var later = UdpFragments(false, 53)[1];
        Assert.Empty(Send(0, [later]));
        _clock.Advance(TimeSpan.FromMilliseconds(FragmentHold.HoldMs - 1));
        Assert.Empty(Replay(_b));
        Assert.Equal(0, Drops(0, DropReason.Fragment));
        _clock.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Empty(Replay(_b));
        Assert.Equal(1, Drops(0, DropReason.Fragment));
        Assert.Equal(0, Drops(1, DropReason.SecurityGroup, Direction.Ingress));
    }

    [Fact]
    public void FullHold_DropsAndCountsTheRest()
    {
        PublishUdp53();
        for (var i = 0; i < FragmentHold.Capacity + 5; i++)
        {
            Send(0, [UdpFragments(false, 53, id: (uint)(100 + i))[1]]);
        }
        Assert.Equal(FragmentHold.Capacity, Counter(WorkerCounter.FragmentsHeld));
        Assert.Equal(5, Drops(0, DropReason.Fragment));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LaterFragmentOverlappingTheFirstFragmentsData_IsDropped(bool ipv6)
    {
        // RFC 1858/3128: a second fragment at offset 8 would rewrite the ports (and TCP flags) the rules judged.
        PublishUdp53();
        var datagram = UdpDatagram(ipv6, A(ipv6), B(ipv6), 40000, 53, 64);
        var header = ipv6 ? 40 : 20;
        var first = FragmentFrame(datagram, ipv6, header, datagram.AsSpan(header, 24), 0, more: true, 9, Mac(1), Mac(2));
        var overlap = FragmentFrame(datagram, ipv6, header, datagram.AsSpan(header + 8, 24), 8, more: true, 9, Mac(1), Mac(2));
        var rest = FragmentFrame(datagram, ipv6, header, datagram.AsSpan(header + 24), 24, more: false, 9, Mac(1), Mac(2));
        Assert.Equal([first, rest], Send(0, [first, overlap, rest]));
        Assert.Equal(1, Drops(0, DropReason.Fragment));
    }

    [Fact]
    public void TinyFirstFragment_IsMalformed_AndItsLaterFragmentsNeverPass()
    {
        // A first fragment with 8 bytes of a TCP header: the flags sit in the next fragment (RFC 1858's tiny fragment).
        PublishUdp53();
        var tcp = new byte[40];
        tcp[2] = 0; tcp[3] = 53; tcp[12] = 0x50; tcp[13] = TcpFlags.Syn;
        var datagram = UdpDatagram(false, s_a4, s_b4, 1, 53, 32);
        datagram[9] = IpProtocol.Tcp;
        tcp.CopyTo(datagram, 20);
        var first = FragmentFrame(datagram, false, 20, datagram.AsSpan(20, 8), 0, more: true, 11, Mac(1), Mac(2));
        var later = FragmentFrame(datagram, false, 20, datagram.AsSpan(28), 8, more: false, 11, Mac(1), Mac(2));
        Assert.Empty(Send(0, [first, later]));
        Assert.Equal(1, Drops(0, DropReason.Malformed));
        _clock.Advance(TimeSpan.FromMilliseconds(FragmentHold.HoldMs + 1));
        Assert.Empty(Replay(_b));
        Assert.Equal(1, Drops(0, DropReason.Fragment));
    }

    [Fact]
    public void RecordsBelongToThePortTheFirstFragmentCameFrom()
    {
        // b's later fragment with the same addresses, protocol and id cannot take a's first fragment's ports.
        PublishUdp53();
        var fragments = UdpFragments(false, 53);
        Send(0, [fragments[0]]);
        var table = _datapath.Fragments;
        PacketParser.Parse(fragments[1], out var later);
        Assert.Equal(FragmentMatch.Inherited, table.Inherit(ref later, 0, _datapath.NowMs(), touch: false));
        PacketParser.Parse(fragments[1], out later);
        Assert.Equal(FragmentMatch.NoFirstFragment, table.Inherit(ref later, 1, _datapath.NowMs(), touch: false));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StatefulEgressOnlyPort_GetsEveryFragmentOfTheEchoReply(bool ipv6)
    {
        // ping -s 3000 from a VM whose groups allow egress only: the reply's later fragments pass as its connection's.
        Publish(Policy(1, true, [], [Any(ipv6)]), Policy(2, true, [EchoRequest(ipv6)], [Any(ipv6)]));
        var request = Fragment(Echo(ipv6, true, A(ipv6), B(ipv6), 77, 3000), Mac(1), Mac(2), 1448, 21);
        Assert.Equal(request, Send(0, request));
        var reply = Fragment(Echo(ipv6, false, B(ipv6), A(ipv6), 77, 3000), Mac(2), Mac(1), 1448, 22);
        Assert.Equal(reply, Send(1, reply));
        Assert.Equal(1, _datapath.Conntrack.Count);
        Assert.Equal(0, Drops(0, DropReason.SecurityGroup, Direction.Ingress));
    }

    [Fact]
    public void StatefulPort_AnUnsolicitedFragmentedReplyIsDropped()
    {
        Publish(Policy(1, true, [], [Any(false)]), Policy(2, true, [], [Any(false)]));
        var reply = Fragment(Echo(false, false, s_b4, s_a4, 78, 3000), Mac(2), Mac(1), 1448, 23);
        Assert.Empty(Send(1, reply));
        Assert.Equal(0, _datapath.Conntrack.Count);
    }

    [Fact]
    public void LaterFragment_NeverCreatesAConnection()
    {
        // Its first fragment was flooded (unknown destination, so not committed): the later ones are judged by the
        // rules like it, and none of them commits a connection.
        Publish(Policy(1, true, [], [Any(false)]), Policy(2, true, [UdpPort(false, 53)], [Any(false)]));
        var fragments = Fragment(UdpDatagram(false, s_a4, s_b4, 40000, 53, 3000), Mac(1), Mac(9), 1448, 24);
        Assert.Equal(fragments, Send(0, fragments));
        Assert.Equal(0, _datapath.Conntrack.Count);
    }

    [Fact]
    public void Trace_ExplainsALaterFragmentWithAndWithoutItsFirst()
    {
        PublishUdp53();
        var fragments = UdpFragments(false, 53);
        var orphan = _datapath.Trace(0, fragments[1]);
        Assert.False(orphan.Allowed);
        Assert.Equal(DropReason.Fragment, orphan.DropReason);
        Assert.Contains(orphan.Steps, s => s.Stage == "fragment" && s.Detail.Contains("has not been seen"));
        Send(0, [fragments[0]]);
        var matched = _datapath.Trace(0, fragments[1]);
        Assert.True(matched.Allowed);
        Assert.Contains(matched.Steps, s => s.Stage == "fragment" && s.Result == "matched" && s.Detail.Contains(":53"));
        Assert.Equal(0, Counter(WorkerCounter.FragmentsHeld));
    }

    [Theory]
    [InlineData(false, 1, 10, false)]
    [InlineData(false, 1, 0, true)] // a priority tag (VLAN 0) is untagged traffic
    [InlineData(false, 2, 10, false)]
    [InlineData(true, 1, 10, true)]
    [InlineData(true, 2, 10, true)]
    public void TaggedFrameFromAPort_IsDroppedUnlessTheNetworkIsVlanTransparent(bool transparent, int tags, int vlan, bool delivered)
    {
        PublishUdp53(vlanTransparent: transparent);
        var plain = UdpFragments(false, 53, payload: 100)[0];
        var tagged = new byte[plain.Length + (4 * tags)];
        plain.AsSpan(0, 12).CopyTo(tagged);
        for (var t = 0; t < tags; t++)
        {
            tagged[12 + (4 * t)] = t == 0 && tags == 2 ? (byte)0x88 : (byte)0x81;
            tagged[13 + (4 * t)] = t == 0 && tags == 2 ? (byte)0xA8 : (byte)0x00;
            tagged[15 + (4 * t)] = (byte)vlan;
        }
        plain.AsSpan(12).CopyTo(tagged.AsSpan(12 + (4 * tags)));
        Assert.Equal(delivered, Send(0, [tagged]).Count == 1);
        Assert.Equal(delivered ? 0 : 1, Drops(0, DropReason.Vlan));
    }

    [Fact]
    public void FrameOverTheNetworksMtu_IsDroppedUnlessItIsAGsoFrame()
    {
        PublishUdp53(mtu: 1500);
        var fits = Fragment(UdpDatagram(false, s_a4, s_b4, 1, 53, 1472), Mac(1), Mac(2), 9000, 1)[0];
        var over = Fragment(UdpDatagram(false, s_a4, s_b4, 1, 53, 1473), Mac(1), Mac(2), 9000, 1)[0];
        Assert.Single(Send(0, [fits]));
        Assert.Empty(Send(0, [over]));
        Assert.Equal(1, Drops(0, DropReason.Mtu));
        Assert.Single(Send(0, [over], new VirtioNetHeader { GsoType = VirtioNetHeader.GsoUdp, GsoSize = 1472 }));
        Assert.Equal(1, Drops(0, DropReason.Mtu));
    }

    public void Dispose()
    {
        _batch.Dispose();
        _datapath.Dispose();
        _a.Dispose();
        _b.Dispose();
    }
}
