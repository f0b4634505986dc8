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

    /// <summary>The batched lookup a worker uses gives the same answers as Track, for every protocol.</summary>
    [Fact]
    public void PrepareThenTrackPrepared_AnswersAsTrack()
    {
        using var batched = new Harness();
        using var single = new Harness();
        var s = new TcpSession();
        var frames = new[]
        {
            s.Syn(), s.SynAck(), s.FromClient(), s.FromServer(payload: 10),
            Udp("10.0.0.1", 5000, "10.0.0.2", 53), Udp("10.0.0.2", 53, "10.0.0.1", 5000),
            Echo("10.0.0.1", "10.0.0.2", request: true, identifier: 7), Echo("10.0.0.2", "10.0.0.1", request: false, identifier: 7),
            Tcp("10.0.0.9", 1, "10.0.0.2", 80, VSwitch.Packets.TcpFlags.Ack, 5, 5),
            IcmpError("10.0.0.2", "10.0.0.1", 3, 3, Udp("10.0.0.1", 5000, "10.0.0.2", 53)),
        };
        var probes = new ConnProbe[frames.Length];
        for (var i = 0; i < frames.Length; i++)
        {
            batched.Table.Prepare(Parse(frames[i]), 3, out probes[i]);
        }
        for (var i = 0; i < frames.Length; i++)
        {
            batched.Table.Prefetch(in probes[i]);
        }
        for (var i = 0; i < frames.Length; i++)
        {
            var packet = Parse(frames[i]);
            var a = batched.Table.TrackPrepared(frames[i], packet, in probes[i], batched.Now);
            var b = single.Table.Track(frames[i], packet, 3, single.Now);
            Assert.Equal(b.Verdict, a.Verdict);
            Assert.Equal(b.IsReply, a.IsReply);
            if (a.Verdict == ConnVerdict.New)
            {
                Assert.Equal(ConnCommitResult.Created, batched.Commit(frames[i], zone: 3));
                Assert.Equal(ConnCommitResult.Created, single.Commit(frames[i], zone: 3));
            }
        }
        Assert.Equal(single.Table.Count, batched.Table.Count);
        Assert.Equal(3, batched.Table.Count);
    }
}
