using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

/// <summary>
/// Per-port connection counts and limits (<see cref="ConnTable.PortConnections"/>, <see cref="ConnAdmission.InPortLimit"/>):
/// a connection counts on both of its ports, a port at its limit refuses new ones, and every way an entry leaves the
/// table gives its count back.
/// </summary>
public sealed class PortLimitTests
{
    private static byte[] Flow(int n, string client = "10.0.1.1") => Udp(client, (ushort)(10_000 + n), "10.0.2.2", 53);

    private static ConnCommitResult Commit(Harness h, byte[] frame, int inPort, int outPort, int inLimit = 0, int outLimit = 0) =>
        h.Table.Commit(frame, Parse(frame), 0, h.Now, new ConnAdmission(1, inPort, outPort, 7) { InPortLimit = inLimit, OutPortLimit = outLimit }, out _);

    [Fact]
    public void AConnection_CountsOnBothOfItsPorts_AndOnceWhenCommittedTwice()
    {
        using var h = new Harness();
        Assert.Equal(ConnCommitResult.Created, Commit(h, Flow(1), inPort: 3, outPort: 5));
        Assert.Equal(ConnCommitResult.Created, Commit(h, Flow(2), inPort: 3, outPort: 6));
        Assert.Equal(ConnCommitResult.Exists, Commit(h, Flow(2), inPort: 3, outPort: 6));
        Assert.Equal(2, h.Table.PortConnections(3));
        Assert.Equal(1, h.Table.PortConnections(5));
        Assert.Equal(1, h.Table.PortConnections(6));
        Assert.Equal(0, h.Table.PortConnections(4));
    }

    [Fact]
    public void ASenderAtItsLimit_IsRefused_WhileOtherPortsStillConnect()
    {
        using var h = new Harness();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(ConnCommitResult.Created, Commit(h, Flow(i), inPort: 1, outPort: 2, inLimit: 3));
        }
        Assert.Equal(ConnCommitResult.InPortLimit, Commit(h, Flow(3), inPort: 1, outPort: 2, inLimit: 3));
        Assert.Equal(ConnVerdict.New, h.Track(Flow(3)).Verdict);
        Assert.Equal(3, h.Table.PortConnections(1));
        Assert.Equal(3, h.Table.PortConnections(2));
        Assert.Equal(3, h.Table.Count);

