using System.Buffers.Binary;
using System.Diagnostics;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// Runs a VM's first conversations through the pipeline on a private data path with in-memory ports, before the real
/// one forwards anything, so that the first packets of real VMs do not wait for the JIT compiler.
/// </summary>
/// <remarks>
/// <para><b>Why.</b> The runtime compiles a method the first time it is called. A fresh daemon's first ping used to
/// take 15-20 ms (63 and 199 ms on a loaded machine) against 0.3 ms for the next one: its ARP and echo exchange was
/// the first caller of the parser, port security, the classifier, conntrack's commit and lookup, MAC learning and the
/// flood and unicast outputs. Code is compiled once per process, whichever data path calls it first, so running the
/// same stages here on frames that take every branch a VM's first exchanges take moves that cost to start-up.</para>
/// <para><b>What.</b> ARP, TCP handshakes, UDP and echo exchanges (IPv4 and IPv6), neighbor discovery, a fragmented
/// datagram (in order and out of order, held and replayed), denied, spoofed, malformed, tagged and flooded frames, from
/// ports with stateful groups, with stateless ones and without port security, through <see cref="Worker.PollOnce"/>
/// (the worker loop) and <see cref="Worker.ProcessBatch"/>. Nothing is shared with the real data path.</para>
/// <para><b>Not covered:</b> the port backends' own receive and transmit code (TAP, AF_PACKET), which needs real
/// devices; perf/first-packet.sh measures what is left.</para>
/// </remarks>
public static class PipelineWarmup
{
    /// <summary>What a warm-up did: its duration and the private data path's counters (which paths it took).</summary>
    /// <param name="Elapsed">How long it took.</param>
    /// <param name="Transmitted">Frames the private ports transmitted.</param>
    /// <param name="Drops">Drops by reason, summed over ports and directions.</param>
    /// <param name="Connections">Connections committed.</param>
    /// <param name="FragmentsMatched">Later fragments judged with their first fragment's L4 fields.</param>
    /// <param name="FragmentsHeld">Later fragments held for their first fragment (and replayed).</param>
    public sealed record Result(TimeSpan Elapsed, long Transmitted, IReadOnlyDictionary<DropReason, long> Drops, long Connections,
        long FragmentsMatched, long FragmentsHeld);

    private static readonly MacAddress s_macA = new(0x02_00_00_00_FF_01);
    private static readonly MacAddress s_macB = new(0x02_00_00_00_FF_02);
    private const uint Ipv4A = 0xC612_FF01;
    private const uint Ipv4B = 0xC612_FF02;
    private static readonly IpAddress128 s_ipv6A = new(0x2001_0DB8_00FF_0000UL, 1);
    private static readonly IpAddress128 s_ipv6B = new(0x2001_0DB8_00FF_0000UL, 2);

