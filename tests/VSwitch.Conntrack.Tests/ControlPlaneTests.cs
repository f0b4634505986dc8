using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

public sealed class ControlPlaneTests
{
    [Fact]
    public void Revalidated_StoresTheGeneration()
    {
        using var h = new Harness();
        var request = Udp("10.0.0.1", 1, "10.0.0.2", 2);
        var handle = h.Open(request, generation: 3);
        Assert.Equal(3, h.Pass(request).AdmittedGeneration);
        h.Table.Revalidated(handle, 8);
        Assert.Equal(8, h.Pass(request).AdmittedGeneration);
    }

    [Fact]
    public void Remove_KillsTheConnection_AndAStaleHandleDoesNothing()
    {
        using var h = new Harness(maxEntries: 4, shards: 1);
        var s = new TcpSession();
        var handle = s.Handshake(h);
        Assert.True(h.Table.Remove(handle));
        Assert.Equal(ConnVerdict.Invalid, h.Track(s.FromClient(TcpFlags.Ack | TcpFlags.Psh, payload: 5)).Verdict);
        Assert.False(h.Table.Remove(handle));

        // The slot is recycled for another connection; the old handle must not touch it.
        var other = h.Open(Udp("10.0.0.1", 1, "10.0.0.2", 2), generation: 4);
        h.Table.Revalidated(handle, 99);
        Assert.False(h.Table.Remove(handle));
        Assert.Equal(4, h.Single().AdmittedGeneration);
        Assert.False(h.Table.Remove(default));
        h.Table.Revalidated(default, 1);
        Assert.True(h.Table.Remove(other));
    }

    [Fact]
    public void List_SeenWithin_KeepsOnlyConnectionsWithARecentPacket()
    {
        using var h = new Harness();
        var idle = Udp("10.0.0.1", 7000, "10.0.0.2", 53);
        var busy = Udp("10.0.0.1", 7001, "10.0.0.2", 53);
        h.Open(idle, zone: 1, inPort: 3, outPort: 4);
        h.Open(busy, zone: 1, inPort: 3, outPort: 4);
        h.Now += 5_000;
        h.Pass(busy, zone: 1);

        var recent = Assert.Single(h.Table.List(seenWithinMs: 2_000));
        Assert.Equal(7001, recent.SourcePort);
        Assert.Equal(2, h.Table.List(seenWithinMs: 5_000).Count);
        Assert.Equal(2, h.Table.List().Count);
    }

    [Fact]
    public void List_FiltersByZoneAndPort_AndReportsTheOriginalDirection()
    {
        using var h = new Harness();
        h.Open(Udp("10.0.0.9", 7000, "10.0.0.2", 53), zone: 1, inPort: 3, outPort: 4);
        h.Open(Udp("10.0.0.1", 7001, "10.0.0.2", 53), zone: 2, inPort: 5, outPort: 6);
        h.Open(Echo("10.0.0.1", "10.0.0.2", request: true, identifier: 1), zone: 2, inPort: 5, outPort: -1);

        Assert.Equal(3, h.Table.List().Count);
        var zone1 = Assert.Single(h.Table.List(zone: 1));
        Assert.Equal("10.0.0.9", zone1.Source.ToString());
        Assert.Equal("10.0.0.2", zone1.Destination.ToString());
        Assert.Equal(7000, zone1.SourcePort);
        Assert.Equal(53, zone1.DestinationPort);
        Assert.Equal(3, zone1.OrigInPort);
        Assert.Equal(4, zone1.OrigOutPort);
        Assert.Equal(IpProtocol.Udp, zone1.Protocol);
        Assert.Equal(h.Now, zone1.CreatedMs);
        Assert.Equal(h.Now + 30_000, zone1.ExpiresMs);
        Assert.Equal("UNREPLIED", zone1.StateName);

        Assert.Equal(2, h.Table.List(port: 5).Count);
        Assert.Single(h.Table.List(port: 6));
        Assert.Equal(-1, h.Table.List(zone: 2).Single(c => c.Protocol == IpProtocol.Icmp).OrigOutPort);
        Assert.Single(h.Table.List(max: 1));
        Assert.Empty(h.Table.List(zone: 3));
    }

    [Fact]
    public void List_LeavesOutExpiredEntries()
    {
        using var h = new Harness();
        h.Open(Udp("10.0.0.1", 1, "10.0.0.2", 2));
        h.Now += 31_000;
        h.Open(Udp("10.0.0.1", 3, "10.0.0.2", 4));
        Assert.Equal(2, h.Table.Count);
        Assert.Single(h.Table.List());
    }

    [Fact]
    public void RemoveWhere_RemovesWhatThePredicateSelects()
    {
        using var h = new Harness();
        for (var i = 0; i < 50; i++)
        {
            h.Open(Udp("10.0.0.1", (ushort)(1000 + i), "10.0.0.2", 53), zone: i % 2);
        }
        Assert.Equal(25, h.Table.RemoveWhere(c => c.Zone == 1));
        Assert.Equal(25, h.Table.Count);
        Assert.All(h.Table.List(), c => Assert.Equal(0, c.Zone));
        Assert.Equal(0, h.Table.RemoveWhere(c => c.Zone == 1));
    }

    [Fact]
    public void Counters_AreConsistent()
    {
        using var h = new Harness();
        for (var i = 0; i < 10; i++)
        {
            h.Open(Udp("10.0.0.1", (ushort)(1000 + i), "10.0.0.2", 53));
        }
        Assert.Equal(10, h.Table.CreatedTotal);
        Assert.Equal(10, h.Table.Count);
        Assert.Equal(1024, h.Table.Capacity);
        Assert.True(h.Table.MemorySize >= 1024L * ConnTable.BytesPerEntry);
    }
}
