using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;

namespace VSwitch.Console.Tests;

public sealed class RatesTests
{
    [Fact]
    public void PerSecond_CounterGrew_IsDeltaOverElapsed() =>
        Assert.Equal(50.0, Rates.PerSecond(100, 200, TimeSpan.FromSeconds(2)));

    [Fact]
    public void PerSecond_NoPreviousSample_IsUnknown() =>
        Assert.Null(Rates.PerSecond(null, 200, TimeSpan.FromSeconds(1)));

    [Fact]
    public void PerSecond_CounterReset_CountsFromZeroNeverNegative() =>
        Assert.Equal(30.0, Rates.PerSecond(1_000, 30, TimeSpan.FromSeconds(1)));

    [Fact]
    public void PerSecond_NoTimeElapsed_IsUnknown() =>
        Assert.Null(Rates.PerSecond(1, 2, TimeSpan.Zero));
}

public sealed class OverviewTests
{
    private static PortStats Port(string id, long rx, long rxBytes, long sgDrops, long spoof = 0) => new()
    {
        PortId = id,
        Name = id,
        Status = "ACTIVE",
        RxPackets = rx,
        RxBytes = rxBytes,
        Drops = new PortDrops
        {
            Ingress = new Dictionary<string, long> { ["security_group"] = sgDrops, ["spoofing"] = 0 },
            Egress = new Dictionary<string, long> { ["security_group"] = 0, ["spoofing"] = spoof },
        },
    };

    private static SwitchSnapshot Snap(double seconds, params PortStats[] ports) =>
        new(TimeSpan.FromSeconds(seconds), new SwitchStats
        {
            PortStats = ports,
            FlowCache = new FlowCacheStats { Hits = (long)(seconds * 90), Misses = (long)(seconds * 10) },
            Conntrack = new ConntrackStats { Entries = 3, MaxEntries = 100, Created = (long)seconds * 4 },
            Workers = [new WorkerStats { Id = 0, Packets = (long)seconds * 1000, BusySeconds = seconds / 4 }],
        }, [], [], null);

    [Fact]
    public void Build_TwoSnapshots_RatesPerPortAndDropsByReason()
    {
        var o = Overview.Build(Snap(10, Port("a", 100, 1000, 5)), Snap(12, Port("a", 300, 3000, 9, spoof: 2)));
        var a = Assert.Single(o.Ports);
        Assert.Equal(100, a.RxPacketsPerSecond);
        Assert.Equal(8000, a.RxBitsPerSecond);
        Assert.Equal(3, a.DropsPerSecond);
        Assert.Equal([new("security_group", 2.0), new("spoofing", 1.0)], a.Drops);
        Assert.Equal(0.9, o.FlowCacheHitRatio!.Value, 3);
        Assert.Equal(0.25, o.Workers.Single().Busy!.Value, 3);
        Assert.Equal(4, o.ConntrackCreatedPerSecond);
    }

    [Fact]
    public void Build_FirstSnapshot_RatesUnknownNotZero()
    {
        var o = Overview.Build(null, Snap(1, Port("a", 100, 1000, 5)));
        Assert.Null(o.Ports.Single().RxPacketsPerSecond);
        Assert.Null(o.Ports.Single().DropsPerSecond);
        Assert.Null(o.Workers.Single().Busy);
    }

    [Fact]
    public void Build_PortCountersReset_RateFromZero()
    {
        var o = Overview.Build(Snap(1, Port("a", 5_000, 50_000, 0)), Snap(2, Port("a", 40, 400, 0)));
        Assert.Equal(40, o.Ports.Single().RxPacketsPerSecond);
    }

    [Fact]
    public void Build_NewPort_HasNoRateYet()
    {
        var o = Overview.Build(Snap(1, Port("a", 1, 1, 0)), Snap(2, Port("a", 2, 2, 0), Port("b", 7, 7, 0)));
        Assert.Null(o.Ports.Single(p => p.PortId == "b").RxPacketsPerSecond);
    }
}

public sealed class FlowTableTests
{
    private static FlowEntry Flow(int sport, long packets, long bytes, string inPort = "p1", double age = 30) => new()
    {
        Protocol = "tcp",
        Src = "198.18.0.1",
        SrcPort = sport,
        Dst = "198.18.0.2",
        DstPort = 80,
        PacketsOrig = packets,
        BytesOrig = bytes,
        InPortId = inPort,
        OutPortId = "p9",
        AgeSeconds = age,
    };

    [Fact]
    public void Top_SortsByBitRateFromDeltas_NotByTotals()
    {
        var before = new[] { Flow(1, 1_000_000, 1_000_000_000), Flow(2, 10, 1_000) };
        var now = new[] { Flow(1, 1_000_001, 1_000_000_100), Flow(2, 1_010, 1_001_000) };
        var top = FlowTable.Top(before, now, TimeSpan.FromSeconds(1), null, 10);
        Assert.Equal([2, 1], top.Select(r => r.Flow.SrcPort!.Value));
        Assert.Equal(1000, top[0].PacketsPerSecond);
        Assert.Equal(8_000_000, top[0].BitsPerSecond);
    }

    [Fact]
    public void Top_FiltersByPort_InOrOut()
    {
        var now = new[] { Flow(1, 1, 1, inPort: "a"), Flow(2, 1, 1, inPort: "b") };
        Assert.Equal([1], FlowTable.Top(null, now, TimeSpan.FromSeconds(1), "a", 10).Select(r => r.Flow.SrcPort!.Value));
        Assert.Equal(2, FlowTable.Top(null, now, TimeSpan.FromSeconds(1), "p9", 10).Count);
    }

    [Fact]
    public void Top_TupleReusedWithLowerCounters_CountsFromZero()
    {
        var top = FlowTable.Top([Flow(1, 500, 50_000)], [Flow(1, 20, 2_000)], TimeSpan.FromSeconds(2), null, 10);
        Assert.Equal(10, top.Single().PacketsPerSecond);
    }

    [Fact]
    public void Top_UnseenConnection_AverageOverItsAge_AndLimitApplies()
    {
        var top = FlowTable.Top(null, [Flow(1, 300, 3_000, age: 30), Flow(2, 1, 1, age: 30)], TimeSpan.FromSeconds(1), null, 1);
        Assert.Equal(10, Assert.Single(top).PacketsPerSecond);
    }
}