    /// <summary>Runs the warm-up; returns how long it took and what it did.</summary>
    public static unsafe Result Run()
    {
        var watch = Stopwatch.StartNew();
        using var datapath = new Datapath(new DatapathOptions
        {
            Workers = 1,
            Pin = false,
            MaxPorts = 4,
            MaxRules = 16,
            BufferSize = 4096,
            FlowCacheEntries = 64,
            ConntrackMaxEntries = 1024,
            MacTableCapacity = 1024,
            FragmentMaxDatagrams = 64,
            SecurityGroupLogRingSize = 16,
        });
        var a = new InMemoryPort("memory:warmup-a", 1, captureTransmitted: false);
        var b = new InMemoryPort("memory:warmup-b", 1, captureTransmitted: false);
        var c = new InMemoryPort("memory:warmup-c", 1, captureTransmitted: false);
        try
        {
            var worker = datapath.Workers[0];
            var events = stackalloc Interop.epoll_event[4];
            using var batch = new PacketBatch(4096);
            foreach (var stateful in new[] { true, false })
            {
                var ports = new SwitchPort?[4];
                ports[0] = new SwitchPort(0, "a", a, 0, true, s_macA, Policy(s_macA, Ipv4A, s_ipv6A, stateful), SecurityGroupLogging.Accept | SecurityGroupLogging.Drop);
                ports[1] = new SwitchPort(1, "b", b, 0, true, s_macB, Policy(s_macB, Ipv4B, s_ipv6B, stateful));
                ports[2] = new SwitchPort(2, "c", c, 0, true, null);
                datapath.Publish(new DataplaneSnapshot(stateful ? 1 : 2, ports, [new NetworkSegment(0, "warmup", [0, 1, 2], stateful, 1500)], stateful ? 1 : 2));
                worker.PollOnce(events, 4, 0);
                var snapshot = datapath.Publisher.Current;
                foreach (var (from, frames) in Conversations())
                {
                    batch.ResetForReceive();
                    foreach (var frame in frames)
                    {
                        frame.CopyTo(batch.Buffer(batch.Count));
                        batch[batch.Count].Length = frame.Length;
                        batch.Count++;
                    }
                    worker.ProcessBatch(snapshot, snapshot.Ports[from]!, batch);
                }
                // The worker loop itself: a frame that arrives on a port's queue.
                a.Inject(Udp(false, s_macA, s_macB, 40001, 53, 8, 0, 0, more: false));
                worker.PollOnce(events, 4, 0);
                worker.ReplayHeld();
                worker.SecurityGroupLog.Drain(new SecurityGroupLogEvent[16]);
            }
            var drops = new Dictionary<DropReason, long>();
            for (var r = 0; r < (int)DropReason.Count; r++)
            {
                for (var slot = 0; slot < 3; slot++)
                {
                    drops[(DropReason)r] = drops.GetValueOrDefault((DropReason)r)
                        + datapath.ReadDrop(slot, (DropReason)r, Direction.Ingress) + datapath.ReadDrop(slot, (DropReason)r, Direction.Egress);
                }
            }
            return new Result(watch.Elapsed, a.TransmittedCount + b.TransmittedCount + c.TransmittedCount, drops, datapath.Conntrack.CreatedTotal,
                datapath.Read(WorkerCounter.FragmentsMatched), datapath.Read(WorkerCounter.FragmentsHeld));
        }
        finally
        {
            a.Dispose();
            b.Dispose();
            c.Dispose();
        }
    }

    private static PortPolicy Policy(MacAddress mac, uint ipv4, IpAddress128 ipv6, bool stateful)
    {
        ClassifierRule[] ingress =
        [
            new(0, false, IpProtocol.Tcp, 80, 80, -1, -1, default, 0),
            new(1, true, IpProtocol.Tcp, 80, 80, -1, -1, default, 0),
            new(2, false, IpProtocol.Udp, 53, 53, -1, -1, default, 0),
            new(3, true, IpProtocol.Udp, 53, 53, -1, -1, default, 0),
            new(4, false, IpProtocol.Icmp, -1, -1, 8, -1, default, 0),
            new(5, true, IpProtocol.Icmpv6, -1, -1, 128, -1, default, 0),
        ];
        ClassifierRule[] egress = [new(0, false, -1, -1, -1, -1, -1, default, 0), new(1, true, -1, -1, -1, -1, -1, default, 0)];
        return new PortPolicy(
            new PortAddresses([new PortAddresses.Entry(mac, IpAddress128.FromIpv4(ipv4), 32, false), new PortAddresses.Entry(mac, ipv6, 128, true)]),
            stateful,
            ClassifierCompiler.Compile(ingress),
            ClassifierCompiler.Compile(egress),
            [0, 1, 2, 3, 4, 5],
            [6, 7]);
    }

