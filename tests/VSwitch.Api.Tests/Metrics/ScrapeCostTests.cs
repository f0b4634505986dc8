using System.Diagnostics;
using System.Text.Json.Nodes;
using Prometheus;
using VSwitch.Control.Model;
using VSwitch.Daemon.Metrics;
using VSwitch.Dataplane.Pipeline;
using Xunit.Abstractions;

namespace VSwitch.Api.Tests.Metrics;

/// <summary>
/// Measures one scrape of 100 and of 1,000 attached ports (each in the default group, so every rule is exported too) and prints
/// the time and allocation per scrape. No timing assertion: the number is for docs/observability.md. Run with
/// <c>dotnet test tests/VSwitch.Api.Tests -c Release --filter ScrapeCost --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class ScrapeCostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync(quotas: QuotaLimits.Unlimited, maxPorts: 1100);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData(100)]
    [InlineData(1000)]
    public async Task OneScrape_IsMeasured(int ports)
    {
        using var client = _host.Client();
        var net = (string)(await client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        var counters = _host.Datapath.Workers[0].Counters;
        for (var i = 0; i < ports; i++)
        {
            var port = await client.CreateAsync("ports", "port",
                new JsonObject { ["port"] = new JsonObject { ["name"] = $"vm{i:D3}", ["network_id"] = net, ["binding:profile"] = new JsonObject { ["device"] = $"memory:vm{i}" } } }.ToJsonString());
            var slot = _host.Reconciler.SlotOf(Guid.Parse((string)port["id"]!));
            counters.Add(slot, PortCounter.RxPackets, 123_456_789L * (i + 1));
            counters.Add(slot, PortCounter.RxBytes, 987_654_321_000L * (i + 1));
        }
        var writer = new MetricsExporter(_host.Reconciler);
        var text = writer.Render();
        var families = Exposition.Parse(text);
        Assert.Equal(ports, families["vswitch_port_rx_packets_total"].Samples.Count);

        // As the server answers a scrape: written to a stream (the response body), not made a string.
        using var body = new MemoryStream();
        void Scrape()
        {
            body.SetLength(0);
            writer.WriteAsync(body, ExpositionFormat.PrometheusText, CancellationToken.None).GetAwaiter().GetResult();
        }
        var iterations = 200_000 / ports;
        // Enough scrapes first for the tiered JIT to reach its optimized code (prometheus-net's too).
        for (var i = 0; i < Math.Max(150, iterations / 10); i++)
        {
            Scrape();
        }
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            Scrape();
        }
        watch.Stop();
        var allocated = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / iterations;
        var lines = text.Count(c => c == '\n');
        var collect = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            SwitchStats.Collect(_host.Reconciler);
        }
        collect.Stop();
        output.WriteLine($"scrape of {ports} ports, {_host.Datapath.Workers.Length} worker(s), {families["vswitch_security_group_rule_hits_total"].Samples.Count} rules: "
            + $"{watch.Elapsed.TotalMicroseconds / iterations:F1} us per scrape "
            + $"(reading the counters: {collect.Elapsed.TotalMicroseconds / iterations:F1} us), {allocated / 1024.0:F0} KiB allocated, {text.Length / 1024.0:F0} KiB of text, {lines} lines; "
            + $"the test process has {Directory.GetFileSystemEntries("/proc/self/fd").Length} open files and {System.Diagnostics.Process.GetCurrentProcess().Threads.Count} threads");
    }
}
