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

    /// <summary>
    /// Both ends filter (the sender's egress rules, then the receiver's ingress rules), some rules name address sets, and
    /// frames go in batches of up to eight: each frame's flow-cache key is built once and used for both lookups, so a key
    /// that kept the wrong port, direction or frame would show here. Between batches a set's members change (a VM joining
    /// or leaving a remote group) and only the ports whose rules name that set get a newer policy generation, as the
    /// compiler does: the other port's cached verdicts must stay right. The frames b transmits must be exactly those both
    /// references allow, reading the sets' members literally.
    /// </summary>
    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void BatchesFilteredAtBothEnds_WithChangingAddressSets_EqualTheReferences(int seed)
    {
        using var a = new InMemoryPort("memory:a2", 1, captureTransmitted: false);
        using var b = new InMemoryPort("memory:b2", 1, captureTransmitted: true);
        var rnd = new Random(seed);
        var generation = 1000L;
        for (var set = 0; set < 30; set++)
        {
            // Two sets over the addresses the random packets use (sources 198.18.0.0-3, destination 198.18.0.9).
            var members = Enumerable.Range(0, 2).Select(_ => RandomMembers(rnd)).ToList();
            ClassifierRule WithSet(ClassifierRule r) => rnd.Next(3) == 0 ? r with { AddressSet = rnd.Next(2) } : r;
            var egressRules = Enumerable.Range(0, rnd.Next(1, 20)).Select(i => WithSet(RandomRule(rnd, i))).ToArray();
            var ingressRules = Enumerable.Range(0, rnd.Next(1, 20)).Select(i => WithSet(RandomRule(rnd, i))).ToArray();
            var sender = new PortPolicy(
                new PortAddresses([(Mac(1), IpAddress128.FromIpv4(0xC612_0000), 30)]), Stateful: false,
                ClassifierCompiler.Compile([]), ClassifierCompiler.Compile(egressRules), [], egressRules.Select(r => 100 + r.Index).ToArray());
            var receiver = new PortPolicy(
                new PortAddresses([(Mac(2), IpAddress128.FromIpv4(0xC612_0009), 32)]), Stateful: false,
                ClassifierCompiler.Compile(ingressRules), ClassifierCompiler.Compile([]), ingressRules.Select(r => r.Index).ToArray(), []);
            var ports = new SwitchPort?[4];
            ports[0] = new SwitchPort(0, "a", a, 0, true, Mac(1), sender);
            ports[1] = new SwitchPort(1, "b", b, 0, true, Mac(2), receiver);
            var portGenerations = new long[4];
            Array.Fill(portGenerations, ++generation);
            void Publish() => _datapath.Publish(new DataplaneSnapshot(generation, ports, [new NetworkSegment(0, "n", [0, 1])], generation,
                (long[])portGenerations.Clone(), [.. members.Select(m => (AddressSet?)AddressSet.Build(m))]));
            Publish();
            _datapath.Macs.AddStatic(0, Mac(2), 1, 0);
            _datapath.Workers[0].SyncSnapshot();
            for (var round = 0; round < 25; round++)
            {
                if (rnd.Next(3) == 0)
                {
                    var changed = rnd.Next(2);
                    members[changed] = RandomMembers(rnd);
                    generation++;
                    if (egressRules.Any(r => r.AddressSet == changed))
                    {
                        portGenerations[0] = generation;
                    }
                    if (ingressRules.Any(r => r.AddressSet == changed))
                    {
                        portGenerations[1] = generation;
                    }
                    Publish();
                    _datapath.Workers[0].SyncSnapshot();
                }
                var egress = new ReferenceClassifier(egressRules, members);
                var ingress = new ReferenceClassifier(ingressRules, members);
                var frames = Enumerable.Range(0, rnd.Next(1, 9)).Select(_ => RandomPacket(rnd)).ToArray();
                var expected = frames.Where(f =>
                {
                    Assert.Equal(ParseError.None, PacketParser.Parse(f, out var parsed));
                    return egress.Lookup(ClassifierQuery.From(in parsed, ingress: false)) >= 0
                        && ingress.Lookup(ClassifierQuery.From(in parsed, ingress: true)) >= 0;
                }).Select(Convert.ToHexString).Order().ToArray();
                for (var pass = 0; pass < 2; pass++)
                {
                    _batch.ResetForReceive();
                    for (var i = 0; i < frames.Length; i++)
                    {
                        frames[i].CopyTo(_batch.Buffer(i));
                        _batch[i].Length = frames[i].Length;
                    }
                    _batch.Count = frames.Length;
                    var snapshot = _datapath.Publisher.Current;
                    _datapath.Workers[0].ProcessBatch(snapshot, snapshot.Ports[0]!, _batch);
                    var delivered = b.Drain(TimeSpan.Zero).Select(Convert.ToHexString).Order().ToArray();
                    Assert.True(expected.SequenceEqual(delivered),
                        $"seed {seed} set {set} round {round} pass {pass}: {delivered.Length} delivered, {expected.Length} expected");
                }
            }
        }
        Assert.True(_datapath.Read(WorkerCounter.FlowCacheHits) > 0);
    }

    /// <summary>0-4 members: hosts among the addresses the random packets use, or the /30 around the sources.</summary>
    private static IReadOnlyList<AddressSet.Member> RandomMembers(Random rnd) =>
        [.. Enumerable.Range(0, rnd.Next(0, 5)).Select(_ => rnd.Next(5) == 0
            ? new AddressSet.Member(IpAddress128.FromIpv4(0xC612_0000), 96 + 30, false)
            : new AddressSet.Member(IpAddress128.FromIpv4(rnd.Next(5) == 0 ? 0xC612_0009u : 0xC612_0000u | (uint)rnd.Next(4)), 128, false))];

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
