using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Net.Http.Headers;
using Prometheus;
using VSwitch.Control;
using VSwitch.Daemon.Hosting;

namespace VSwitch.Daemon.Metrics;

/// <summary>
/// The switch's metrics through prometheus-net: at each scrape, the workers' counters are read and summed
/// (<see cref="SwitchStats.Collect"/>) and copied into the registry's families (<see cref="MetricFamilies"/>), which
/// prometheus-net then writes in the Prometheus text format or in OpenMetrics, with the standard process and .NET
/// runtime families beside them (<see cref="ProcessFamilies"/>).
/// </summary>
/// <remarks>
/// <para><b>Why pull.</b> Workers never call the library: their counters stay plain single-writer fields (OVS
/// <c>pmd_counters</c>), and a scrape's cost depends on the number of ports, rules and workers, never on the packet
/// rate; a worker never waits for it.</para>
/// <para><b>The <c>port</c> label</b> is the port's name, which Neutron lets be empty or shared: a port whose name is
/// empty, also used by another attached port, or another port's id is labelled with its id instead, so two ports
/// never share a series.</para>
/// <para><b>Counters and resets.</b> A port's series belong to the port (its id), not to its label: when the port
/// goes, or its label changes, its series are removed before any new one is made, so a new port named like an old
/// one starts from zero, as a new port in a reused slot does (the counters of a slot are read against a per-slot
/// baseline). When a port's counters restart (it was re-opened on a new device, network or MAC, so on a fresh slot),
/// its series are made again from zero, which Prometheus reads as a counter reset; a rule's hits likewise. Scrapes
/// read and render one at a time, so two of them never publish out of order, and each is sent from its own copy
/// afterwards, so a slow client holds up no other; a failure to read the counters fails the scrape (500) instead of
/// answering the last values.</para>
/// <para><b>Measured.</b> docs/observability.md ("Scrape cost"; ScrapeCostTests): 100 and 1,000 ports.</para>
/// </remarks>
public sealed class MetricsExporter
{
    /// <summary>The content type of the Prometheus text format (version 0.0.4).</summary>
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The content type of OpenMetrics 1.0.0, sent when the scraper asks for it.</summary>
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private readonly Func<SwitchStats>? _collect;
    private readonly SemaphoreSlim _scraping = new(1, 1);
    private readonly MemoryStream _rendered = new();
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly MetricFamilies _families;
    private readonly Dictionary<Guid, PortSeries> _ports = [];
    private readonly Dictionary<Guid, Counter.Child> _rules = [];
    private readonly Dictionary<Guid, (string Name, Gauge.Child Series)> _groups = [];
    private readonly Dictionary<int, (Counter.Child Busy, Counter.Child Packets, Counter.Child Polls)> _workers = [];

    /// <summary>Exports the counters of <paramref name="reconciler"/>'s data path (and the security-group log's).</summary>
    public MetricsExporter(Reconciler reconciler, SecurityGroupLogWriter? securityGroupLog = null)
        : this(() => SwitchStats.Collect(reconciler) with { SecurityGroupLogSuppressed = securityGroupLog?.Suppressed ?? 0 })
    {
    }

    /// <summary>Exports what <paramref name="collect"/> reads at each scrape.</summary>
    internal MetricsExporter(Func<SwitchStats> collect)
        : this() => _collect = collect;

    /// <summary>An exporter fed by hand (<see cref="Publish"/>): for tests and benchmarks of the exposition alone.</summary>
    internal MetricsExporter()
    {
        _families = new MetricFamilies(_registry);
        _ = new ProcessFamilies(_registry);
    }

    /// <summary>
    /// The format to answer a scrape with: OpenMetrics when its <c>Accept</c> header weighs it above zero and at least
    /// as much as <c>text/plain</c> (Prometheus's does), else the text format.
    /// </summary>
    public static ExpositionFormat Negotiate(string? accept)
    {
        if (accept is null || !MediaTypeHeaderValue.TryParseList([accept], out var types))
        {
            return ExpositionFormat.PrometheusText;
        }
        double Weight(string mediaType) => types
            .Where(t => string.Equals(t.MediaType.Value, mediaType, StringComparison.OrdinalIgnoreCase))
            .Select(t => t.Quality ?? 1.0)
            .DefaultIfEmpty(-1.0)
            .Max();
        var openMetrics = Weight("application/openmetrics-text");
        return openMetrics > 0 && openMetrics >= Weight("text/plain") ? ExpositionFormat.OpenMetricsText : ExpositionFormat.PrometheusText;
    }

