using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

public sealed class CapacityTests
{
    private const int Capacity = 16;

    private static byte[] Syn(int n) => Tcp("10.0.1.1", (ushort)(10_000 + n), "10.0.2.2", 80, TcpFlags.Syn, (uint)(n * 1000), 0);

    [Fact]
    public void Commit_FullOfSyns_EvictsTheOldestUnrepliedNeverAnEstablishedOne()
    {
        using var h = new Harness(maxEntries: Capacity, shards: 1);
        var established = new List<TcpSession>();
        for (var i = 0; i < Capacity / 2; i++)
        {
            var s = new TcpSession(clientPort: (ushort)(20_000 + i));
            s.Handshake(h);
            established.Add(s);
        }
        for (var i = 0; i < Capacity / 2; i++)
        {
            h.Open(Syn(i));
        }
        Assert.Equal(Capacity, h.Table.Count);

        // A flood of new SYNs: each one evicts the oldest unassured entry.
        for (var i = 100; i < 140; i++)
        {
            h.Open(Syn(i));
        }
        Assert.Equal(Capacity, h.Table.Count);
        Assert.Equal(40, h.Table.EarlyDropTotal);
        Assert.Equal(0, h.Table.FullTotal);

        // The established connections are all still there, and the survivors among the SYNs are the youngest.
        foreach (var s in established)
        {
            h.Pass(s.FromClient(TcpFlags.Ack | TcpFlags.Psh, payload: 10));
        }
        Assert.Equal(ConnVerdict.New, h.Track(Syn(0)).Verdict);
        h.Pass(Syn(139));
        Assert.Equal(Capacity / 2, h.Table.List().Count(c => c.State == ConnState.TcpEstablished));
    }

    [Fact]
    public void Commit_FullOfAssuredConnections_ReportsFull()
    {
        using var h = new Harness(maxEntries: Capacity, shards: 1);
        for (var i = 0; i < Capacity; i++)
        {
            var request = Udp("10.0.1.1", (ushort)(10_000 + i), "10.0.2.2", 53);
            h.Open(request);
            h.Pass(Udp("10.0.2.2", 53, "10.0.1.1", (ushort)(10_000 + i)));
        }
        Assert.Equal(ConnCommitResult.Full, h.Commit(Syn(1)));
        Assert.Equal(ConnCommitResult.Full, h.Commit(Udp("10.0.9.9", 1, "10.0.2.2", 53)));
        Assert.Equal(2, h.Table.FullTotal);
        Assert.Equal(0, h.Table.EarlyDropTotal);
        Assert.Equal(Capacity, h.Table.Count);

        // Once they expire, their slots are reused even before the sweeper runs.
        h.Now += 120_000;
        Assert.Equal(ConnCommitResult.Created, h.Commit(Syn(1)));
        Assert.Equal(1, h.Table.ExpiredTotal);
    }

    [Fact]
    public void Commit_ManyShards_NeverExceedsMaxEntries()
    {
        using var h = new Harness(maxEntries: 256, shards: 8);
        for (var i = 0; i < 5_000; i++)
        {
            var result = h.Commit(Udp("10.1.0.1", (ushort)(1 + (i % 60_000)), "10.2.0.2", (ushort)(1 + (i / 60_000))));
            Assert.Equal(ConnCommitResult.Created, result);
            Assert.True(h.Table.Count <= 256);
        }
        Assert.Equal(256, h.Table.Count);
        Assert.Equal(5_000 - 256, h.Table.EarlyDropTotal);
    }

    [Fact]
    public void Options_Invalid_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConnTable(new ConnTableOptions { ShardCount = 3 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConnTable(new ConnTableOptions { MaxEntries = 2, ShardCount = 4 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConnTable(new ConnTableOptions
        {
            MaxEntries = 1024,
            ShardCount = 4,
            Timeouts = ConnTimeouts.Default with { TcpClose = TimeSpan.Zero },
        }));
    }
}