    /// <summary>Batches as (sending port slot, frames): the exchanges a VM's first minutes are made of.</summary>
    private static IEnumerable<(int From, byte[][] Frames)> Conversations()
    {
        foreach (var v6 in new[] { false, true })
        {
            var (ma, mb) = (s_macA, s_macB);
            yield return (0, [Neighbor(v6, ma, MacAddress.Broadcast, request: true)]);
            yield return (1, [Neighbor(v6, mb, ma, request: false)]);
            yield return (0, [Tcp(v6, ma, mb, 40000, 80, TcpFlags.Syn, 1000, 0)]);
            yield return (1, [Tcp(v6, mb, ma, 80, 40000, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001)]);
            yield return (0, [Tcp(v6, ma, mb, 40000, 80, TcpFlags.Ack, 1001, 5001), Tcp(v6, ma, mb, 40000, 80, TcpFlags.Ack | TcpFlags.Psh, 1001, 5001)]);
            yield return (0, [Udp(v6, ma, mb, 40000, 53, 8, 0, 0, more: false), Echo(v6, ma, mb, request: true)]);
            yield return (1, [Udp(v6, mb, ma, 53, 40000, 8, 0, 0, more: false), Echo(v6, mb, ma, request: false)]);
            // Denied (tcp/22), spoofed, flooded to an unknown MAC, malformed, tagged, over the MTU.
            yield return (0, [Tcp(v6, ma, mb, 40002, 22, TcpFlags.Syn, 1, 0), Tcp(v6, mb, mb, 40003, 80, TcpFlags.Syn, 1, 0),
                Udp(v6, ma, new MacAddress(0x02_00_00_00_FF_09), 40004, 53, 8, 0, 0, more: false), Truncated(ma, mb), Tagged(ma, mb),
                Udp(v6, ma, mb, 40005, 53, 1600, 0, 0, more: false)]);
            // A fragmented datagram in order, then one whose later fragment comes first (held, then replayed).
            yield return (0, [Udp(v6, ma, mb, 40006, 53, 24, 7, 0, more: true), Udp(v6, ma, mb, 40006, 53, 16, 7, 32, more: false)]);
            yield return (0, [Udp(v6, ma, mb, 40007, 53, 16, 8, 32, more: false)]);
            yield return (0, [Udp(v6, ma, mb, 40007, 53, 24, 8, 0, more: true)]);
            // From the port without port security.
            yield return (2, [Udp(v6, new MacAddress(0x02_00_00_00_FF_03), mb, 40008, 53, 8, 0, 0, more: false)]);
        }
    }

