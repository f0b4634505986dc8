using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Dataplane.Routing;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Pipeline;

/// <summary>
/// Routed against switched: the whole pipeline with stateful groups at both ends, batches of 32 packets of established
/// TCP connections (4,096 active), from a to b on a's network (<see cref="SwitchedBatch"/>) or from a through a router
/// to c on another network (<see cref="RoutedBatch"/>: the router's lookup, the next hop, the MAC and TTL rewrite).
/// <see cref="FloatingIpBatch"/>: from outside to b's floating IP (translated on the router's gateway, tracked by its
/// inside tuple). <see cref="SnatOutBatch"/> and <see cref="SnatReplyBatch"/>: a's connections to the outside through the
/// router's SNAT (the binding's lookup, address and port translated), and their replies (the binding's lookup, the
/// translation back, the inside lookup). Issue 18's target: routed and NATed packets cost at most 1.3 times a switched one. One core;
/// divide by 32 for a packet.
/// </summary>
[MemoryDiagnoser]
public class RoutedPipelineBenchmarks
{
    private const int Flows = 4_096;
    private const uint ClientBase = 0xC612_0000; // 198.18.0.0/16, network 0
    private const uint ServerB = 0xC612_FF01;    // on network 0
    private const uint ServerC = 0xC613_0001;    // 198.19.0.1, network 1
    private const uint Outside = 0xC613_FF0A;    // on network 2, the external one
    private const uint Floating = 0xC613_FE01;   // b's floating IP on network 2
    private static readonly MacAddress s_gateway = new(0xFA16_3E00_0003UL);
    private static readonly MacAddress s_router0 = new(0xFA16_3E00_0001UL);
    private static readonly MacAddress s_router1 = new(0xFA16_3E00_0002UL);

    private Datapath _datapath = null!;
    private Worker _worker = null!;
    private DataplaneSnapshot _snapshot = null!;
    private PacketBatch _batch = null!;
    private byte[][] _switched = null!;
    private byte[][] _routed = null!;
    private byte[][] _floating = null!;
    private byte[][] _snatOut = null!;
    private byte[][] _snatReply = null!;
    private int _next;

    private static byte[] Tcp(MacAddress src, MacAddress dst, uint from, uint to, ushort sport, ushort dport, byte flags, uint seq, uint ack) =>
        BenchmarkFrames.Tcp(src, dst, from, to, sport, dport, flags, seq, ack);

