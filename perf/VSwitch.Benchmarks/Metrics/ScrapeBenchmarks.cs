using BenchmarkDotNet.Attributes;
using Prometheus;
using VSwitch.Control.Model;
using VSwitch.Daemon.Metrics;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Benchmarks.Metrics;

/// <summary>
/// One scrape of <c>/metrics</c> without the data path: the switch's counters as <see cref="SwitchStats"/> (100 or
/// 1,000 attached ports, 24 rules, 2 workers; every port's traffic counters and its security-group drops moved since
/// the last scrape, its 15 other drop series are zero) copied into prometheus-net's
/// families and written in the Prometheus text format or OpenMetrics. Reading the workers' counters is measured
/// apart (ScrapeCostTests: 30-700 µs).
/// </summary>
[MemoryDiagnoser]
public class ScrapeBenchmarks
{
    private MetricsExporter _exporter = null!;
    private SwitchStats _stats = null!;
    private readonly MemoryStream _output = new();
    private long _tick;
    private readonly CollectorRegistry _dotnet = Prometheus.Metrics.NewCustomRegistry();
    private readonly CollectorRegistry _process = Prometheus.Metrics.NewCustomRegistry();

    [Params(100, 1000)]
    public int Ports { get; set; }

    [Params(ExpositionFormat.PrometheusText, ExpositionFormat.OpenMetricsText)]
    public ExpositionFormat Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _exporter = new MetricsExporter();
        DotNetStats.Register(_dotnet);
        _ = new ProcessFamilies(_process);
        _stats = Stats(Ports, 1);
        Scrape();
    }

    [Benchmark]
    public long Scrape()
    {
        PublishOnly();
        _output.SetLength(0);
        _exporter.WriteAsync(_output, Format, CancellationToken.None).GetAwaiter().GetResult();
        return _output.Length;
    }

    /// <summary>prometheus-net's own process and runtime families, which VSwitch does not use (ProcessFamilies says why).</summary>
    [Benchmark]
    public long DotNetStatsOnly() => Export(_dotnet);

    /// <summary>The same families as VSwitch reads them.</summary>
    [Benchmark]
    public long ProcessFamiliesOnly() => Export(_process);

    private long Export(CollectorRegistry registry)
    {
        _output.SetLength(0);
        registry.CollectAndExportAsTextAsync(_output, Format, CancellationToken.None).GetAwaiter().GetResult();
        return _output.Length;
    }

    /// <summary>Moves every port's traffic counters and drops, as traffic does between scrapes, and copies them into the families.</summary>
    [Benchmark]
    public void PublishOnly()
    {
        var tick = ++_tick;
        foreach (var port in _stats.Ports)
        {
            port.Counters[0] += tick;
            port.Drops[0] += tick;
        }
        _exporter.Publish(_stats);
    }

    internal static SwitchStats Stats(int ports, long seed)
    {
        var list = Enumerable.Range(0, ports).Select(i => new PortStats(Guid.NewGuid(), $"vm{i:D4}", PortStatus.Active, true,
            [.. Enumerable.Range(0, (int)PortCounter.Count).Select(c => (seed + c) * 1_000_003L * (i + 1))],
            // Most (port, direction, reason) series stay at zero; security groups drop in both directions.
            [.. Enumerable.Range(0, (int)DropReason.Count * 2).Select(d => d < 2 ? (seed + d) * (i + 1) : 0)], 17, 0)).ToArray();
        var group = Guid.NewGuid();
        var rules = Enumerable.Range(0, 24).Select(r => new RuleStats(group, "default", Guid.NewGuid(), r * 1000L)).ToArray();
        WorkerStats[] workers = [new(0, 0, 1_000_000, 2_000_000_000), new(1, 1, 1_000_000, 2_000_000_000)];
        return new SwitchStats(list, rules, workers, 10_000, 1_000_000, 50_000, 0, 3, 9_000_000, 1_000, Fragments: new FragmentStats(1, 2, 3, 4, 1024));
    }
}
