namespace VSwitch.Console.Model;

/// <summary>
/// Rates from cumulative counters read at two moments, as Prometheus' <c>rate()</c> computes them.
/// </summary>
/// <remarks>
/// What: the per-second rate of a counter between two samples. Why: the API serves only cumulative counters (since
/// the daemon started, or since a port took its data-path slot), so every "per second" on screen is a delta over the
/// time between two refreshes. A counter that went down was reset (the daemon restarted, or the port was removed and
/// a new one took its place): the new value is then all that was counted since the reset, so the delta is the value
/// itself, never a negative rate. No previous sample, or no time between the samples, means no rate yet (shown as
/// "-"), not zero.
/// </remarks>
public static class Rates
{
    /// <summary>The counter's growth between two samples: <paramref name="current"/> minus <paramref name="previous"/>, or <paramref name="current"/> after a reset.</summary>
    public static long Delta(long previous, long current) => current >= previous ? current - previous : current;

    /// <summary>Per second between two samples taken <paramref name="elapsed"/> apart; null without a previous sample.</summary>
    public static double? PerSecond(long? previous, long current, TimeSpan elapsed)
    {
        if (previous is not { } before || elapsed <= TimeSpan.Zero)
        {
            return null;
        }
        return Delta(before, current) / elapsed.TotalSeconds;
    }
}