    [GlobalSetup]
    public void Setup()
    {
        _datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, ConntrackMaxEntries = 1 << 16 });
        var (macA, macB, macC) = (BenchmarkFrames.Mac(1), BenchmarkFrames.Mac(2), BenchmarkFrames.Mac(3));
        var any = new ClassifierRule(0, false, -1, -1, -1, -1, -1, default, 0);
        var http = new ClassifierRule(0, false, 6, 80, 80, -1, -1, default, 0);
        PortPolicy Server(MacAddress mac, uint ip) => new(new PortAddresses([(mac, IpAddress128.FromIpv4(ip), 32)]), true,
            ClassifierCompiler.Compile([http]), ClassifierCompiler.Compile([any]), [1], [0]);
        var ports = new SwitchPort?[8];
        ports[0] = new SwitchPort(0, "a", new InMemoryPort("memory:a", 1, captureTransmitted: false), 0, true, macA,
            new PortPolicy(new PortAddresses([(macA, IpAddress128.FromIpv4(ClientBase), 16)]), true, ClassifierCompiler.Compile([]), ClassifierCompiler.Compile([any]), [], [0]));
        ports[1] = new SwitchPort(1, "b", new InMemoryPort("memory:b", 1, captureTransmitted: false), 0, true, macB, Server(macB, ServerB));
        ports[2] = new SwitchPort(2, "c", new InMemoryPort("memory:c", 1, captureTransmitted: false), 1, true, macC, Server(macC, ServerC));
        var macO = BenchmarkFrames.Mac(4);
        ports[3] = new SwitchPort(3, "o", new InMemoryPort("memory:o", 1, captureTransmitted: false), 2, true, macO);
        var if0 = new RouterInterface(0, 0, s_router0, 0xC612_FFFE, []);
        var if1 = new RouterInterface(0, 1, s_router1, 0xC613_FFFE, []);
        var gw = new RouterInterface(0, 2, s_gateway, 0xC613_FF01, []) { FloatingIpv4 = [Floating] };
        var router = new LogicalRouter(0, "r", true, [if0, if1, gw],
            [
                new(IpAddress128.FromIpv4(ClientBase), 96 + 16, 0, default), new(IpAddress128.FromIpv4(0xC613_0000), 96 + 24, 1, default),
                new(IpAddress128.FromIpv4(0xC613_FF00), 96 + 24, 2, default),
            ],
            [
                new(IpAddress128.FromIpv4(ServerB), new Neighbor(1, macB)), new(IpAddress128.FromIpv4(ServerC), new Neighbor(2, macC)),
                new(IpAddress128.FromIpv4(Outside), new Neighbor(3, macO)),
                // a's addresses, which SNAT's replies are routed to.
                .. Enumerable.Range(0, Flows >> 8).Select(c => new KeyValuePair<IpAddress128, Neighbor>(IpAddress128.FromIpv4(ClientBase | (uint)c), new Neighbor(0, macA))),
            ])
        {
            GatewayInterface = 2,
            SnatIpv4 = 0xC613_FF01,
            NatZone = ConnTable.NatZone(2),
            FixedOf = new Ipv4Map<uint>([KeyValuePair.Create(Floating, ServerB)]),
            FloatingOf = new Ipv4Map<uint>([KeyValuePair.Create(ServerB, Floating)]),
        };
        _snapshot = new DataplaneSnapshot(1, ports,
            [
                new NetworkSegment(0, "n0", [0, 1], Stateful: true) { RouterInterfaces = [if0] },
                new NetworkSegment(1, "n1", [2], Stateful: true) { Zone = 0, RouterInterfaces = [if1] },
                new NetworkSegment(2, "ext", [3]) { RouterInterfaces = [gw] },
            ], policyGeneration: 1)
        {
            Routers = [router],
        };
        _datapath.Publish(_snapshot);
        _datapath.Macs.AddStatic(0, macA, 0, 0);
        _datapath.Macs.AddStatic(0, macB, 1, 0);
        _datapath.Macs.AddStatic(1, macC, 2, 0);
        _datapath.Macs.AddStatic(2, macO, 3, 0);
        _worker = _datapath.Workers[0];
        _worker.SyncSnapshot();
        _batch = new PacketBatch(2048);

        // Establish every connection both ways: SYN, SYN-ACK, ACK (the routed ones through the router in both directions).
        _switched = new byte[Flows][];
        _routed = new byte[Flows][];
        _floating = new byte[Flows][];
        _snatOut = new byte[Flows][];
        _snatReply = new byte[Flows][];
        for (var flow = 0; flow < Flows; flow++)
        {
            var client = ClientBase | (uint)(flow >> 8);
            var port = (ushort)(10000 + (flow & 0xFF));
            Send(0, Tcp(macA, macB, client, ServerB, port, 80, TcpFlags.Syn, 1000, 0));
            Send(1, Tcp(macB, macA, ServerB, client, 80, port, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001));
            Send(0, Tcp(macA, s_router0, client, ServerC, port, 80, TcpFlags.Syn, 1000, 0));
            Send(2, Tcp(macC, s_router1, ServerC, client, 80, port, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001));
            _switched[flow] = Tcp(macA, macB, client, ServerB, port, 80, TcpFlags.Ack, 1001, 5001);
            _routed[flow] = Tcp(macA, s_router0, client, ServerC, port, 80, TcpFlags.Ack, 1001, 5001);
            Send(0, _switched[flow]);
            Send(0, _routed[flow]);
            // From the outside to b's floating IP, admitted by b's rule for port 80.
            var outsidePort = (ushort)(20000 + flow);
            Send(3, Tcp(macO, s_gateway, Outside, Floating, outsidePort, 80, TcpFlags.Syn, 1000, 0));
            Send(1, Tcp(macB, s_router0, ServerB, Outside, 80, outsidePort, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001));
            _floating[flow] = Tcp(macO, s_gateway, Outside, Floating, outsidePort, 80, TcpFlags.Ack, 1001, 5001);
            Send(3, _floating[flow]);
            // From a to the outside through SNAT: one remote port per client, so every client keeps its ports.
            var remotePort = (ushort)(443 + (flow >> 8));
            Send(0, Tcp(macA, s_router0, client, Outside, port, remotePort, TcpFlags.Syn, 1000, 0));
            Send(3, Tcp(macO, s_gateway, Outside, 0xC613_FF01, remotePort, port, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001));
            _snatOut[flow] = Tcp(macA, s_router0, client, Outside, port, remotePort, TcpFlags.Ack, 1001, 5001);
            _snatReply[flow] = Tcp(macO, s_gateway, Outside, 0xC613_FF01, remotePort, port, TcpFlags.Ack, 5001, 1001);
            Send(0, _snatOut[flow]);
            Send(3, _snatReply[flow]);
        }
        if (_datapath.Conntrack.Count < 5 * Flows)
        {
            throw new InvalidOperationException($"only {_datapath.Conntrack.Count} connections were established");
        }
        // Every benchmark's packets must be delivered, or it would measure drops.
        foreach (var (frames, inSlot, outSlot) in new[] { (_switched, 0, 1), (_routed, 0, 2), (_floating, 3, 1), (_snatOut, 0, 3), (_snatReply, 3, 0) })
        {
            var output = (InMemoryPort)_snapshot.Ports[outSlot]!.Port;
            var before = output.TransmittedCount;
            Run(frames, inSlot);
            if (output.TransmittedCount - before != PacketBatch.MaxSize)
            {
                var drops = string.Join(", ", Enum.GetValues<DropReason>().Where(r => r != DropReason.Count)
                    .Select(r => $"{r.Label()} {_datapath.ReadDrop(inSlot, r, Direction.Egress)}/{_datapath.ReadDrop(outSlot, r, Direction.Ingress)}"));
                throw new InvalidOperationException($"{output.TransmittedCount - before} of {PacketBatch.MaxSize} packets from port {inSlot} reached port {outSlot} (drops egress/ingress: {drops})");
            }
        }
    }

    private void Send(int inSlot, byte[] frame)
    {
        _batch.ResetForReceive();
        frame.CopyTo(_batch.Buffer(0));
        _batch[0].Length = frame.Length;
        _batch.Count = 1;
        _worker.ProcessBatch(_snapshot, _snapshot.Ports[inSlot]!, _batch);
    }

    private void Run(byte[][] frames, int inSlot = 0)
    {
        var batch = _batch;
        batch.ResetForReceive();
        for (var i = 0; i < PacketBatch.MaxSize; i++)
        {
            var f = frames[_next];
            _next = _next + 1 == Flows ? 0 : _next + 1;
            f.CopyTo(batch.Buffer(i));
            batch[i].Length = f.Length;
        }
        batch.Count = PacketBatch.MaxSize;
        _worker.ProcessBatch(_snapshot, _snapshot.Ports[inSlot]!, batch);
    }

    /// <summary>32 established packets a → b, on one network.</summary>
    [Benchmark(Baseline = true)]
    public void SwitchedBatch() => Run(_switched);

    /// <summary>32 established packets a → router → c, across two networks.</summary>
    [Benchmark]
    public void RoutedBatch() => Run(_routed);

    /// <summary>32 established packets from the outside to b's floating IP: DNAT, the inside lookup, routed to b.</summary>
    [Benchmark]
    public void FloatingIpBatch() => Run(_floating, inSlot: 3);

    /// <summary>32 established packets a → router → outside through SNAT: the binding's lookup, source address and port translated.</summary>
    [Benchmark]
    public void SnatOutBatch() => Run(_snatOut);

    /// <summary>32 replies outside → gateway → a: the binding's lookup, destination translated back, the inside lookup.</summary>
    [Benchmark]
    public void SnatReplyBatch() => Run(_snatReply, inSlot: 3);

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        _datapath.Dispose();
    }
}
