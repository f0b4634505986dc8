namespace VSwitch.Dataplane.Routing;

/// <summary>
/// A worker's budget for the ICMP errors its routers send (RFC 1812 §4.3.2.8): a token bucket of
/// <see cref="Burst"/> errors refilled at <see cref="PerSecond"/> a second, as Linux's <c>icmp_msgs_per_sec</c> and
/// <c>icmp_msgs_burst</c>. An error over the budget is not sent (and counted); the packet is dropped either way.
/// </summary>
/// <remarks>Owned by one worker: no locks. Time in milliseconds from the data path's clock.</remarks>
public sealed class IcmpRateLimit
{
    public const int PerSecond = 1000;
    public const int Burst = 50;

    private long _tokensMilli = Burst * 1000L;
    private long _lastMs = long.MinValue;

    /// <summary>Takes one error's token at <paramref name="nowMs"/>; false when the budget is spent.</summary>
    public bool TryTake(long nowMs)
    {
        if (_lastMs == long.MinValue)
        {
            _lastMs = nowMs;
        }
        var elapsed = Math.Max(0, nowMs - _lastMs);
        _lastMs = nowMs;
        // PerSecond tokens a second is PerSecond thousandths of a token a millisecond.
        _tokensMilli = Math.Min(Burst * 1000L, _tokensMilli + (elapsed * PerSecond));
        if (_tokensMilli < 1000)
        {
            return false;
        }
        _tokensMilli -= 1000;
        return true;
    }
}
