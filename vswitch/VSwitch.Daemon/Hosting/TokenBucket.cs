namespace VSwitch.Daemon.Hosting;

/// <summary>
/// A token bucket over a millisecond clock: at most <see cref="Burst"/> takes at once, refilled at <see cref="Rate"/>
/// per second (Neutron's network-log <c>rate_limit</c> and <c>burst_limit</c>, which its OVS driver enforces with a
/// packets-per-second meter).
/// </summary>
/// <remarks>
/// The clock is the caller's: the security-group log passes each event's own time, so the limit applies to when the
/// packets happened, not to when the writer drained them, and tests are deterministic. A clock that goes backwards
/// (events of two workers interleaved) refills nothing. Not thread-safe: one writer uses it.
/// </remarks>
public sealed class TokenBucket
{
    private double _tokens;
    private long _lastMs = long.MinValue;

    public TokenBucket(int rate, int burst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        Rate = rate;
        Burst = burst;
        _tokens = burst;
    }

    /// <summary>Tokens added per second.</summary>
    public int Rate { get; }

    /// <summary>Tokens the bucket holds at most (and starts with).</summary>
    public int Burst { get; }

    /// <summary>Takes one token at time <paramref name="nowMs"/>; false if none is left.</summary>
    public bool TryTake(long nowMs)
    {
        if (_lastMs == long.MinValue)
        {
            _lastMs = nowMs;
        }
        else if (nowMs > _lastMs)
        {
            _tokens = Math.Min(Burst, _tokens + ((nowMs - _lastMs) * Rate / 1000.0));
            _lastMs = nowMs;
        }
        if (_tokens >= 1)
        {
            _tokens -= 1;
            return true;
        }
        return false;
    }
}
