using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

public sealed class SweepTests
{
    [Fact]
    public void Sweep_ExpiresWithTheFakeClockWithinItsBudget()
    {
        using var h = new Harness(maxEntries: 4096, shards: 8);
        for (var i = 0; i < 300; i++)
        {
            h.Open(Udp("10.0.0.1", (ushort)(1000 + i), "10.0.0.2", 53));
        }
        var s = new TcpSession();
        s.Handshake(h);
        Assert.Equal(301, h.Table.Count);

        // Nothing has expired yet: a full pass removes nothing.
        var removed = 0;
        for (var pass = 0; pass < 20; pass++)
        {
            removed += h.Table.Sweep(h.Now, 64, out var examined);
            Assert.InRange(examined, 0, 64);
        }
        Assert.Equal(0, removed);

        h.Now += 30_000;
        var calls = 0;
        while (h.Table.Count > 1)
        {
            var n = h.Table.Sweep(h.Now, 25, out var examined);
            Assert.InRange(examined, 0, 25);
            Assert.InRange(n, 0, 25);
            calls++;
            Assert.True(calls < 100, "the sweeper must make progress");
        }
        Assert.True(calls >= 300 / 25, "a budget of 25 cannot remove 300 entries in fewer than 12 calls");
        Assert.Equal(300, h.Table.ExpiredTotal);
        h.Pass(s.FromClient());
    }

    [Fact]
    public void Sweep_EmptyTable_ReturnsAtOnce()
    {
        using var h = new Harness(maxEntries: 1 << 16, shards: 64);
        Assert.Equal(0, h.Table.Sweep(h.Now, 1_000_000, out var examined));
        Assert.Equal(0, examined);
        Assert.Equal(0, h.Table.Sweep(h.Now, 0));
    }

    [Fact]
    public void Sweep_FreedSlotsAreReused()
    {
        using var h = new Harness(maxEntries: 64, shards: 1);
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 64; i++)
            {
                h.Open(Udp("10.0.0.1", (ushort)(1000 + i + (round * 100)), "10.0.0.2", 53));
            }
            h.Now += 31_000;
            Assert.Equal(64, h.Table.Sweep(h.Now, 1000));
            Assert.Equal(0, h.Table.Count);
        }
        Assert.Equal(0, h.Table.EarlyDropTotal);
    }
}
