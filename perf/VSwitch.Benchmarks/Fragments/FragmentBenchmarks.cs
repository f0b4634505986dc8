using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Fragments;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Fragments;

/// <summary>
/// The cost of IP fragments: the fragment table alone (a datagram of three fragments: one record, two matches), and
/// the whole pipeline with batches of fragmented UDP datagrams (32 fragments, about 11 datagrams of 3,000 bytes) into a
/// port whose stateless group allows their port, beside the same pipeline with 32 unfragmented datagrams.
/// </summary>
[MemoryDiagnoser]
public class FragmentBenchmarks
{
    private const uint ClientIp = 0xC612_0001;
    private const uint ServerIp = 0xC612_0002;

    private FragmentTable _table = null!;
    private ParsedPacket _first;
    private ParsedPacket _later;
    private uint _id;

    private Datapath _datapath = null!;
    private Worker _worker = null!;
    private DataplaneSnapshot _snapshot = null!;
    private PacketBatch _batch = null!;
    private byte[][] _fragments = null!;
    private byte[][] _whole = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _table = new FragmentTable(8192, 5000);
        var sample = Fragment(Datagram(40000, 3000), 1);
        PacketParser.Parse(sample[0], out _first);
        PacketParser.Parse(sample[1], out _later);

        _datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048 });
        var macA = BenchmarkFrames.Mac(1);
        var macB = BenchmarkFrames.Mac(2);
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:b", 1, captureTransmitted: false);
        var anyEgress = new ClassifierRule(0, false, -1, -1, -1, -1, -1, default, 0);
        var udp53 = new ClassifierRule(0, false, IpProtocol.Udp, 53, 53, -1, -1, default, 0);
        var policyA = new PortPolicy(new PortAddresses([(macA, IpAddress128.FromIpv4(ClientIp), 32)]), false,
            ClassifierCompiler.Compile([]), ClassifierCompiler.Compile([anyEgress]), [], [0]);
        var policyB = new PortPolicy(new PortAddresses([(macB, IpAddress128.FromIpv4(ServerIp), 32)]), false,
            ClassifierCompiler.Compile([udp53]), ClassifierCompiler.Compile([anyEgress]), [1], [2]);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", a, 0, true, macA, policyA);
        ports[1] = new SwitchPort(1, "b", b, 0, true, macB, policyB);
        _snapshot = new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1], Mtu: 1500)], policyGeneration: 1);
        _datapath.Publish(_snapshot);
        _datapath.Macs.AddStatic(0, macA, 0, 0);
        _datapath.Macs.AddStatic(0, macB, 1, 0);
        _worker = _datapath.Workers[0];
        _batch = new PacketBatch(2048);
        // 1,024 datagrams from distinct source ports, each cut into three fragments in order.
        _fragments = [.. Enumerable.Range(0, 1024).SelectMany(d => Fragment(Datagram((ushort)(10000 + d), 3000), (uint)d))];
        _whole = [.. Enumerable.Range(0, 1024).Select(d => Fragment(Datagram((ushort)(10000 + d), 1000), (uint)d)[0])];
        unsafe
        {
            var events = stackalloc VSwitch.Interop.epoll_event[4];
            _worker.PollOnce(events, 4, 0);
        }
    }

    /// <summary>One datagram of three fragments through the table: record the first, match the two later ones.</summary>
    [Benchmark]
    public FragmentMatch RecordAndMatchTwo()
    {
        var first = _first;
        first.FragmentId = ++_id;
        _table.RecordFirst(in first, 0, 0);
        var later = _later;
        later.FragmentId = _id;
        _table.Inherit(ref later, 0, 0);
        later = _later;
        later.FragmentId = _id;
        return _table.Inherit(ref later, 0, 0);
    }

    /// <summary>32 fragments (about 11 datagrams) a → b through the whole pipeline.</summary>
    [Benchmark]
    public void FragmentedBatch() => Run(_fragments);

    /// <summary>32 unfragmented 1,000-byte datagrams a → b through the same pipeline, for comparison.</summary>
    [Benchmark(Baseline = true)]
    public void WholeBatch() => Run(_whole);

    private void Run(byte[][] frames)
    {
        var batch = _batch;
        batch.ResetForReceive();
        for (var i = 0; i < PacketBatch.MaxSize; i++)
        {
            var f = frames[_next];
            _next = _next + 1 >= frames.Length ? 0 : _next + 1;
            f.CopyTo(batch.Buffer(i));
            batch[i].Length = f.Length;
        }
        batch.Count = PacketBatch.MaxSize;
        _worker.ProcessBatch(_snapshot, _snapshot.Ports[0]!, batch);
    }

    /// <summary>A UDP datagram to port 53 as an IPv4 packet (no Ethernet header).</summary>
    private static byte[] Datagram(ushort sourcePort, int payload)
    {
        var packet = new byte[20 + 8 + payload];
        packet[0] = 0x45;
        packet[8] = 64;
        packet[9] = IpProtocol.Udp;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12), ClientIp);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(16), ServerIp);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 53);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(8 + payload));
        return packet;
    }

    /// <summary>Ethernet frames of the packet's fragments of at most 1,480 bytes of data (one frame when it fits).</summary>
    private static List<byte[]> Fragment(byte[] packet, uint id)
    {
        var frames = new List<byte[]>();
        var data = packet.AsSpan(20);
        for (var offset = 0; offset < data.Length; offset += 1480)
        {
            var length = Math.Min(1480, data.Length - offset);
            var more = offset + length < data.Length;
            var frame = new byte[14 + 20 + length];
            BenchmarkFrames.Mac(2).Write(frame);
            BenchmarkFrames.Mac(1).Write(frame.AsSpan(6));
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Ipv4);
            packet.AsSpan(0, 20).CopyTo(frame.AsSpan(14));
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 2), (ushort)(20 + length));
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 4), (ushort)id);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 6), (ushort)((offset >> 3) | (more ? 0x2000 : 0)));
            data.Slice(offset, length).CopyTo(frame.AsSpan(34));
            frames.Add(frame);
        }
        return frames;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _datapath.Dispose();
    }
}
