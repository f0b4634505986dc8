using VSwitch.Dataplane.L2;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

public class MacTableTests
{
    [Fact]
    public void Learn_ThenLookup_ReturnsSlot()
    {
        var t = new MacTable(1024, agingMs: 1000);
        t.Learn(0, Mac(1), 5, nowMs: 10);
        Assert.Equal(5, t.Lookup(0, Mac(1), 10));
        Assert.Equal(-1, t.Lookup(0, Mac(2), 10));
    }

    [Fact]
    public void Lookup_OtherNetwork_Misses()
    {
        var t = new MacTable(1024);
        t.Learn(0, Mac(1), 5, 10);
        Assert.Equal(-1, t.Lookup(1, Mac(1), 10));
        t.Learn(1, Mac(1), 7, 10);
        Assert.Equal(5, t.Lookup(0, Mac(1), 10));
        Assert.Equal(7, t.Lookup(1, Mac(1), 10));
    }

    [Fact]
    public void Lookup_AfterAgingTime_Misses()
    {
        var t = new MacTable(1024, agingMs: 1000);
        t.Learn(0, Mac(1), 5, 100);
        Assert.Equal(5, t.Lookup(0, Mac(1), 1099));
        Assert.Equal(-1, t.Lookup(0, Mac(1), 1100));
    }

    [Fact]
    public void Learn_SameMacOnOtherPort_MovesEntry()
    {
        var t = new MacTable(1024);
        t.Learn(0, Mac(1), 5, 10);
        t.Learn(0, Mac(1), 6, 11);
        Assert.Equal(6, t.Lookup(0, Mac(1), 12));
    }

    [Fact]
    public void Learn_StaticEntry_IsNotMovedNorAged()
    {
        var t = new MacTable(1024, agingMs: 1000);
        t.AddStatic(0, Mac(1), 3, 0);
        t.Learn(0, Mac(1), 9, 10);
        Assert.Equal(3, t.Lookup(0, Mac(1), 1_000_000));
    }

    [Fact]
    public void FlushPort_ForgetsItsEntriesOnly()
    {
        var t = new MacTable(1024);
        t.Learn(0, Mac(1), 5, 10);
        t.Learn(0, Mac(2), 6, 10);
        t.AddStatic(0, Mac(3), 5, 10);
        t.FlushPort(5);
        Assert.Equal(-1, t.Lookup(0, Mac(1), 10));
        Assert.Equal(-1, t.Lookup(0, Mac(3), 10));
        Assert.Equal(6, t.Lookup(0, Mac(2), 10));
    }

    [Fact]
    public void Learn_MoreMacsThanAWindow_ReusesExpiredEntriesAndNeverReturnsWrongSlots()
    {
        var t = new MacTable(1024, agingMs: 100);
        for (var round = 0; round < 5; round++)
        {
            for (var i = 0; i < 600; i++)
            {
                t.Learn(0, Mac((round * 1000) + i), i % 50, round * 1000);
            }
            for (var i = 0; i < 600; i++)
            {
                var slot = t.Lookup(0, Mac((round * 1000) + i), round * 1000);
                Assert.True(slot == -1 || slot == i % 50);
            }
        }
    }

    [Fact]
    public async Task LearnAndLookup_Concurrently_NeverPairKeyWithWrongSlot()
    {
        var t = new MacTable(256, agingMs: 1_000_000);
        var stop = false;
        var wrong = 0;
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            var rnd = new Random(w);
            while (!Volatile.Read(ref stop))
            {
                var mac = rnd.Next(2000);
                t.Learn(0, Mac(mac), mac % 97, 1);
            }
        })).ToArray();
        var reader = Task.Run(() =>
        {
            var rnd = new Random(42);
            for (var i = 0; i < 2_000_000; i++)
            {
                var mac = rnd.Next(2000);
                var slot = t.Lookup(0, Mac(mac), 1);
                if (slot != -1 && slot != mac % 97)
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        });
        await reader;
        Volatile.Write(ref stop, true);
        await Task.WhenAll(writers);
        Assert.Equal(0, wrong);
    }
}
