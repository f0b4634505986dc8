using System.Buffers.Binary;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>Port security and security-group verdicts through the worker pipeline (no threads: batches driven directly).</summary>
public sealed class PolicyEnforcementTests : IDisposable
{
    private static readonly IpAddress128 s_ipA = IpAddress128.FromIpv4(0xC612_0001);
    private static readonly IpAddress128 s_ipB = IpAddress128.FromIpv4(0xC612_0002);

    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 });
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");
    private readonly PacketBatch _batch = new(2048);
    private long _generation;

    private static PortPolicy Policy(IpAddress128 ip, MacAddress mac, ClassifierRule[] ingress, ClassifierRule[] egress) => new(
        new PortAddresses([(mac, ip, 32)]),
        Stateful: false,
        ClassifierCompiler.Compile(ingress),
        ClassifierCompiler.Compile(egress),
        ingress.Select(r => 10 + r.Index).Distinct().ToArray(),
        egress.Select(r => 20 + r.Index).Distinct().ToArray());

    private static ClassifierRule AnyEgress => new(0, false, -1, -1, -1, -1, -1, default, 0);

    private static ClassifierRule TcpIngress(int port) => new(0, false, 6, port, port, -1, -1, default, 0);

    private void Publish(PortPolicy? a, PortPolicy? b)
    {
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1), a);
        ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2), b);
        _generation++;
        _datapath.Publish(new DataplaneSnapshot(_generation, ports, [new NetworkSegment(0, "n", [0, 1])], policyGeneration: _generation));
        _datapath.Macs.AddStatic(0, Mac(1), 0, 0);
        _datapath.Macs.AddStatic(0, Mac(2), 1, 0);
        _datapath.Workers[0].SyncSnapshot();
    }

    private static byte[] Tcp(MacAddress src, MacAddress dst, IpAddress128 from, IpAddress128 to, ushort dport)
    {
        var f = Udp(src, dst, payload: 12, dstPort: dport);
        var ip = f.AsSpan(14);
        ip[9] = IpProtocol.Tcp;
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(12), from.Ipv4);
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(16), to.Ipv4);
        ip[20 + 12] = 0x50;
        ip[20 + 13] = TcpFlags.Syn;
        return f;
    }

    /// <summary>Sends one frame from port a through the pipeline; returns whether b transmitted it.</summary>
    private bool SendFromA(byte[] frame)
    {
        var before = _b.TransmittedCount;
        _batch.ResetForReceive();
        frame.CopyTo(_batch.Buffer(0));
        _batch[0].Length = frame.Length;
        _batch.Count = 1;
        var snapshot = _datapath.Publisher.Current;
        _datapath.Workers[0].ProcessBatch(snapshot, snapshot.Ports[0]!, _batch);
        return _b.TransmittedCount > before;
    }

    [Fact]
    public void IngressRule_AllowsItsPortOnly_AndCountsDropsAndHits()
    {
        Publish(Policy(s_ipA, Mac(1), [], [AnyEgress]), Policy(s_ipB, Mac(2), [TcpIngress(80)], [AnyEgress]));
        Assert.True(SendFromA(Tcp(Mac(1), Mac(2), s_ipA, s_ipB, 80)));
        Assert.False(SendFromA(Tcp(Mac(1), Mac(2), s_ipA, s_ipB, 22)));
        Assert.Equal(1, _datapath.ReadDrop(1, DropReason.SecurityGroup, Direction.Ingress));
        Assert.Equal(1, _datapath.ReadRuleHits(10));
        Assert.Equal(2, _datapath.ReadRuleHits(20));
    }

    [Fact]
    public void NoEgressRule_DropsAtTheSender()
    {
        Publish(Policy(s_ipA, Mac(1), [], []), null);
        Assert.False(SendFromA(Tcp(Mac(1), Mac(2), s_ipA, s_ipB, 80)));
        Assert.Equal(1, _datapath.ReadDrop(0, DropReason.SecurityGroup, Direction.Egress));
    }

    [Fact]
    public void SpoofedSourceIpOrMac_IsDroppedAsSpoofing()
    {
        Publish(Policy(s_ipA, Mac(1), [], [AnyEgress]), null);
        Assert.False(SendFromA(Tcp(Mac(1), Mac(2), IpAddress128.FromIpv4(0xC612_0063), s_ipB, 80)));
        Assert.False(SendFromA(Tcp(Mac(9), Mac(2), s_ipA, s_ipB, 80)));
        Assert.Equal(2, _datapath.ReadDrop(0, DropReason.Spoofing, Direction.Egress));
        Assert.True(SendFromA(Tcp(Mac(1), Mac(2), s_ipA, s_ipB, 80)));
    }

    [Fact]
    public void PortSecurityDisabled_PassesEverything()
    {
        Publish(null, null);
        Assert.True(SendFromA(Tcp(Mac(9), Mac(2), IpAddress128.FromIpv4(0x0A00_0001), s_ipB, 22)));
    }

    [Fact]
    public void RuleChange_UnderContinuousTraffic_NeverLetsAStaleCachedVerdictThrough()
    {
        var open = Policy(s_ipB, Mac(2), [TcpIngress(80)], [AnyEgress]);
        var closed = Policy(s_ipB, Mac(2), [TcpIngress(443)], [AnyEgress]);
        var a = Policy(s_ipA, Mac(1), [], [AnyEgress]);
        var frame = Tcp(Mac(1), Mac(2), s_ipA, s_ipB, 80);
        for (var round = 0; round < 50; round++)
        {
            var allowed = round % 2 == 0;
            Publish(a, allowed ? open : closed);
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(allowed, SendFromA(frame));
            }
        }
        Assert.True(_datapath.Read(WorkerCounter.FlowCacheHits) > 0);
    }

    [Fact]
    public void Trace_NamesTheRuleOrTheReason_AndChangesNothing()
    {
        Publish(Policy(s_ipA, Mac(1), [], [AnyEgress]), Policy(s_ipB, Mac(2), [TcpIngress(80)], [AnyEgress]));
        var allowed = _datapath.Trace(0, Tcp(Mac(1), Mac(2), s_ipA, s_ipB, 80));
        Assert.True(allowed.Allowed);
        Assert.Contains(allowed.Steps, s => s.Stage == "egress" && s.RuleSlot == 20);
        Assert.Contains(allowed.Steps, s => s.Stage == "ingress" && s.RuleSlot == 10);
        Assert.Equal([1], allowed.DeliveredTo);

        var denied = _datapath.Trace(0, Tcp(Mac(1), Mac(2), s_ipA, s_ipB, 22));
        Assert.False(denied.Allowed);
        Assert.Equal(DropReason.SecurityGroup, denied.DropReason);
        Assert.Contains(denied.Steps, s => s.Stage == "ingress" && s.Result == "dropped");

        var spoofed = _datapath.Trace(0, Tcp(Mac(1), Mac(2), IpAddress128.FromIpv4(0x0A00_0001), s_ipB, 80));
        Assert.Equal(DropReason.Spoofing, spoofed.DropReason);

        Assert.Equal(0, _b.TransmittedCount);
        Assert.Equal(0, _datapath.Read(0, PortCounter.RxPackets));
        Assert.Equal(0, _datapath.ReadRuleHits(10));
    }

    public void Dispose()
    {
        _batch.Dispose();
        _datapath.Dispose();
        _a.Dispose();
        _b.Dispose();
    }
}