    public static string ContentType(ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetricsText ? OpenMetricsContentType : PrometheusContentType;

    /// <summary>
    /// Reads every counter now and writes them to <paramref name="output"/>. Scrapes read and render one at a time;
    /// each is then sent from a copy of its own, outside that turn, so a scraper that reads slowly (or not at all)
    /// never holds up the others.
    /// </summary>
    public async Task WriteAsync(Stream output, ExpositionFormat format, CancellationToken cancellation)
    {
        byte[] copy;
        int length;
        await _scraping.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            // Not a before-collect callback of the registry: prometheus-net swallows their exceptions.
            if (_collect is not null)
            {
                Publish(_collect());
            }
            _rendered.SetLength(0);
            await _registry.CollectAndExportAsTextAsync(_rendered, format, cancellation).ConfigureAwait(false);
            length = (int)_rendered.Length;
            copy = ArrayPool<byte>.Shared.Rent(length);
            _rendered.GetBuffer().AsSpan(0, length).CopyTo(copy);
        }
        finally
        {
            _scraping.Release();
        }
        try
        {
            await output.WriteAsync(copy.AsMemory(0, length), cancellation).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>Reads every counter now and returns the exposition as text.</summary>
    public string Render(ExpositionFormat format = ExpositionFormat.PrometheusText)
    {
        using var buffer = new MemoryStream();
        WriteAsync(buffer, format, CancellationToken.None).GetAwaiter().GetResult();
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Copies <paramref name="stats"/> into the families (only attached ports are exported). Not thread-safe: the
    /// daemon calls it in a scrape's turn (<see cref="WriteAsync"/>), a benchmark from its one thread.
    /// </summary>
    internal void Publish(SwitchStats stats)
    {
        PublishPorts(stats.Ports);
        PublishRules(stats.Rules);
        PublishWorkers(stats.Workers);
        var f = _families;
        f.DhcpReplies.IncTo(stats.DhcpReplies);
        f.DhcpIgnored.IncTo(stats.DhcpIgnored);
        f.Dhcpv6Replies.IncTo(stats.Dhcpv6Replies);
        f.Dhcpv6Ignored.IncTo(stats.Dhcpv6Ignored);
        f.RouterAdvertisements.IncTo(stats.RouterAdvertisements);
        var router = stats.Router ?? new RouterStats(0, 0, 0, 0, 0);
        f.RouterForwarded.IncTo(router.Forwarded);
        f.RouterNeighborReplies.IncTo(router.NeighborReplies);
        f.RouterEchoReplies.IncTo(router.EchoReplies);
        f.RouterIcmpErrors.IncTo(router.IcmpErrors);
        f.RouterIcmpRateLimited.IncTo(router.IcmpRateLimited);
        f.RouterArpRequests.IncTo(router.ArpRequests);
        f.RouterNeighborsLearned.IncTo(router.NeighborsLearned);
        f.NatTranslated.IncTo(stats.NatTranslated);
        f.FlowCacheHits.IncTo(stats.FlowCacheHits);
        f.FlowCacheMisses.IncTo(stats.FlowCacheMisses);
        f.ConntrackEntries.Set(stats.ConntrackEntries);
        f.ConntrackMaxEntries.Set(stats.ConntrackMaxEntries);
        f.ConntrackCreated.IncTo(stats.ConntrackCreated);
        f.ConntrackEarlyDrops.IncTo(stats.ConntrackEarlyDrops);
        f.ConntrackRevoked.IncTo(stats.ConntrackRevoked);
        f.SecurityGroupLogDropped.IncTo(stats.SecurityGroupLogDropped);
        f.SecurityGroupLogSuppressed.IncTo(stats.SecurityGroupLogSuppressed);
        var fragments = stats.Fragments ?? new FragmentStats(0, 0, 0, 0, 0);
        f.FirstFragments.IncTo(fragments.FirstFragments);
        f.LaterFragmentsMatched.IncTo(fragments.LaterFragmentsMatched);
        f.LaterFragmentsHeld.IncTo(fragments.LaterFragmentsHeld);
        f.FragmentEvictions.IncTo(fragments.Evictions);
        f.FragmentMaxDatagrams.Set(fragments.MaxDatagrams);
    }

    private void PublishPorts(IReadOnlyList<PortStats> all)
    {
        var ports = all.Where(p => p.Attached).ToList();
        var labels = PortLabels(ports);
        var current = new Dictionary<Guid, int>(ports.Count);
        for (var i = 0; i < ports.Count; i++)
        {
            current[ports[i].PortId] = i;
        }
        // Gone (or relabelled) first: a new port may take the label an old one leaves in this same scrape.
        foreach (var (id, series) in _ports.ToList())
        {
            if (!current.TryGetValue(id, out var at) || labels[at] != series.Label)
            {
                series.Remove();
                _ports.Remove(id);
            }
        }
        for (var i = 0; i < ports.Count; i++)
        {
            if (_ports.TryGetValue(ports[i].PortId, out var series) && series.WentBack(_families, ports[i]))
            {
                // The port's counters restarted (re-opened on a fresh slot): a reset, new series from zero.
                series.Remove();
                _ports.Remove(ports[i].PortId);
            }
            if (!_ports.TryGetValue(ports[i].PortId, out series))
            {
                _ports[ports[i].PortId] = series = new PortSeries(_families, labels[i]);
            }
            series.Publish(_families, ports[i]);
        }
    }

    private void PublishRules(IReadOnlyList<RuleStats> rules)
    {
        var ruleIds = rules.Select(r => r.RuleId).ToHashSet();
        foreach (var (id, series) in _rules.ToList())
        {
            if (!ruleIds.Contains(id))
            {
                series.Remove();
                _rules.Remove(id);
            }
        }
        foreach (var rule in rules)
        {
            if (_rules.TryGetValue(rule.RuleId, out var series) && rule.Hits < series.Value)
            {
                series.Remove();
                _rules.Remove(rule.RuleId);
            }
            if (!_rules.TryGetValue(rule.RuleId, out series))
            {
                _rules[rule.RuleId] = series = _families.RuleHits.WithLabels(rule.SecurityGroupId.ToString(), rule.RuleId.ToString());
            }
            series.IncTo(rule.Hits);
        }
        var groups = rules.DistinctBy(r => r.SecurityGroupId).ToDictionary(r => r.SecurityGroupId, r => r.SecurityGroupName);
        foreach (var (id, (name, series)) in _groups.ToList())
        {
            if (!groups.TryGetValue(id, out var now) || now != name)
            {
                series.Remove();
                _groups.Remove(id);
            }
        }
        foreach (var (id, name) in groups)
        {
            if (!_groups.ContainsKey(id))
            {
                var series = _families.GroupInfo.WithLabels(id.ToString(), name);
                series.Set(1);
                _groups[id] = (name, series);
            }
        }
    }

    private void PublishWorkers(IReadOnlyList<WorkerStats> workers)
    {
        foreach (var w in workers)
        {
            if (!_workers.TryGetValue(w.Id, out var series))
            {
                var id = w.Id.ToString(CultureInfo.InvariantCulture);
                _workers[w.Id] = series = (_families.WorkerBusySeconds.WithLabels(id), _families.WorkerPackets.WithLabels(id), _families.WorkerBusyPolls.WithLabels(id));
            }
            series.Busy.IncTo(w.BusySeconds);
            series.Packets.IncTo(w.Packets);
            series.Polls.IncTo(w.BusyPolls);
        }
    }

    /// <summary>
    /// The <c>port</c> label value of each port: its name, or its id when the name is empty, shared, or the id of
    /// another port (which may be labelled by its id).
    /// </summary>
    private static string[] PortLabels(IReadOnlyList<PortStats> ports)
    {
        var shared = ports.GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        var ids = ports.Select(p => p.PortId).ToHashSet();
        // Only a name written as an id can be another port's label (ids are not made strings for every port).
        bool IsAnotherPortsId(PortStats p) =>
            Guid.TryParseExact(p.Name, "D", out var id) && id != p.PortId && ids.Contains(id) && p.Name == id.ToString();
        return [.. ports.Select(p => p.Name.Length == 0 || shared.Contains(p.Name) || IsAnotherPortsId(p) ? p.PortId.ToString() : p.Name)];
    }
}
