using Microsoft.Extensions.Time.Testing;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using Xunit.Abstractions;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests.Fuzz;

/// <summary>
/// Random and mutated frames through the whole pipeline (parse, fragments, port security, policy, conntrack, L2,
/// output): no exception, and every frame is forwarded, counted as a drop, held for its first fragment, or addressed
/// back to the port it came from.
/// </summary>
/// <remarks>
/// Three ports on one network: a (stateful groups, some ingress rules), b (stateless groups) and c (no port security).
/// Frames are (1) random bytes of random length, (2) valid frames of every kind the parser knows (ARP, IPv4 and IPv6
/// with TCP, UDP, SCTP, ICMP, ND, extension headers, fragments, VLAN tags), from the ports' own addresses or not,
/// and (3) such frames with random bytes flipped, cut short or extended. Most go one per batch, so each frame's fate
/// can be read off the counters exactly; some go in batches of 32, which must also be processed without an exception
/// and counted as received. The CI run is short; <c>VSWITCH_FUZZ_FRAMES=10000000 dotnet test --filter PipelineFuzz</c>
/// is the campaign of issue 15 (figures in perf/RESULTS.md).
/// </remarks>
public sealed class PipelineFuzzTests(ITestOutputHelper output) : IDisposable
{
    private static readonly int s_frames = int.TryParse(Environment.GetEnvironmentVariable("VSWITCH_FUZZ_FRAMES"), out var n) && n > 0 ? n : 200_000;

    private readonly FakeTimeProvider _clock = new();
    private readonly InMemoryPort[] _ports = [new("memory:a", 1, false), new("memory:b", 1, false), new("memory:c", 1, false)];
    private Datapath? _datapath;

    private static readonly uint[] s_ipv4 = [0xC612_0001, 0xC612_0002, 0xC612_0003];

    private static IpAddress128 Ipv6(int port) => new(0x2001_0DB8_0000_0000UL, (ulong)port + 1);

    private static PortPolicy Policy(int port, bool stateful)
    {
        ClassifierRule[] ingress =
        [
            new(0, false, IpProtocol.Tcp, 80, 80, -1, -1, default, 0),
            new(1, true, IpProtocol.Tcp, 80, 80, -1, -1, default, 0),
            new(2, false, IpProtocol.Udp, 1000, 2000, -1, -1, default, 0),
            new(3, true, IpProtocol.Udp, 1000, 2000, -1, -1, default, 0),
            new(4, false, IpProtocol.Icmp, -1, -1, 8, -1, default, 0),
            new(5, true, IpProtocol.Icmpv6, -1, -1, 128, -1, default, 0),
            new(6, false, -1, -1, -1, -1, -1, IpAddress128.FromIpv4(0xC612_0003), 128),
        ];
        ClassifierRule[] egress = [new(0, false, -1, -1, -1, -1, -1, default, 0), new(1, true, IpProtocol.Udp, -1, -1, -1, -1, default, 0)];
        return new PortPolicy(
            new PortAddresses([new PortAddresses.Entry(Mac(port + 1), IpAddress128.FromIpv4(s_ipv4[port]), 32, false),
                new PortAddresses.Entry(Mac(port + 1), Ipv6(port), 128, true)]),
            stateful,
            ClassifierCompiler.Compile(ingress),
            ClassifierCompiler.Compile(egress),
            [.. Enumerable.Range(0, 7)],
            [7, 8]);
    }

