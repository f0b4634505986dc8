using VSwitch.Daemon.Hosting;

namespace VSwitch.Api.Tests;

public sealed class TokenBucketTests
{
    [Fact]
    public void TryTake_Burst_ThenRate()
    {
        var bucket = new TokenBucket(rate: 100, burst: 25);
        var taken = Enumerable.Range(0, 40).Count(_ => bucket.TryTake(1_000));
        Assert.Equal(25, taken);
        // 100/s: one token per 10 ms.
        Assert.False(bucket.TryTake(1_009));
        Assert.True(bucket.TryTake(1_010));
        Assert.False(bucket.TryTake(1_010));
        // A second later the bucket is full again, but never above the burst.
        Assert.Equal(25, Enumerable.Range(0, 40).Count(_ => bucket.TryTake(10_000)));
    }

    [Fact]
    public void TryTake_SteadyFlood_PassesTheRate()
    {
        var bucket = new TokenBucket(rate: 100, burst: 25);
        var passed = 0;
        // 10,000 events per second for 10 seconds.
        for (long t = 0; t < 10_000; t++)
        {
            for (var i = 0; i < 10; i++)
            {
                passed += bucket.TryTake(t) ? 1 : 0;
            }
        }
        Assert.InRange(passed, 25 + 999, 25 + 1000);
    }

    [Fact]
    public void TryTake_ClockGoingBackwards_RefillsNothing()
    {
        var bucket = new TokenBucket(rate: 1000, burst: 1);
        Assert.True(bucket.TryTake(500));
        Assert.False(bucket.TryTake(100));
        Assert.False(bucket.TryTake(500));
        Assert.True(bucket.TryTake(501));
    }
}
