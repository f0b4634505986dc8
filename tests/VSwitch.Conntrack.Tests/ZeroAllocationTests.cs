using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;
using VSwitch.Tests.Shared;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

/// <summary>The allocation gate for the data-path calls: Track, Commit, Revalidated and Remove allocate nothing.</summary>
public sealed class ZeroAllocationTests
{
    [Fact]
    public void TrackAndCommit_SteadyState_AllocateNothing()
    {
        using var table = new ConnTable(new ConnTableOptions { MaxEntries = 4096, ShardCount = 4, HashSeed = 3 });
        var s = new TcpSession(clientScale: 7, serverScale: 7);
        var frames = new List<byte[]>
        {
            s.Syn(), s.SynAck(), s.FromClient(), s.FromClient(TcpFlags.Ack, 100), s.FromServer(TcpFlags.Ack, 1000),
        };
        var udp = Udp("10.0.0.1", 1, "10.0.0.2", 2);
        var udpBack = Udp("10.0.0.2", 2, "10.0.0.1", 1);
        var ping = Echo("10.0.0.1", "10.0.0.2", true, 5);
        var unreachable = IcmpError("10.0.0.2", "10.0.0.1", 3, 3, udp);
        var later = Ipv4Fragment(udp, 10, false);
        var fresh = Udp("10.0.0.3", 3, "10.0.0.4", 4);
        var packets = frames.Select(Parse).ToArray();
        var p = (udp: Parse(udp), back: Parse(udpBack), ping: Parse(ping), error: Parse(unreachable), later: Parse(later), fresh: Parse(fresh));
        var admission = new ConnAdmission(1, 1, 2, 3);

        long sum = 0;
        void Iteration(int n)
        {
            // A whole TCP handshake, tracked and committed, then removed.
            table.Commit(frames[0], in packets[0], 0, 1000, in admission, out var handle);
            for (var i = 1; i < frames.Count; i++)
            {
                sum += (int)table.Track(frames[i], in packets[i], 0, 1000).Verdict;
            }
            table.Revalidated(handle, n);
            table.Remove(handle);
            table.Commit(udp, in p.udp, 0, 1000, in admission, out _);
            sum += (int)table.Track(udpBack, in p.back, 0, 1000).Verdict;
            sum += (int)table.Track(unreachable, in p.error, 0, 1000).Verdict;
            sum += (int)table.Track(later, in p.later, 0, 1000).Verdict;
            table.Commit(ping, in p.ping, 0, 1000, in admission, out _);
            sum += (int)table.Track(fresh, in p.fresh, 0, 1000).Verdict;
            sum += table.Commit(fresh, in p.fresh, 0, 1000, in admission, out var freshHandle) == ConnCommitResult.Created ? 1 : 0;
            table.Remove(freshHandle);
        }

        for (var n = 0; n < 1000; n++)
        {
            Iteration(n); // warm-up: JIT and tiering
        }
        Assert.Equal(0, SteadyStateAllocation.MinimumBytes(Iteration, iterationsPerWindow: 2000));
        Assert.True(sum > 0);
        Assert.Equal(2, table.Count);
    }
}