    [Fact]
    public void RandomAndMutatedFrames_NeverThrow_AndEveryFrameIsForwardedOrCounted()
    {
        _datapath = new Datapath(new DatapathOptions
        {
            Workers = 1, Pin = false, MaxPorts = 4, MaxRules = 16, BufferSize = 2048, ConntrackMaxEntries = 4096, FragmentMaxDatagrams = 256,
        }, _clock);
        var ports = new SwitchPort?[4];
        ports[0] = new SwitchPort(0, "a", _ports[0], 0, true, Mac(1), Policy(0, stateful: true), SecurityGroupLogging.Accept | SecurityGroupLogging.Drop);
        ports[1] = new SwitchPort(1, "b", _ports[1], 0, true, Mac(2), Policy(1, stateful: false));
        ports[2] = new SwitchPort(2, "c", _ports[2], 0, true, Mac(3));
        _datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1, 2], Stateful: true, Mtu: 1500)], 1));
        for (var p = 0; p < 3; p++)
        {
            _datapath.Macs.AddStatic(0, Mac(p + 1), p, 0);
        }
        var worker = _datapath.Workers[0];
        worker.SyncSnapshot();
        var snapshot = _datapath.Publisher.Current;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        using var batch = new PacketBatch(2048);
        var generator = new FrameGenerator(random, s_ipv4, Ipv6);
        long single = 0, batched = 0, silent = 0, unaccounted = 0;
        string? firstUnaccounted = null;
        var log = new SecurityGroupLogEvent[64];
        for (var sent = 0; sent < s_frames;)
        {
            var inSlot = random.Next(3);
            if (random.Next(100) != 0)
            {
                // One frame: its fate is read off the counters.
                var frame = generator.Next(inSlot);
                var before = Outcomes();
                var hairpin = IsHairpin(frame, inSlot);
                Load(batch, [frame]);
                worker.ProcessBatch(snapshot, snapshot.Ports[inSlot]!, batch);
                var after = Outcomes();
                if (after == before)
                {
                    if (hairpin)
                    {
                        silent++;
                    }
                    else
                    {
                        unaccounted++;
                        firstUnaccounted ??= $"seed {seed}, port {inSlot}: {Convert.ToHexString(frame)}";
                    }
                }
                single++;
                sent++;
            }
            else
            {
                var frames = Enumerable.Range(0, PacketBatch.MaxSize).Select(_ => generator.Next(inSlot)).ToArray();
                var rx = _datapath.Read(inSlot, PortCounter.RxPackets);
                Load(batch, frames);
                worker.ProcessBatch(snapshot, snapshot.Ports[inSlot]!, batch);
                Assert.Equal(rx + frames.Length, _datapath.Read(inSlot, PortCounter.RxPackets));
                batched += frames.Length;
                sent += frames.Length;
            }
            if (random.Next(64) == 0)
            {
                // Time passes: held fragments go or expire, connections and MACs age.
                _clock.Advance(TimeSpan.FromMilliseconds(random.Next(1, 200)));
                worker.ReplayHeld();
                _datapath.Conntrack.Sweep(_datapath.NowMs(), 1000);
                worker.SecurityGroupLog.Drain(log);
            }
        }
        output.WriteLine($"seed {seed}: {single} frames one by one ({silent} addressed back to their own port), {batched} in batches; " +
            $"transmitted {_ports.Sum(p => p.TransmittedCount)}, connections {_datapath.Conntrack.CreatedTotal}, " +
            $"drops {string.Join(", ", Enum.GetValues<DropReason>().Where(r => r != DropReason.Count).Select(r => $"{r.Label()} {DropTotal(r)}"))}");
        Assert.True(unaccounted == 0, $"{unaccounted} frames neither forwarded nor counted; the first: {firstUnaccounted}");
        // The generator reaches every outcome the pipeline has, so a change that stops counting one shows up here.
        foreach (var reason in new[] { DropReason.SecurityGroup, DropReason.Spoofing, DropReason.Malformed, DropReason.Vlan, DropReason.Mtu, DropReason.Fragment, DropReason.ConntrackInvalid })
        {
            Assert.True(DropTotal(reason) > 0, $"seed {seed}: no {reason.Label()} drop");
        }
        Assert.True(_datapath.Read(WorkerCounter.FragmentsMatched) > 0 && _datapath.Conntrack.CreatedTotal > 0);
        // The metrics publish at zero only the (reason, direction) pairs the data path says it counts: it counts no other.
        for (var slot = 0; slot < 3; slot++)
        {
            for (var r = 0; r < (int)DropReason.Count; r++)
            {
                foreach (var d in new[] { Direction.Ingress, Direction.Egress })
                {
                    Assert.True(((DropReason)r).IsCountedIn(d) || _datapath.ReadDrop(slot, (DropReason)r, d) == 0,
                        $"seed {seed}: {((DropReason)r).Label()} counted {d.Label()}, which DropReasonNames.IsCountedIn says never happens");
                }
            }
        }
    }

    /// <summary>Everything a frame can leave behind: transmissions, drops of every reason and port, held fragments.</summary>
    private (long Transmitted, long Dropped, long Held) Outcomes()
    {
        long dropped = 0;
        for (var slot = 0; slot < 3; slot++)
        {
            for (var r = 0; r < (int)DropReason.Count; r++)
            {
                dropped += _datapath!.ReadDrop(slot, (DropReason)r, Direction.Ingress) + _datapath.ReadDrop(slot, (DropReason)r, Direction.Egress);
            }
        }
        return (_ports.Sum(p => p.TransmittedCount), dropped, _datapath!.Read(WorkerCounter.FragmentsHeld));
    }

    private long DropTotal(DropReason reason) =>
        Enumerable.Range(0, 3).Sum(slot => _datapath!.ReadDrop(slot, reason, Direction.Ingress) + _datapath.ReadDrop(slot, reason, Direction.Egress));

    /// <summary>
    /// A unicast frame whose destination MAC is (or is learned, by this very frame, on) the port it came from: the switch
    /// rightly sends it nowhere and counts nothing, as a Linux bridge does.
    /// </summary>
    private bool IsHairpin(byte[] frame, int inSlot)
    {
        if (frame.Length < 14)
        {
            return false;
        }
        var dst = MacAddress.Read(frame);
        var src = MacAddress.Read(frame.AsSpan(6));
        return !dst.IsMulticast && (dst == src || _datapath!.Macs.Lookup(0, dst, _datapath.NowMs()) == inSlot);
    }

    private static void Load(PacketBatch batch, byte[][] frames)
    {
        batch.ResetForReceive();
        foreach (var f in frames)
        {
            f.CopyTo(batch.Buffer(batch.Count));
            batch[batch.Count].Length = f.Length;
            batch.Count++;
        }
    }

    public void Dispose()
    {
        _datapath?.Dispose();
        foreach (var p in _ports)
        {
            p.Dispose();
        }
    }
}
