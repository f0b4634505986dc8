using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Pipeline;

/// <summary>
/// The whole pipeline with stateful security groups (1,000 ingress rules on the receiver) and connection tracking:
/// batches of 32 packets of established TCP connections (100,000 tracked), and batches of 32 new connections (SYNs
/// that are admitted and committed). One core; divide by 32 for a packet or a connection.
/// </summary>
[MemoryDiagnoser]
public class StatefulPipelineBenchmarks
{
    private const int Connections = 100_000;
    private const uint ClientBase = 0xC612_0000;
    private const uint Server = 0xC613_0001;

    private Datapath _datapath = null!;
    private Worker _worker = null!;
    private DataplaneSnapshot _snapshot = null!;
    private PacketBatch _batch = null!;
    private byte[][] _established = null!;
    private byte[] _syn = null!;
    private int _next;
    private uint _newFlow;

    /// <summary>
    /// Connections the established batches cycle through (all 100,000 are tracked either way): 100,000 touches a new
    /// connection with every packet (no cache of any kind helps); 4,096 fit the worker's flow cache and the CPU caches.
    /// </summary>
    [Params(4_096, Connections)]
    public int ActiveFlows { get; set; }

    private static byte[] Tcp(MacAddress src, MacAddress dst, uint from, uint to, ushort sport, ushort dport, byte flags, uint seq, uint ack) =>
        BenchmarkFrames.Tcp(src, dst, from, to, sport, dport, flags, seq, ack);

    /// <summary>The datapath under test (for the profile loop's report).</summary>
    internal Datapath Datapath => _datapath;

    private static (uint Ip, ushort Port) Client(int flow) => (ClientBase | (uint)(flow >> 8 & 0xFFFF), (ushort)(10000 + (flow & 0xFF)));

    [GlobalSetup]
    public void Setup()
    {
        _datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, ConntrackMaxEntries = 1 << 20 });
        var macA = BenchmarkFrames.Mac(1);
        var macB = BenchmarkFrames.Mac(2);
        var a = new InMemoryPort("memory:a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:b", 1, captureTransmitted: false);
        var anyEgress = new ClassifierRule(0, false, -1, -1, -1, -1, -1, default, 0);
        var ingress = Enumerable.Range(0, 1000).Select(i => new ClassifierRule(i, false, 6, 2000 + i, 2000 + i, -1, -1, default, 0))
            .Append(new ClassifierRule(1000, false, 6, 80, 80, -1, -1, IpAddress128.FromIpv4(ClientBase), 96 + 16)).ToArray();
        var policyA = new PortPolicy(new PortAddresses([(macA, IpAddress128.FromIpv4(ClientBase), 16)]), true,
            ClassifierCompiler.Compile([]), ClassifierCompiler.Compile([anyEgress]), [], [0]);
        var policyB = new PortPolicy(new PortAddresses([(macB, IpAddress128.FromIpv4(Server), 32)]), true,
            ClassifierCompiler.Compile(ingress), ClassifierCompiler.Compile([anyEgress]), ingress.Select(r => r.Index + 1).ToArray(), [0]);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", a, 0, true, macA, policyA);
        ports[1] = new SwitchPort(1, "b", b, 0, true, macB, policyB);
        _snapshot = new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1], Stateful: true)], policyGeneration: 1);
        _datapath.Publish(_snapshot);
        _datapath.Macs.AddStatic(0, macA, 0, 0);
        _datapath.Macs.AddStatic(0, macB, 1, 0);
        _worker = _datapath.Workers[0];
        _worker.SyncSnapshot();
        _batch = new PacketBatch(2048);

        // Establish the connections: SYN, SYN-ACK, ACK each.
        _established = new byte[Connections][];
        for (var flow = 0; flow < Connections; flow++)
        {
            var (ip, port) = Client(flow);
            Send(0, Tcp(macA, macB, ip, Server, port, 80, TcpFlags.Syn, 1000, 0));
            Send(1, Tcp(macB, macA, Server, ip, 80, port, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001));
            Send(0, Tcp(macA, macB, ip, Server, port, 80, TcpFlags.Ack, 1001, 5001));
            _established[flow] = Tcp(macA, macB, ip, Server, port, 80, TcpFlags.Ack, 1001, 5001);
        }
        if (_datapath.Conntrack.Count < Connections)
        {
            throw new InvalidOperationException($"only {_datapath.Conntrack.Count} connections were established");
        }
        _syn = Tcp(macA, macB, ClientBase, Server, 1, 80, TcpFlags.Syn, 1000, 0);
    }

    private void Send(int inSlot, byte[] frame)
    {
        _batch.ResetForReceive();
        frame.CopyTo(_batch.Buffer(0));
        _batch[0].Length = frame.Length;
        _batch.Count = 1;
        _worker.ProcessBatch(_snapshot, _snapshot.Ports[inSlot]!, _batch);
    }

    /// <summary>32 packets of established connections (100k tracked).</summary>
    [Benchmark]
    public void EstablishedBatch()
    {
        var batch = _batch;
        batch.ResetForReceive();
        for (var i = 0; i < PacketBatch.MaxSize; i++)
        {
            var f = _established[_next];
            _next = _next + 1 == ActiveFlows ? 0 : _next + 1;
            f.CopyTo(batch.Buffer(i));
            batch[i].Length = f.Length;
        }
        batch.Count = PacketBatch.MaxSize;
        _worker.ProcessBatch(_snapshot, _snapshot.Ports[0]!, batch);
    }

    /// <summary>32 new connections (SYN admitted and committed).</summary>
    [Benchmark]
    public void NewConnectionsBatch()
    {
        var batch = _batch;
        batch.ResetForReceive();
        for (var i = 0; i < PacketBatch.MaxSize; i++)
        {
            var flow = _newFlow++;
            var buffer = batch.Buffer(i);
            _syn.CopyTo(buffer);
            // A fresh 5-tuple per SYN: source address and port from the flow number (client range 198.18.0.0/16).
            BinaryPrimitives.WriteUInt32BigEndian(buffer.Slice(14 + 12), ClientBase | ((flow >> 14) & 0xFFFF));
            BinaryPrimitives.WriteUInt16BigEndian(buffer.Slice(34), (ushort)(20000 + (flow & 0x3FFF)));
            batch[i].Length = _syn.Length;
        }
        batch.Count = PacketBatch.MaxSize;
        _worker.ProcessBatch(_snapshot, _snapshot.Ports[0]!, batch);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _datapath.Dispose();
    }
}
