using System.Diagnostics;
using System.Text.Json.Nodes;
using Prometheus;
using VSwitch.Daemon.Metrics;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Api.Tests.Metrics;

/// <summary>
/// The <c>/metrics</c> text against ARCHITECTURE.md §3: every family with HELP and TYPE, the contract's names and
/// label sets, escaping, unique series, and counters that stay monotonic while ports and rules come and go.
/// Counters are written straight into the (stopped) worker's counter block, as the worker would.
/// </summary>
public sealed class MetricsExporterTests : IAsyncLifetime
{
    private static readonly string[] s_reasons = ["security_group", "spoofing", "conntrack_invalid", "conntrack_full", "malformed", "port_down", "tx_failed", "fragment", "vlan", "mtu", "no_route", "ttl_exceeded", "nat_exhausted"];

    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private string _net = "";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _client = _host.Client();
        _net = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<Guid> Port(string name, string device)
    {
        var port = await _client.CreateAsync("ports", "port",
            new JsonObject { ["port"] = new JsonObject { ["name"] = name, ["network_id"] = _net, ["binding:profile"] = new JsonObject { ["device"] = device } } }.ToJsonString());
        return Guid.Parse((string)port["id"]!);
    }

    private MetricsExporter? _exporter;

    /// <summary>One exporter for the whole test, as the daemon has: its series persist from one scrape to the next.</summary>
    private MetricsExporter Exporter => _exporter ??= new MetricsExporter(_host.Reconciler);

    private string Scrape() => Exporter.Render();

    private WorkerCounters Counters => _host.Datapath.Workers[0].Counters;

