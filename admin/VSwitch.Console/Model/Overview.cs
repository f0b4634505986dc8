using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>One port's line on the overview: traffic and drop rates since the previous refresh.</summary>
/// <remarks>Drops: Drops per second by reason (both directions summed), only the reasons that dropped anything.</remarks>
public sealed record PortRates(
    string PortId,
    string Name,
    string Status,
    double? RxPacketsPerSecond,
    double? RxBitsPerSecond,
    double? TxPacketsPerSecond,
    double? TxBitsPerSecond,
    double? DropsPerSecond,
    IReadOnlyList<KeyValuePair<string, double>> Drops);

/// <summary>One worker's load: the share of the interval it spent processing.</summary>
public sealed record WorkerLoad(int Id, int? Cpu, double? Busy, double? PacketsPerSecond);

/// <summary>The overview screen's numbers, computed from two consecutive snapshots.</summary>
/// <remarks>FlowCacheHitRatio: Hits over lookups in the last interval (null when there were none); cumulative when there is no previous snapshot.</remarks>
public sealed record Overview(
    IReadOnlyList<PortRates> Ports,
    long ConntrackEntries,
    long ConntrackMaxEntries,
    double? ConntrackCreatedPerSecond,
    double? FlowCacheHitRatio,
    IReadOnlyList<WorkerLoad> Workers)
{
    /// <summary>Rates between <paramref name="previous"/> (may be null or empty) and <paramref name="current"/>.</summary>
    public static Overview Build(SwitchSnapshot? previous, SwitchSnapshot current)
    {
        var elapsed = previous is null ? TimeSpan.Zero : current.At - previous.At;
        var before = previous?.Stats.PortStats.ToDictionary(p => p.PortId) ?? [];
        var ports = new List<PortRates>();
        foreach (var p in current.Stats.PortStats)
        {
            var old = before.GetValueOrDefault(p.PortId);
            double? Rate(Func<PortStats, long> read, int scale = 1) =>
                old is null ? null : Rates.PerSecond(read(old), read(p), elapsed) * scale;
            var drops = new List<KeyValuePair<string, double>>();
            double? total = old is null || elapsed <= TimeSpan.Zero ? null : 0;
            foreach (var reason in Reasons(p))
            {
                var rate = Rates.PerSecond(old is null ? null : DropsOf(old, reason), DropsOf(p, reason), elapsed);
                if (rate is { } r && r > 0)
                {
                    drops.Add(new(reason, r));
                    total += r;
                }
            }
            ports.Add(new PortRates(p.PortId, p.Name, p.Status ?? "", Rate(s => s.RxPackets), Rate(s => s.RxBytes, 8),
                Rate(s => s.TxPackets), Rate(s => s.TxBytes, 8), total, drops));
        }
        var workersBefore = previous?.Stats.Workers.ToDictionary(w => w.Id) ?? [];
        var workers = current.Stats.Workers.Select(w =>
        {
            var old = workersBefore.GetValueOrDefault(w.Id);
            double? busy = old is null || elapsed <= TimeSpan.Zero ? null
                : Math.Clamp((w.BusySeconds >= old.BusySeconds ? w.BusySeconds - old.BusySeconds : w.BusySeconds) / elapsed.TotalSeconds, 0, 1);
            return new WorkerLoad(w.Id, w.Cpu is >= 0 ? w.Cpu : null, busy, Rates.PerSecond(old?.Packets, w.Packets, elapsed));
        }).ToArray();
        var cache = current.Stats.FlowCache ?? new FlowCacheStats();
        var oldCache = previous?.Stats.FlowCache;
        var hits = oldCache is null ? cache.Hits : Rates.Delta(oldCache.Hits, cache.Hits);
        var misses = oldCache is null ? cache.Misses : Rates.Delta(oldCache.Misses, cache.Misses);
        var ct = current.Stats.Conntrack ?? new ConntrackStats();
        return new Overview(ports, ct.Entries, ct.MaxEntries,
            Rates.PerSecond(previous?.Stats.Conntrack?.Created, ct.Created, elapsed),
            hits + misses == 0 ? null : (double)hits / (hits + misses),
            workers);
    }

    /// <summary>Every reason the port reports, in the API's order, ingress reasons first.</summary>
    private static IEnumerable<string> Reasons(PortStats p) =>
        p.Drops is null ? [] : p.Drops.Ingress.Keys.Concat(p.Drops.Egress.Keys).Distinct();

    /// <summary>A port's drops for one reason, both directions.</summary>
    public static long DropsOf(PortStats p, string reason) =>
        p.Drops is null ? 0 : p.Drops.Ingress.GetValueOrDefault(reason) + p.Drops.Egress.GetValueOrDefault(reason);

    /// <summary>A port's drops for every reason and direction.</summary>
    public static long TotalDrops(PortStats p) =>
        p.Drops is null ? 0 : p.Drops.Ingress.Values.Sum() + p.Drops.Egress.Values.Sum();
}
