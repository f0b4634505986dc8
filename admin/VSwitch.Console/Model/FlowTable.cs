using System.Globalization;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>One tracked connection with its rate since the previous refresh (both directions summed).</summary>
public sealed record FlowRate(FlowEntry Flow, string Key, double? PacketsPerSecond, double? BitsPerSecond);

/// <summary>
/// The flows screen: the top connections by rate, from two consecutive conntrack listings.
/// </summary>
/// <remarks>
/// A connection is matched across listings by its zone and original-direction 5-tuple. Its rate is the growth of its
/// packet and byte counters (both directions) over the interval. A connection that was not in the previous listing
/// started during the interval when it is younger than the interval (its whole count is the growth); an older one
/// that is new to us (the first refresh, or a listing that was cut at its limit) is rated by its average over its
/// age. A connection whose counters went down is a new connection reusing the tuple: its count restarts from zero.
/// Sorting: bits per second, then packets per second, descending; unknown rates last; then by key, so equal rates
/// do not shuffle between refreshes.
/// </remarks>
public static class FlowTable
{
    /// <summary>The identity of a connection across listings.</summary>
    public static string KeyOf(FlowEntry f) =>
        string.Create(CultureInfo.InvariantCulture, $"{f.Zone} {f.Protocol} {f.Src}:{f.SrcPort} > {f.Dst}:{f.DstPort}");

    /// <summary>Rates of <paramref name="current"/>'s connections (through <paramref name="portId"/> when given), best first, at most <paramref name="top"/>.</summary>
    public static IReadOnlyList<FlowRate> Top(IReadOnlyList<FlowEntry>? previous, IReadOnlyList<FlowEntry> current, TimeSpan elapsed,
        string? portId, int top)
    {
        var before = new Dictionary<string, FlowEntry>();
        foreach (var f in previous ?? [])
        {
            before.TryAdd(KeyOf(f), f);
        }
        var seconds = elapsed.TotalSeconds;
        var rows = new List<FlowRate>();
        foreach (var f in current)
        {
            if (portId is not null && f.InPortId != portId && f.OutPortId != portId)
            {
                continue;
            }
            var key = KeyOf(f);
            long packets = f.PacketsOrig + f.PacketsReply, bytes = f.BytesOrig + f.BytesReply;
            double? pps, bps;
            if (before.TryGetValue(key, out var old) && seconds > 0)
            {
                pps = Rates.Delta(old.PacketsOrig + old.PacketsReply, packets) / seconds;
                bps = Rates.Delta(old.BytesOrig + old.BytesReply, bytes) * 8 / seconds;
            }
            else if (seconds > 0 || f.AgeSeconds > 0)
            {
                var over = Math.Max(seconds, f.AgeSeconds);
                pps = packets / over;
                bps = bytes * 8 / over;
            }
            else
            {
                pps = bps = null;
            }
            rows.Add(new FlowRate(f, key, pps, bps));
        }
        return [.. rows
            .OrderByDescending(r => r.BitsPerSecond ?? -1)
            .ThenByDescending(r => r.PacketsPerSecond ?? -1)
            .ThenBy(r => r.Key, StringComparer.Ordinal)
            .Take(top)];
    }
}
