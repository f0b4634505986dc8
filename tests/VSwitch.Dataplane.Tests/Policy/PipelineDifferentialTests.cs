using System.Buffers.Binary;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests.Policy;

/// <summary>
/// Random rule sets and random packets through the whole worker pipeline, each packet twice (the second time from the
/// flow cache): the pipeline's verdict, and the packet trace's, must equal the linear reference's every time.
/// </summary>
public sealed class PipelineDifferentialTests : IDisposable
{
    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 4, BufferSize = 2048, MaxRules = 4096, FlowCacheEntries = 256 });
    private readonly InMemoryPort _a = new("memory:a", 1, captureTransmitted: false);
    private readonly InMemoryPort _b = new("memory:b", 1, captureTransmitted: false);
    private readonly PacketBatch _batch = new(2048);

    private static readonly int[] s_protocols = [-1, 1, 6, 17, 132];

    private static ClassifierRule RandomRule(Random rnd, int index)
    {
        var protocol = s_protocols[rnd.Next(s_protocols.Length)];
        int min = -1, max = -1, type = -1, code = -1;
        if (protocol is 6 or 17 or 132 && rnd.Next(3) != 0)
        {
            min = rnd.Next(1, 40);
            max = min + rnd.Next(5);
        }
        else if (protocol == 1 && rnd.Next(2) == 0)
        {
            type = rnd.Next(0, 9);
            code = rnd.Next(2) == 0 ? -1 : 0;
        }
        var length = rnd.Next(3) switch { 0 => 0, 1 => 96 + 24, _ => 128 };
        return new ClassifierRule(index, false, protocol, min, max, type, code, IpAddress128.FromIpv4(0xC612_0000u | (uint)rnd.Next(4)), length);
    }

    private static byte[] RandomPacket(Random rnd)
    {
        var frame = Udp(Mac(1), Mac(2), payload: 20, srcPort: (ushort)rnd.Next(1, 40), dstPort: (ushort)rnd.Next(1, 45));
        var ip = frame.AsSpan(14);
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(12), 0xC612_0000u | (uint)rnd.Next(4));
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(16), 0xC612_0009);
        var proto = rnd.Next(4) switch { 0 => IpProtocol.Tcp, 1 => IpProtocol.Icmp, 2 => IpProtocol.Sctp, _ => IpProtocol.Udp };
        ip[9] = proto;
        var l4 = ip.Slice(20);
        if (proto == IpProtocol.Tcp)
        {
            l4[12] = 0x50;
        }
        else if (proto == IpProtocol.Icmp)
        {
            l4[0] = (byte)rnd.Next(0, 9);
            l4[1] = (byte)rnd.Next(2);
        }
        return frame;
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void Verdicts_EqualTheReference_WithAndWithoutTheFlowCache(int seed)
    {
        var rnd = new Random(seed);
        for (var set = 0; set < 40; set++)
        {
            var rules = Enumerable.Range(0, rnd.Next(1, 30)).Select(i => RandomRule(rnd, i)).ToArray();
            var policy = new PortPolicy(
                new PortAddresses([(Mac(2), IpAddress128.FromIpv4(0xC612_0009), 32)]), Stateful: false,
                ClassifierCompiler.Compile(rules), ClassifierCompiler.Compile([]),
                rules.Select(r => r.Index).ToArray(), []);
            var ports = new SwitchPort?[4];
            ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1));
            ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2), policy);
            _datapath.Publish(new DataplaneSnapshot(set + 1, ports, [new NetworkSegment(0, "n", [0, 1])], policyGeneration: set + 1));
            _datapath.Macs.AddStatic(0, Mac(2), 1, 0);
            _datapath.Workers[0].SyncSnapshot();
            var reference = new ReferenceClassifier(rules);
            for (var i = 0; i < 200; i++)
            {
                var frame = RandomPacket(rnd);
                Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var parsed));
                var expected = reference.Lookup(ClassifierQuery.From(in parsed, ingress: true)) >= 0;
                // The trace runs the same stages in trace mode: it must reach the same verdict, and change nothing.
                var trace = _datapath.Trace(0, frame);
                Assert.True(expected == trace.Allowed, $"seed {seed} set {set} packet {i}: trace says allowed={trace.Allowed}, expected {expected}");
                for (var pass = 0; pass < 2; pass++)
                {
                    Assert.True(expected == Send(frame), $"seed {seed} set {set} packet {i} pass {pass}: expected allowed={expected}");
                }
            }
        }
        Assert.True(_datapath.Read(WorkerCounter.FlowCacheHits) > 0);
    }

    private bool Send(byte[] frame)
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

    public void Dispose()
    {
        _batch.Dispose();
        _datapath.Dispose();
        _a.Dispose();
        _b.Dispose();
    }
}
