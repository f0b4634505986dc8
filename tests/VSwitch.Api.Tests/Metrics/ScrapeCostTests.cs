using System.Diagnostics;
using System.Text.Json.Nodes;
using VSwitch.Daemon.Metrics;
using VSwitch.Dataplane.Pipeline;
using Xunit.Abstractions;

namespace VSwitch.Api.Tests.Metrics;

/// <summary>
/// Measures one scrape of 100 attached ports (each in the default group, so every rule is exported too) and prints
/// the time and allocation per scrape. No timing assertion: the number is for docs/observability.md. Run with
/// <c>dotnet test tests/VSwitch.Api.Tests -c Release --filter ScrapeCost --logger "console;verbosity=detailed"</c>.
/// </summary>
public sealed class ScrapeCostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Ports = 100;

    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task OneScrapeOf100Ports_IsMeasured()
    {
        using var client = _host.Client();
        var net = (string)(await client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        var counters = _host.Datapath.Workers[0].Counters;
        for (var i = 0; i < Ports; i++)
        {
            var port = await client.CreateAsync("ports", "port",
                new JsonObject { ["port"] = new JsonObject { ["name"] = $"vm{i:D3}", ["network_id"] = net, ["binding:profile"] = new JsonObject { ["device"] = $"memory:vm{i}" } } }.ToJsonString());
            var slot = _host.Reconciler.SlotOf(Guid.Parse((string)port["id"]!));
            counters.Add(slot, PortCounter.RxPackets, 123_456_789L * (i + 1));
            counters.Add(slot, PortCounter.RxBytes, 987_654_321_000L * (i + 1));
        }
        var writer = new MetricsWriter(_host.Reconciler);
        var text = writer.Render();
        var families = Exposition.Parse(text);
        Assert.Equal(Ports, families["vswitch_port_rx_packets_total"].Samples.Count);

        for (var i = 0; i < 200; i++)
        {
            writer.Render();
        }
        const int iterations = 2000;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            writer.Render();
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
        output.WriteLine($"scrape of {Ports} ports, {_host.Datapath.Workers.Length} worker(s), {families["vswitch_security_group_rule_hits_total"].Samples.Count} rules: "
            + $"{watch.Elapsed.TotalMicroseconds / iterations:F1} us per scrape "
            + $"(reading the counters: {collect.Elapsed.TotalMicroseconds / iterations:F1} us), {allocated / 1024.0:F0} KiB allocated, {text.Length / 1024.0:F0} KiB of text, {lines} lines");
    }
}