    private static byte[] Frame(bool v6, MacAddress src, MacAddress dst, byte protocol, ReadOnlySpan<byte> l4, uint fragmentId = 0, int fragmentOffset = -1, bool more = false)
    {
        var fragmentHeader = v6 && fragmentOffset >= 0 ? 8 : 0;
        var ipHeader = (v6 ? 40 : 20) + fragmentHeader;
        var frame = new byte[Math.Max(60, 14 + ipHeader + l4.Length)];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), v6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var ip = frame.AsSpan(14);
        var (from, to) = src == s_macB ? (1, 0) : (0, 1);
        if (v6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)(fragmentHeader + l4.Length));
            ip[6] = fragmentHeader != 0 ? IpProtocol.Ipv6Fragment : protocol;
            ip[7] = 255;
            var s = from == 0 ? s_ipv6A : s_ipv6B;
            var d = to == 0 ? s_ipv6A : s_ipv6B;
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(8), s.High);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(16), s.Low);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(24), d.High);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(32), d.Low);
            if (fragmentHeader != 0)
            {
                ip[40] = protocol;
                BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(42), (ushort)(fragmentOffset | (more ? 1 : 0)));
                BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(44), fragmentId);
            }
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(20 + l4.Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)fragmentId);
            if (fragmentOffset >= 0)
            {
                BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(6), (ushort)((fragmentOffset >> 3) | (more ? 0x2000 : 0)));
            }
            ip[8] = 64;
            ip[9] = protocol;
            BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(12), from == 0 ? Ipv4A : Ipv4B);
            BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(16), to == 0 ? Ipv4A : Ipv4B);
        }
        l4.CopyTo(ip.Slice(ipHeader));
        return frame;
    }

    private static byte[] Tcp(bool v6, MacAddress src, MacAddress dst, ushort sport, ushort dport, byte flags, uint seq, uint ack)
    {
        Span<byte> tcp = stackalloc byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.Slice(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.Slice(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.Slice(8), ack);
        tcp[12] = 0x50;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.Slice(14), 65535);
        return Frame(v6, src, dst, IpProtocol.Tcp, tcp);
    }

    /// <summary>UDP; with <paramref name="fragmentId"/> non-zero a fragment at <paramref name="offset"/> (the L4 header only at 0).</summary>
    private static byte[] Udp(bool v6, MacAddress src, MacAddress dst, ushort sport, ushort dport, int payload, uint fragmentId, int offset, bool more)
    {
        var fragment = fragmentId != 0;
        var l4 = new byte[fragment && offset != 0 ? payload : 8 + payload];
        if (!fragment || offset == 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(l4, sport);
            BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), dport);
            BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), (ushort)(fragment ? 48 : l4.Length));
        }
        return Frame(v6, src, dst, IpProtocol.Udp, l4, fragmentId, fragment ? offset : -1, more);
    }

    private static byte[] Echo(bool v6, MacAddress src, MacAddress dst, bool request)
    {
        Span<byte> icmp = stackalloc byte[16];
        icmp[0] = v6 ? (byte)(request ? 128 : 129) : (byte)(request ? 8 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.Slice(4), 7);
        return Frame(v6, src, dst, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, icmp);
    }

    /// <summary>An ARP request or reply (IPv4) or a neighbor solicitation or advertisement with its link-layer option (IPv6).</summary>
    private static byte[] Neighbor(bool v6, MacAddress src, MacAddress dst, bool request)
    {
        var from = src == s_macB ? (Ipv4B, s_ipv6B) : (Ipv4A, s_ipv6A);
        var to = src == s_macB ? (Ipv4A, s_ipv6A) : (Ipv4B, s_ipv6B);
        if (!v6)
        {
            var arp = new byte[60];
            dst.Write(arp);
            src.Write(arp.AsSpan(6));
            BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(12), EtherType.Arp);
            var a = arp.AsSpan(14);
            BinaryPrimitives.WriteUInt16BigEndian(a, 1);
            BinaryPrimitives.WriteUInt16BigEndian(a.Slice(2), EtherType.Ipv4);
            a[4] = 6;
            a[5] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(a.Slice(6), (ushort)(request ? 1 : 2));
            src.Write(a.Slice(8));
            BinaryPrimitives.WriteUInt32BigEndian(a.Slice(14), from.Item1);
            BinaryPrimitives.WriteUInt32BigEndian(a.Slice(24), to.Item1);
            return arp;
        }
        Span<byte> nd = stackalloc byte[32];
        nd[0] = request ? (byte)135 : (byte)136;
        BinaryPrimitives.WriteUInt64BigEndian(nd.Slice(8), (request ? to.Item2 : from.Item2).High);
        BinaryPrimitives.WriteUInt64BigEndian(nd.Slice(16), (request ? to.Item2 : from.Item2).Low);
        nd[24] = request ? (byte)1 : (byte)2;
        nd[25] = 1;
        src.Write(nd.Slice(26));
        return Frame(v6: true, src, dst, IpProtocol.Icmpv6, nd);
    }

    /// <summary>An IPv4 frame cut off inside its IP header.</summary>
    private static byte[] Truncated(MacAddress src, MacAddress dst)
    {
        var frame = new byte[24];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Ipv4);
        frame[14] = 0x45;
        return frame;
    }

    private static byte[] Tagged(MacAddress src, MacAddress dst)
    {
        var frame = new byte[64];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Vlan);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 10);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 0x88B5);
        return frame;
    }
}
