using VSwitch.Dataplane.Conntrack;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

public sealed class ConcurrencyTests
{
    /// <summary>
    /// Two "workers" push both directions of the same 2,000 UDP flows at the table at once, each committing whatever
    /// Track calls New, while a third thread sweeps and lists. Afterwards there must be exactly one entry per flow,
    /// and every packet must be counted exactly once: by the Commit that created its entry or by an Established Track.
    /// </summary>
    [Fact]
    public void TrackAndCommit_FromTwoThreadsOnOverlappingFlows_StayConsistent()
    {
        const int Flows = 2_000;
        const int Rounds = 20;
        using var table = new ConnTable(new ConnTableOptions { MaxEntries = 1 << 14, ShardCount = 4, HashSeed = 7 });
        var forward = new (byte[] Frame, VSwitch.Packets.ParsedPacket Packet)[Flows];
        var backward = new (byte[] Frame, VSwitch.Packets.ParsedPacket Packet)[Flows];
        for (var i = 0; i < Flows; i++)
        {
            var there = Udp("10.1.0.1", (ushort)(1024 + i), "10.2.0.2", 53);
            var back = Udp("10.2.0.2", 53, "10.1.0.1", (ushort)(1024 + i));
            forward[i] = (there, Parse(there));
            backward[i] = (back, Parse(back));
        }

        var counted = new long[2];
        var created = new long[2];
        var exists = new long[2];
        using var start = new Barrier(3);

        void Worker(int id, (byte[] Frame, VSwitch.Packets.ParsedPacket Packet)[] packets)
        {
            start.SignalAndWait();
            for (var round = 0; round < Rounds; round++)
            {
                for (var n = 0; n < Flows; n++)
                {
                    // The two workers walk the flows in opposite orders so that they meet in the middle.
                    var i = id == 0 ? n : Flows - 1 - n;
                    ref readonly var p = ref packets[i];
                    var lookup = table.Track(p.Frame, in p.Packet, 0, 1000 + round);
                    if (lookup.Verdict == ConnVerdict.Established)
                    {
                        counted[id]++;
                        continue;
                    }
                    Assert.Equal(ConnVerdict.New, lookup.Verdict);
                    var result = table.Commit(p.Frame, in p.Packet, 0, 1000 + round, new ConnAdmission(1, id, 1 - id, i), out var handle);
                    Assert.True(handle.IsValid);
                    if (result == ConnCommitResult.Created)
                    {
                        created[id]++;
                    }
                    else
                    {
                        Assert.Equal(ConnCommitResult.Exists, result);
                        exists[id]++;
                    }
                }
            }
        }

        Exception? failure = null;
        void Guarded(int id, (byte[] Frame, VSwitch.Packets.ParsedPacket Packet)[] packets)
        {
            try
            {
                Worker(id, packets);
            }
            catch (Exception e)
            {
                failure ??= e;
            }
        }
        var a = new Thread(() => Guarded(0, forward));
        var b = new Thread(() => Guarded(1, backward));
        a.Start();
        b.Start();
        start.SignalAndWait();
        // The control thread sweeps and lists while the workers run.
        while (a.IsAlive || b.IsAlive)
        {
            table.Sweep(1000, 500);
            Assert.True(table.List(max: 100).Count <= 100);
            Assert.True(table.Count <= Flows);
        }
        a.Join();
        b.Join();
        Assert.Null(failure);

        Assert.Equal(Flows, table.Count);
        Assert.Equal(Flows, table.CreatedTotal);
        Assert.Equal(Flows, created[0] + created[1]);
        var list = table.List(max: Flows + 10);
        Assert.Equal(Flows, list.Count);
        var packets = list.Sum(c => c.PacketsOriginal + c.PacketsReply);
        Assert.Equal(counted[0] + counted[1] + created[0] + created[1], packets);
        Assert.Equal(2L * Flows * Rounds, packets + exists[0] + exists[1]);
        Assert.All(list, c => Assert.Equal(ConnState.UdpReplied, c.State));
    }
}