        // Another sender reaches the same receiver: only port 1 is limited.
        Assert.Equal(ConnCommitResult.Created, Commit(h, Flow(3, client: "10.0.1.9"), inPort: 4, outPort: 2, inLimit: 3));
        Assert.Equal(4, h.Table.PortConnections(2));
    }

    [Fact]
    public void AReceiverAtItsLimit_IsRefused_AndTheSendersReservationIsGivenBack()
    {
        using var h = new Harness();
        Assert.Equal(ConnCommitResult.Created, Commit(h, Flow(0), inPort: 1, outPort: 2, outLimit: 2));
        Assert.Equal(ConnCommitResult.Created, Commit(h, Flow(1, client: "10.0.1.2"), inPort: 3, outPort: 2, outLimit: 2));
        Assert.Equal(ConnCommitResult.OutPortLimit, Commit(h, Flow(2, client: "10.0.1.4"), inPort: 4, outPort: 2, outLimit: 2));
        Assert.Equal(0, h.Table.PortConnections(4));
        Assert.Equal(2, h.Table.PortConnections(2));
        Assert.Equal(2, h.Table.Count);
    }

    [Fact]
    public void ALimitOfZero_IsNoLimit()
    {
        using var h = new Harness();
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(ConnCommitResult.Created, Commit(h, Flow(i), inPort: 1, outPort: 2));
        }
        Assert.Equal(200, h.Table.PortConnections(1));
    }

    [Fact]
    public void EveryWayAnEntryLeaves_GivesItsCountsBack()
    {
        var timeouts = ConnTimeouts.Default;
        using var h = new Harness(maxEntries: 16, shards: 1);

        // Remove by handle (a rule removal cutting the connection).
        var frame = Flow(0);
        var packet = Parse(frame);
        Assert.Equal(ConnCommitResult.Created, h.Table.Commit(frame, packet, 0, h.Now, new ConnAdmission(1, 1, 2, 7), out var handle));
        Assert.True(h.Table.Remove(handle));
        Assert.Equal((0, 0), (h.Table.PortConnections(1), h.Table.PortConnections(2)));

        // RemoveWhere (the control plane).
        Commit(h, Flow(1), 1, 2);
        Assert.Equal(1, h.Table.RemoveWhere(_ => true));
        Assert.Equal((0, 0), (h.Table.PortConnections(1), h.Table.PortConnections(2)));

        // Expiry by the sweeper.
        Commit(h, Flow(2), 1, 2);
        h.Now += (long)timeouts.UdpUnreplied.TotalMilliseconds + 1;
        Assert.Equal(1, h.Table.Sweep(h.Now, 1000));
        Assert.Equal((0, 0), (h.Table.PortConnections(1), h.Table.PortConnections(2)));

        // An expired entry replaced by a new commit of the same connection.
        Commit(h, Flow(3), 1, 2);
        h.Now += (long)timeouts.UdpUnreplied.TotalMilliseconds + 1;
        Assert.Equal(ConnCommitResult.Created, Commit(h, Flow(3), 5, 6));
        Assert.Equal((0, 0, 1, 1), (h.Table.PortConnections(1), h.Table.PortConnections(2), h.Table.PortConnections(5), h.Table.PortConnections(6)));
        h.Table.RemoveWhere(_ => true);

        // Early drop: a full shard evicts the oldest unreplied entry of another port pair.
        for (var i = 0; i < 16; i++)
        {
            Commit(h, Flow(100 + i), 1, 2);
        }
        Assert.Equal(ConnCommitResult.Created, Commit(h, Flow(200), 7, 8));
        Assert.Equal(1, h.Table.EarlyDropTotal);
        Assert.Equal((15, 15, 1, 1), (h.Table.PortConnections(1), h.Table.PortConnections(2), h.Table.PortConnections(7), h.Table.PortConnections(8)));
    }

    [Fact]
    public void AFullTable_GivesTheReservationsBack()
    {
        using var h = new Harness(maxEntries: 4, shards: 1);
        for (var i = 0; i < 4; i++)
        {
            var request = Flow(i);
            Commit(h, request, 1, 2);
            h.Pass(Udp("10.0.2.2", 53, "10.0.1.1", (ushort)(10_000 + i))); // assured: never evicted
        }
        Assert.Equal(ConnCommitResult.Full, Commit(h, Flow(9, client: "10.0.1.3"), 3, 4));
        Assert.Equal((0, 0, 4), (h.Table.PortConnections(3), h.Table.PortConnections(4), h.Table.PortConnections(1)));
    }

    [Fact]
    public void ATcpSynReplacingATimeWaitEntry_MovesTheCountToItsNewPorts()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        h.Pass(s.FromClient(TcpFlags.Fin | TcpFlags.Ack));
        h.Pass(s.FromServer(TcpFlags.Fin | TcpFlags.Ack));
        h.Pass(s.FromClient(TcpFlags.Ack));
        Assert.Equal(ConnState.TcpTimeWait, h.Single().State);
        Assert.Equal(1, h.Table.PortConnections(1));

        var syn = Tcp(s.Client, s.ClientPort, s.Server, s.ServerPort, TcpFlags.Syn, 99_000_000, 0);
        Assert.Equal(ConnVerdict.New, h.Track(syn).Verdict);
        Assert.Equal(ConnCommitResult.Created, Commit(h, syn, inPort: 9, outPort: 10));
        Assert.Equal((0, 0, 1, 1), (h.Table.PortConnections(1), h.Table.PortConnections(2), h.Table.PortConnections(9), h.Table.PortConnections(10)));
    }

    [Fact]
    public void ConcurrentCommits_NeverPassALimit()
    {
        using var h = new Harness(maxEntries: 1 << 16, shards: 16);
        const int Limit = 500;
        var created = 0;
        var refused = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            for (var i = 0; i < 1000; i++)
            {
                var frame = Udp($"10.0.{worker}.1", (ushort)(1000 + i), "10.0.9.9", 53);
                var result = h.Table.Commit(frame, Parse(frame), 0, h.Now, new ConnAdmission(1, 1, 2, 7) { InPortLimit = Limit }, out _);
                Interlocked.Increment(ref result == ConnCommitResult.Created ? ref created : ref refused);
            }
        });
        Assert.Equal(Limit, created);
        Assert.Equal(4000 - Limit, refused);
        Assert.Equal(Limit, h.Table.PortConnections(1));
        Assert.Equal(Limit, h.Table.Count);
    }

    [Fact]
    public void SlotsBeyondTheCountedRange_AreNeitherCountedNorLimited()
    {
        using var table = new ConnTable(new ConnTableOptions { MaxEntries = 1024, ShardCount = 1, MaxPorts = 8 });
        var frame = Flow(0);
        Assert.Equal(ConnCommitResult.Created,
            table.Commit(frame, Parse(frame), 0, 1000, new ConnAdmission(1, 8, -1, 7) { InPortLimit = 1 }, out _));
        var second = Flow(1);
        Assert.Equal(ConnCommitResult.Created,
            table.Commit(second, Parse(second), 0, 1000, new ConnAdmission(1, 8, -1, 7) { InPortLimit = 1 }, out _));
        Assert.Equal(0, table.PortConnections(8));
        Assert.Equal(0, table.PortConnections(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConnTableOptions { MaxPorts = 70_000 }.Validate());
    }
}
