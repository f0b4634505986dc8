using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Conntrack;

/// <summary>
/// The conntrack data-path calls on a table holding 1,048,576 connections (half UDP replied, half TCP established)
/// in 64 shards with room for 1,310,720: lookup of an established flow spread over the whole table (cache-missing,
/// as a real mix of flows is), the same for one hot flow, and the insert of a new connection (Commit, then Remove to
/// keep the population at 1M).
/// </summary>
[MemoryDiagnoser]
public class ConnTableBenchmarks
{
    private const int Flows = 1 << 20;
    private const int Mask = Flows - 1;
    private const uint ClientIsn = 1000;
    private const uint ServerIsn = 900_000;

    private ConnTable _table = null!;
    private ParsedPacket _udpReply;
    private ParsedPacket _tcpAck;
    private ParsedPacket _newFlow;
    private int _i;
    private uint _fresh;

    [GlobalSetup]
    public void Setup()
    {
        _table = new ConnTable(new ConnTableOptions { MaxEntries = 1_310_720, ShardCount = 64, HashSeed = 11 });
        var admission = new ConnAdmission(1, 1, 2, 3);
        var udp = Template(Udp());
        var syn = Template(Tcp(TcpFlags.Syn, ClientIsn, 0));
        var synAck = Template(Tcp(TcpFlags.Syn | TcpFlags.Ack, ServerIsn, ClientIsn + 1));
        var ack = Template(Tcp(TcpFlags.Ack, ClientIsn + 1, ServerIsn + 1));
        for (var f = 0; f < Flows; f++)
        {
            if ((f & 1) == 0)
            {
                var p = Flow(udp, f, reply: false);
                _table.Commit(default, in p, 0, 0, in admission, out _);
                p = Flow(udp, f, reply: true);
                _table.Track(default, in p, 0, 0);
            }
            else
            {
                var p = Flow(syn, f, reply: false);
                _table.Commit(default, in p, 0, 0, in admission, out _);
                p = Flow(synAck, f, reply: true);
                _table.Track(default, in p, 0, 0);
                p = Flow(ack, f, reply: false);
                _table.Track(default, in p, 0, 0);
            }
        }
        if (_table.Count != Flows)
        {
            throw new InvalidOperationException($"setup made {_table.Count} entries");
        }
        _udpReply = Flow(udp, 0, reply: true);
        _tcpAck = Flow(ack, 1, reply: false);
        _newFlow = Flow(udp, 0, reply: false);
    }

    [GlobalCleanup]
    public void Cleanup() => _table.Dispose();

    /// <summary>A UDP reply of one of 524,288 established UDP flows, visited in a scattered order.</summary>
    [Benchmark(Baseline = true)]
    public ConnVerdict TrackEstablishedUdp()
    {
        _i = (_i + 7919 * 2) & Mask;
        _udpReply.IpDestination = Address(_i);
        return _table.Track(default, in _udpReply, 0, 1).Verdict;
    }

    /// <summary>A pure ACK of one of 524,288 established TCP connections (window checks included), scattered.</summary>
    [Benchmark]
    public ConnVerdict TrackEstablishedTcp()
    {
        _i = ((_i + 7919 * 2) & Mask) | 1;
        _tcpAck.IpSource = Address(_i);
        return _table.Track(default, in _tcpAck, 0, 1).Verdict;
    }

    /// <summary>The same established flow every time: the cost without cache misses.</summary>
    [Benchmark]
    public ConnVerdict TrackHotFlow() => _table.Track(default, in _udpReply, 0, 1).Verdict;

    /// <summary>Insert of a new UDP connection into the 1M-entry table, then its removal (two lock holds).</summary>
    [Benchmark]
    public bool CommitAndRemove()
    {
        _fresh++;
        _newFlow.IpSource = IpAddress128.FromIpv4(0x0B00_0000u | (_fresh & 0xFF_FFFF));
        var admission = new ConnAdmission(1, 1, 2, 3);
        _table.Commit(default, in _newFlow, 0, 1, in admission, out var handle);
        return _table.Remove(handle);
    }

    private static IpAddress128 Address(int flow) => IpAddress128.FromIpv4(0x0A00_0000u | (uint)flow);

    /// <summary>The packet of flow <paramref name="flow"/> in the given direction (client 10.x.y.z, server 172.16.0.1).</summary>
    private static ParsedPacket Flow(ParsedPacket template, int flow, bool reply)
    {
        var p = template;
        if (reply)
        {
            p.IpSource = IpAddress128.FromIpv4(0xAC10_0001);
            p.IpDestination = Address(flow);
        }
        else
        {
            p.IpSource = Address(flow);
            p.IpDestination = IpAddress128.FromIpv4(0xAC10_0001);
        }
        if (reply)
        {
            (p.SourcePort, p.DestinationPort) = (p.DestinationPort, p.SourcePort);
        }
        return p;
    }

    private static ParsedPacket Template(byte[] frame)
    {
        if (PacketParser.Parse(frame, out var packet) != ParseError.None)
        {
            throw new InvalidOperationException("bad template frame");
        }
        return packet;
    }

    private static byte[] Udp()
    {
        var frame = Ipv4(IpProtocol.Udp, 8 + 18);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(36), 53);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(38), 26);
        return frame;
    }

    private static byte[] Tcp(byte flags, uint seq, uint ack)
    {
        var frame = Ipv4(IpProtocol.Tcp, 20);
        var tcp = frame.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.Slice(2), 443);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.Slice(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.Slice(8), ack);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.Slice(14), 65535);
        return frame;
    }

    private static byte[] Ipv4(byte protocol, int l4Size)
    {
        var frame = new byte[14 + 20 + l4Size];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Ipv4);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(20 + l4Size));
        ip[8] = 64;
        ip[9] = protocol;
        return frame;
    }
}
