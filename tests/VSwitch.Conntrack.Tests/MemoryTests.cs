using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Memory;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

/// <summary>The table's huge-page memory and the batched (prepare, prefetch, track) lookup.</summary>
public sealed class MemoryTests
{
    [Fact]
    public unsafe void HugePageMemory_IsAlignedZeroedAndReadsZeroAfterRelease()
    {
        var memory = new HugePageMemory(3 * 1024 * 1024);
        Assert.Equal(0, (nint)memory.Start % HugePageMemory.HugePageSize);
        Assert.Equal(4 * 1024 * 1024, memory.Length);
        var span = new Span<byte>(memory.Start, (int)memory.Length);
        Assert.True(span.IndexOfAnyExcept((byte)0) < 0, "fresh memory must read as zeros");
        span.Fill(0xA5);
        Assert.Equal(0xA5, span[^1]);
        memory.Release();
        Assert.True(span.IndexOfAnyExcept((byte)0) < 0, "released memory must read as zeros");
        span[7] = 1;
        Assert.Equal(1, span[7]);
    }

    [Fact]
    public void ConnTable_AdvisesHugePages_WhenTheKernelOffersThem()
    {
        const string Setting = "/sys/kernel/mm/transparent_hugepage/enabled";
        using var table = new ConnTable(new ConnTableOptions { MaxEntries = 1 << 16, ShardCount = 64 });
        if (!File.Exists(Setting) || File.ReadAllText(Setting).Contains("[never]", StringComparison.Ordinal))
        {
            // The kernel has no transparent huge pages: the advice fails and the table uses ordinary pages.
            Console.WriteLine($"transparent huge pages are off or absent ({Setting}): the table must still work");
            Assert.False(table.HugePagesAdvised);
        }
        else
        {
            Assert.True(table.HugePagesAdvised);
        }
        var s = new TcpSession();
        var syn = s.Syn();
        Assert.Equal(ConnVerdict.New, table.Track(syn, Parse(syn), 0, 1000).Verdict);
    }

    /// <summary>
    /// The batched lookup a worker uses: every key is prepared and prefetched before the first packet is tracked (so
    /// the answers to later packets depend on commits made after their keys were computed), and each answer is the
    /// one the protocol calls for (RFC 793 handshake, UDP and echo replies, an unsolicited ACK, an ICMP error quoting
    /// a tracked flow).
    /// </summary>
    [Fact]
    public void PrepareThenTrackPrepared_GivesEachPacketItsProtocolsVerdict()
    {
        using var h = new Harness();
        var s = new TcpSession();
        var cases = new (byte[] Frame, ConnVerdict Verdict, bool IsReply)[]
        {
            (s.Syn(), ConnVerdict.New, false),
            (s.SynAck(), ConnVerdict.Established, true),
            (s.FromClient(), ConnVerdict.Established, false),
            (s.FromServer(payload: 10), ConnVerdict.Established, true),
            (Udp("10.0.0.1", 5000, "10.0.0.2", 53), ConnVerdict.New, false),
            (Udp("10.0.0.2", 53, "10.0.0.1", 5000), ConnVerdict.Established, true),
            (Echo("10.0.0.1", "10.0.0.2", request: true, identifier: 7), ConnVerdict.New, false),
            (Echo("10.0.0.2", "10.0.0.1", request: false, identifier: 7), ConnVerdict.Established, true),
            (Tcp("10.0.0.9", 1, "10.0.0.2", 80, VSwitch.Packets.TcpFlags.Ack, 5, 5), ConnVerdict.Invalid, false),
            (IcmpError("10.0.0.2", "10.0.0.1", 3, 3, Udp("10.0.0.1", 5000, "10.0.0.2", 53)), ConnVerdict.Related, true),
        };
        var probes = new ConnProbe[cases.Length];
        for (var i = 0; i < cases.Length; i++)
        {
            h.Table.Prepare(Parse(cases[i].Frame), 3, out probes[i]);
        }
        for (var i = 0; i < cases.Length; i++)
        {
            h.Table.Prefetch(in probes[i]);
        }
        for (var i = 0; i < cases.Length; i++)
        {
            var (frame, verdict, isReply) = cases[i];
            var answer = h.Table.TrackPrepared(frame, Parse(frame), in probes[i], h.Now);
            Assert.True(verdict == answer.Verdict && isReply == answer.IsReply, $"packet {i}: expected {verdict} (reply {isReply}), got {answer}");
            if (answer.Verdict == ConnVerdict.New)
            {
                Assert.Equal(ConnCommitResult.Created, h.Commit(frame, zone: 3));
            }
        }
        Assert.Equal(3, h.Table.Count);
    }
}