    private static double Value(Dictionary<string, Family> families, string name, params (string Label, string Value)[] labels) =>
        families[name].Samples.Single(s => labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Value;

    [Fact]
    public async Task DropPairTheDataPathDoesNotCount_IsExportedOnceItCountsOne()
    {
        // Spoofing toward a VM never happens, so it is not published at zero; were it ever counted, it would show.
        var a = await Port("a", "memory:a");
        const string Family = "vswitch_port_dropped_packets_total";
        Assert.DoesNotContain(Exposition.Parse(Scrape())[Family].Samples, s => s.Label("direction") == "ingress" && s.Label("reason") == "spoofing");

        Counters.Drop(_host.Reconciler.SlotOf(a), DropReason.Spoofing, Direction.Ingress, 3);
        var f = Exposition.Parse(Scrape());
        Assert.Equal(3, Value(f, Family, ("port", "a"), ("direction", "ingress"), ("reason", "spoofing")));
        Assert.Equal(0, Value(f, Family, ("port", "a"), ("direction", "egress"), ("reason", "spoofing")));

        Counters.Drop(_host.Reconciler.SlotOf(a), DropReason.Spoofing, Direction.Ingress, 2);
        Assert.Equal(5, Value(Exposition.Parse(Scrape()), Family, ("port", "a"), ("direction", "ingress"), ("reason", "spoofing")));
    }

    [Fact]
    public async Task EveryContractFamily_HasHelpTypeAndExactlyItsLabels()
    {
        await Port("a", "memory:a");
        await Port("b", "memory:b");
        var families = Exposition.Parse(Scrape());

        var expected = new Dictionary<string, (string Type, string[] Labels)>
        {
            ["vswitch_port_rx_packets_total"] = ("counter", ["port"]),
            ["vswitch_port_rx_bytes_total"] = ("counter", ["port"]),
            ["vswitch_port_tx_packets_total"] = ("counter", ["port"]),
            ["vswitch_port_tx_bytes_total"] = ("counter", ["port"]),
            ["vswitch_port_dropped_packets_total"] = ("counter", ["direction", "port", "reason"]),
            ["vswitch_security_group_rule_hits_total"] = ("counter", ["rule", "security_group"]),
            ["vswitch_conntrack_entries"] = ("gauge", []),
            ["vswitch_conntrack_created_total"] = ("counter", []),
            ["vswitch_flow_cache_hits_total"] = ("counter", []),
            ["vswitch_flow_cache_misses_total"] = ("counter", []),
            ["vswitch_worker_busy_seconds_total"] = ("counter", ["worker"]),
        };
        foreach (var (name, (type, labels)) in expected)
        {
            Assert.True(families.TryGetValue(name, out var family), $"{name} missing");
            Assert.Equal(type, family.Type);
            Assert.NotEmpty(family.Samples);
            Assert.All(family.Samples, s => Assert.Equal(labels, s.Labels.Keys.Order(StringComparer.Ordinal).ToArray()));
        }
        Assert.Equal(["a", "b"], families["vswitch_port_rx_packets_total"].Samples.Select(s => s.Label("port")).Order().ToArray());
        var drops = families["vswitch_port_dropped_packets_total"].Samples;
        // Every (direction, reason) pair the data path counts, at zero too; 17 of the 26 pairs.
        string[] counted = ["egress/conntrack_full", "egress/conntrack_invalid", "egress/fragment", "egress/malformed", "egress/mtu",
            "egress/nat_exhausted", "egress/no_route", "egress/port_down", "egress/security_group", "egress/spoofing",
            "egress/ttl_exceeded", "egress/vlan", "ingress/conntrack_full", "ingress/conntrack_invalid", "ingress/port_down",
            "ingress/security_group", "ingress/tx_failed"];
        foreach (var port in new[] { "a", "b" })
        {
            Assert.Equal(counted, drops.Where(s => s.Label("port") == port).Select(s => $"{s.Label("direction")}/{s.Label("reason")}").Order(StringComparer.Ordinal).ToArray());
        }
        Assert.Equal(s_reasons.Order().ToArray(), drops.Select(s => s.Label("reason")).Distinct().Order().ToArray());

        // Every rule of every group is counted under its group's id and its own id; names are joined through the info family.
        var groups = _host.Models.Current.SecurityGroups.Values;
        var hits = families["vswitch_security_group_rule_hits_total"].Samples;
        Assert.Equal(
            groups.SelectMany(g => g.Rules.Select(r => $"{g.Id}/{r.Id}")).Order().ToArray(),
            hits.Select(s => $"{s.Label("security_group")}/{s.Label("rule")}").Order().ToArray());
        Assert.Equal(
            groups.Where(g => g.Rules.Count > 0).Select(g => $"{g.Id}={g.Name}").Order().ToArray(),
            families["vswitch_security_group_info"].Samples.Select(s => $"{s.Label("security_group")}={s.Label("name")}").Order().ToArray());
        Assert.Equal(_host.Datapath.Workers.Length, families["vswitch_worker_busy_seconds_total"].Samples.Count);
    }

    [Fact]
    public async Task Values_AreTheWorkersCounters()
    {
        var a = await Port("a", "memory:a");
        var slot = _host.Reconciler.SlotOf(a);
        Counters.Add(slot, PortCounter.RxPackets, 3);
        Counters.Add(slot, PortCounter.RxBytes, 300);
        Counters.Add(slot, PortCounter.TxPackets, 2);
        Counters.Add(slot, PortCounter.TxBytes, 200);
        Counters.Add(slot, PortCounter.RxRingDrops, 17);
        Counters.Add(slot, PortCounter.RxErrors, 19);
        Counters.Drop(slot, DropReason.SecurityGroup, Direction.Ingress, 5);
        Counters.Drop(slot, DropReason.Spoofing, Direction.Egress, 7);
        Counters.Add(WorkerCounter.FlowCacheHits, 11);
        Counters.Add(WorkerCounter.FlowCacheMisses, 13);
        Counters.Add(WorkerCounter.BusyNanoseconds, 1_500_000_000);
        Counters.Add(WorkerCounter.BusyPolls, 23);

        var f = Exposition.Parse(Scrape());
        Assert.Equal(3, Value(f, "vswitch_port_rx_packets_total", ("port", "a")));
        Assert.Equal(300, Value(f, "vswitch_port_rx_bytes_total", ("port", "a")));
        Assert.Equal(2, Value(f, "vswitch_port_tx_packets_total", ("port", "a")));
        Assert.Equal(200, Value(f, "vswitch_port_tx_bytes_total", ("port", "a")));
        Assert.Equal(17, Value(f, "vswitch_port_rx_ring_dropped_packets_total", ("port", "a")));
        Assert.Equal("counter", f["vswitch_port_rx_ring_dropped_packets_total"].Type);
        Assert.Equal(19, Value(f, "vswitch_port_rx_errors_total", ("port", "a")));
        Assert.Equal(23, Value(f, "vswitch_worker_busy_polls_total", ("worker", "0")));
        Assert.Equal(5, Value(f, "vswitch_port_dropped_packets_total", ("port", "a"), ("direction", "ingress"), ("reason", "security_group")));
        Assert.Equal(0, Value(f, "vswitch_port_dropped_packets_total", ("port", "a"), ("direction", "egress"), ("reason", "security_group")));
        Assert.Equal(7, Value(f, "vswitch_port_dropped_packets_total", ("port", "a"), ("direction", "egress"), ("reason", "spoofing")));
        Assert.Equal(11, Value(f, "vswitch_flow_cache_hits_total"));
        Assert.Equal(13, Value(f, "vswitch_flow_cache_misses_total"));
        Assert.Equal(1.5, Value(f, "vswitch_worker_busy_seconds_total", ("worker", "0")));
        Assert.Equal(1, Value(f, "vswitch_port_up", ("port", "a")));
    }

    [Fact]
    public async Task LabelValues_AreEscaped()
    {
        const string odd = "we\"b\\1\nx";
        await Port(odd, "memory:odd");
        var text = Scrape();
        Assert.Contains("port=\"we\\\"b\\\\1\\nx\"", text, StringComparison.Ordinal);
        var families = Exposition.Parse(text);
        Assert.Equal(odd, families["vswitch_port_up"].Samples.Single().Label("port"));
    }

    [Fact]
    public async Task PortsWithEmptyOrSharedNames_AreLabelledByIdSoSeriesStayUnique()
    {
        var first = await Port("twin", "memory:t1");
        var second = await Port("twin", "memory:t2");
        var anonymous = await Port("", "memory:anon");
        await Port("solo", "memory:solo");
        var families = Exposition.Parse(Scrape());
        Assert.Equal(
            new[] { first.ToString(), second.ToString(), anonymous.ToString(), "solo" }.Order().ToArray(),
            families["vswitch_port_up"].Samples.Select(s => s.Label("port")).Order().ToArray());
    }

    [Fact]
    public async Task PortCounters_StayMonotonic_WhenPortsComeAndGo()
    {
        var a = await Port("a", "memory:a");
        var slot = _host.Reconciler.SlotOf(a);
        Counters.Add(slot, PortCounter.RxPackets, 40);
        Counters.Drop(slot, DropReason.SecurityGroup, Direction.Ingress, 4);
        Assert.Equal(40, Value(Exposition.Parse(Scrape()), "vswitch_port_rx_packets_total", ("port", "a")));

        // Removed: every series of the port disappears.
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/ports/{a}")).Status);
        var gone = Exposition.Parse(Scrape());
        Assert.All(gone.Values.SelectMany(f => f.Samples), s => Assert.False(s.Labels.TryGetValue("port", out var p) && p == "a"));
        Assert.Empty(gone["vswitch_port_rx_packets_total"].Samples);

        // A new port in the same slot starts from zero although the worker's raw counters still hold 40 and 4.
        var b = await Port("b", "memory:b");
        Assert.Equal(slot, _host.Reconciler.SlotOf(b));
        var fresh = Exposition.Parse(Scrape());
        Assert.Equal(0, Value(fresh, "vswitch_port_rx_packets_total", ("port", "b")));
        Assert.Equal(0, Value(fresh, "vswitch_port_dropped_packets_total", ("port", "b"), ("direction", "ingress"), ("reason", "security_group")));
        Counters.Add(slot, PortCounter.RxPackets, 2);
        Assert.Equal(2, Value(Exposition.Parse(Scrape()), "vswitch_port_rx_packets_total", ("port", "b")));

        // Re-creating a port named "a" also starts it from zero.
        var a2 = await Port("a", "memory:a2");
        Assert.Equal(0, Value(Exposition.Parse(Scrape()), "vswitch_port_rx_packets_total", ("port", "a")));
        Assert.NotEqual(slot, _host.Reconciler.SlotOf(a2));
    }

    [Fact]
    public async Task RuleHits_OfANewRuleInAReusedSlot_StartFromZero()
    {
        await Port("a", "memory:a");
        var group = _host.Models.Current.SecurityGroups.Values.Single(g => g.Name == "default");
        var rule = await _client.CreateAsync("security-group-rules", "security_group_rule",
            $$$"""{"security_group_rule": {"security_group_id": "{{{group.Id}}}", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80}}""");
        var ruleId = Guid.Parse((string)rule["id"]!);
        var ruleSlot = _host.Reconciler.RuleSlot(ruleId);
        for (var i = 0; i < 9; i++)
        {
            Counters.RuleHit(ruleSlot);
        }
        Assert.Equal(9, Value(Exposition.Parse(Scrape()), "vswitch_security_group_rule_hits_total", ("rule", ruleId.ToString())));

        await _client.DeleteJson($"v2.0/security-group-rules/{ruleId}");
        Assert.DoesNotContain(ruleId.ToString(), Scrape(), StringComparison.Ordinal);
        var next = await _client.CreateAsync("security-group-rules", "security_group_rule",
            $$$"""{"security_group_rule": {"security_group_id": "{{{group.Id}}}", "direction": "ingress", "ethertype": "IPv4", "protocol": "udp", "port_range_min": 53, "port_range_max": 53}}""");
        var nextId = Guid.Parse((string)next["id"]!);
        Assert.Equal(ruleSlot, _host.Reconciler.RuleSlot(nextId));
        Assert.Equal(0, Value(Exposition.Parse(Scrape()), "vswitch_security_group_rule_hits_total", ("rule", nextId.ToString())));
    }

    [Fact]
    public async Task ConcurrentScrapes_NeverSeeACounterGoBackwards()
    {
        // Ports come and go (re-using slots whose raw counters are high) while another thread scrapes: every series
        // a scrape shows is either new (starts at or above zero) or at least what the previous scrape showed.
        var keep = await Port("keep", "memory:keep");
        var keepSlot = _host.Reconciler.SlotOf(keep);
        for (var slot = 0; slot < 8; slot++)
        {
            Counters.Add(slot, PortCounter.RxPackets, 1_000_000);
        }
        var stop = false;
        var violations = new List<string>();
        // Two scrapers, as two Prometheus replicas: each must see "keep" only rise (a scrape published out of order
        // would show a reset), and "churn" never with its slot's previous owner's counts.
        void ScrapeUntilStopped(Dictionary<string, double> last)
        {
            while (!Volatile.Read(ref stop))
            {
                var families = Exposition.Parse(Scrape());
                var now = families["vswitch_port_rx_packets_total"].Samples.ToDictionary(s => s.Label("port"), s => s.Value);
                foreach (var (port, value) in now)
                {
                    // "churn" ports are deleted and re-created under the same name: a new one may start lower.
                    if (port == "keep" && last.TryGetValue(port, out var before) && value < before)
                    {
                        lock (violations)
                        {
                            violations.Add($"{port}: {before} -> {value}");
                        }
                    }
                    if (port == "churn" && value >= 1_000_000)
                    {
                        lock (violations)
                        {
                            violations.Add($"churn saw its slot's previous owner's counts: {value}");
                        }
                    }
                }
                last.Clear();
                foreach (var (port, value) in now)
                {
                    last[port] = value;
                }
            }
        }
        var scrapers = new[] { Task.Run(() => ScrapeUntilStopped([])), Task.Run(() => ScrapeUntilStopped([])) };
        var watch = Stopwatch.StartNew();
        var rounds = 0;
        // At least 10 rounds however slow the machine is (bounded by 60 s), up to 200 while 2 s last.
        while ((rounds < 10 && watch.Elapsed < TimeSpan.FromSeconds(60)) || (watch.Elapsed < TimeSpan.FromSeconds(2) && rounds < 200))
        {
            var churn = await Port("churn", $"memory:churn{rounds}");
            await _client.DeleteJson($"v2.0/ports/{churn}");
            Counters.Add(keepSlot, PortCounter.RxPackets, 1);
            rounds++;
        }
        Volatile.Write(ref stop, true);
        await Task.WhenAll(scrapers);
        Assert.True(rounds >= 10, $"only {rounds} port create/delete rounds in 60 s");
        Assert.Empty(violations);
    }

    [Fact]
    public async Task OpenMetrics_WhenTheScraperAsksForIt()
    {
        var a = await Port("a", "memory:a");
        Counters.Add(_host.Reconciler.SlotOf(a), PortCounter.RxPackets, 3);
        // Prometheus's own Accept header (2.x) prefers OpenMetrics; curl's */* and an absent header get the text format.
        Assert.Equal(ExpositionFormat.OpenMetricsText, MetricsExporter.Negotiate(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
        Assert.Equal(ExpositionFormat.PrometheusText, MetricsExporter.Negotiate("*/*"));
        Assert.Equal(ExpositionFormat.PrometheusText, MetricsExporter.Negotiate(null));
        Assert.Equal("application/openmetrics-text; version=1.0.0; charset=utf-8", MetricsExporter.ContentType(ExpositionFormat.OpenMetricsText));

        var text = Exporter.Render(ExpositionFormat.OpenMetricsText);
        Assert.EndsWith("# EOF\n", text, StringComparison.Ordinal);
        // OpenMetrics names the counter family without _total, its samples with it.
        Assert.Contains("# TYPE vswitch_port_rx_packets counter\n", text, StringComparison.Ordinal);
        Assert.Contains("vswitch_port_rx_packets_total{port=\"a\"} 3.0\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("# EOF", Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void ProcessAndRuntimeFamilies_AreThereWithPlausibleValues()
    {
        var families = Exposition.Parse(Scrape());
        double Scalar(string name) => families[name].Samples.Single().Value;
        Assert.Equal("counter", families["process_cpu_seconds_total"].Type);
        Assert.True(Scalar("process_cpu_seconds_total") > 0);
        // /proc/self/stat's count, beside .NET's own reading of /proc/self/task (threads come and go between the two).
        Assert.Equal(System.Diagnostics.Process.GetCurrentProcess().Threads.Count, Scalar("process_num_threads"), 10.0);
        Assert.InRange(Scalar("process_working_set_bytes"), 10e6, 1e12);
        Assert.True(Scalar("process_virtual_memory_bytes") >= Scalar("process_working_set_bytes"));
        Assert.False(families.ContainsKey("process_open_handles"));
        var started = DateTimeOffset.FromUnixTimeMilliseconds((long)(Scalar("process_start_time_seconds") * 1000));
        Assert.InRange(started, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow);
        Assert.Equal(["0", "1", "2"], families["dotnet_collection_count_total"].Samples.Select(s => s.Label("generation")).Order().ToArray());
        Assert.True(Scalar("dotnet_total_memory_bytes") > 0);
    }

    [Theory]
    [InlineData("4242 (vswitchd) S 1 4242 4242 0 -1 4194560 2 0 0 0 10 5 0 0 20 0 17 0 9000 123456789 2048 18446744073709551615", 17, 123456789, 2048)]
    [InlineData("7 (a) (b c)) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 3 0 100 4096 10 1", 3, 4096, 10)]
    public void ProcStat_CountsFieldsFromTheLastParenthesis(string line, long threads, long vsize, long rss) =>
        Assert.Equal(new ProcessFamilies.ProcStat(threads, vsize, rss), ProcessFamilies.ProcStat.Parse(line));

    [Theory]
    [InlineData("")]
    [InlineData("4242 vswitchd S 1")]
    [InlineData("4242 (x) S 1 2 3")]
    public void ProcStat_Malformed_IsNull(string line) => Assert.Null(ProcessFamilies.ProcStat.Parse(line));

    [Fact]
    public async Task APortReopenedOnANewDevice_StartsItsCountersAgain_AsACounterReset()
    {
        var a = await Port("a", "memory:a");
        var slot = _host.Reconciler.SlotOf(a);
        Counters.Add(slot, PortCounter.RxPackets, 40);
        Counters.Drop(slot, DropReason.SecurityGroup, Direction.Ingress, 4);
        Assert.Equal(40, Value(Exposition.Parse(Scrape()), "vswitch_port_rx_packets_total", ("port", "a")));

        // The same port (id and name) re-opened on another device: its counters restart, and so do its series.
        var (status, _) = await _client.PutJson($"v2.0/ports/{a}", """{"port": {"binding:profile": {"device": "memory:a-new"}}}""");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        var reopened = _host.Reconciler.SlotOf(a);
        var after = Exposition.Parse(Scrape());
        Assert.Equal(0, Value(after, "vswitch_port_rx_packets_total", ("port", "a")));
        Assert.Equal(0, Value(after, "vswitch_port_dropped_packets_total", ("port", "a"), ("direction", "ingress"), ("reason", "security_group")));
        Counters.Add(reopened, PortCounter.RxPackets, 2);
        Assert.Equal(2, Value(Exposition.Parse(Scrape()), "vswitch_port_rx_packets_total", ("port", "a")));
    }

    [Fact]
    public async Task APortNamedAnotherPortsId_GetsItsOwnIdAsLabel()
    {
        var anonymous = await Port("", "memory:anon");
        var impostor = await Port(anonymous.ToString(), "memory:impostor");
        var families = Exposition.Parse(Scrape());
        Assert.Equal(new[] { anonymous.ToString(), impostor.ToString() }.Order().ToArray(),
            families["vswitch_port_up"].Samples.Select(s => s.Label("port")).Order().ToArray());

        // Removing one leaves the other's series in place.
        await _client.DeleteJson($"v2.0/ports/{impostor}");
        Assert.Equal(anonymous.ToString(), Exposition.Parse(Scrape())["vswitch_port_up"].Samples.Single().Label("port"));
    }

    [Theory]
    [InlineData("application/openmetrics-text;q=0, text/plain", false)]
    [InlineData("text/plain;version=0.0.4;q=1, application/openmetrics-text;version=1.0.0;q=0.5", false)]
    [InlineData("application/openmetrics-text; version=1.0.0", true)]
    [InlineData("not a media type at all ;;;", false)]
    public void Negotiate_WeighsTheAcceptHeader(string accept, bool openMetrics) =>
        Assert.Equal(openMetrics ? ExpositionFormat.OpenMetricsText : ExpositionFormat.PrometheusText, MetricsExporter.Negotiate(accept));

    [Fact]
    public async Task AScrapeThatCannotReadTheCounters_Fails_AndTheNextOneWorks()
    {
        var fail = true;
        var exporter = new MetricsExporter(() => fail ? throw new InvalidOperationException("the reconciler is gone") : SwitchStats.Collect(_host.Reconciler));
        using var body = new MemoryStream();
        await Assert.ThrowsAsync<InvalidOperationException>(() => exporter.WriteAsync(body, ExpositionFormat.PrometheusText, CancellationToken.None));
        Assert.Equal(0, body.Length);
        fail = false;
        await exporter.WriteAsync(body, ExpositionFormat.PrometheusText, CancellationToken.None);
        Assert.Contains("vswitch_conntrack_entries", System.Text.Encoding.UTF8.GetString(body.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AScraperThatDoesNotRead_DoesNotHoldUpTheOthers()
    {
        await Port("a", "memory:a");
        var stalled = new StalledStream();
        var slow = Exporter.WriteAsync(stalled, ExpositionFormat.PrometheusText, CancellationToken.None);
        Assert.True(await Task.WhenAny(stalled.Written, Task.Delay(TimeSpan.FromSeconds(30))) == stalled.Written, "the first scrape never wrote");
        // The first scrape's body is stuck in its client: another scrape is answered meanwhile.
        var other = Task.Run(Scrape);
        Assert.True(await Task.WhenAny(other, Task.Delay(TimeSpan.FromSeconds(30))) == other, "a second scrape waited for a stalled client");
        Assert.Contains("vswitch_port_up{port=\"a\"} 1", await other, StringComparison.Ordinal);
        stalled.Release();
        await slow;
    }

    /// <summary>A response body whose client stops reading: its first write waits until released.</summary>
    private sealed class StalledStream : Stream
    {
        private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Written => _written.Task;

        public void Release() => _released.TrySetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _written.TrySetResult();
            await _released.Task.WaitAsync(cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
