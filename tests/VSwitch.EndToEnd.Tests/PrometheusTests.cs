using System.Text.Json.Nodes;

namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// A lab for the metrics: a VM in the project's default group, and an outsider (in a group of its own) whose pings
/// the default group's ingress rules drop.
/// </summary>
public sealed class MetricsLab : IDisposable
{
    internal Lab Lab { get; } = new();

    internal Lab.Vm Member { get; }

    internal Lab.Vm Outsider { get; }

    public MetricsLab()
    {
        Root.Require();
        Lab.Network("n1");
        Lab.Group("outside", stateful: true);
        Member = Lab.SecuredVm("member", "n1", 4, null);
        Outsider = Lab.SecuredVm("outs", "n1", 5, ["outside"]);
        Lab.Start(2, Member, Outsider);
    }

    public void Dispose() => Lab.Dispose();
}

/// <summary>
/// The daemon's <c>/metrics</c> read by the real tools: <c>promtool check metrics</c> on the live endpoint, and a real
/// Prometheus server that scrapes it every second and sees security-group drops rise for the right port and direction.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class PrometheusTests(MetricsLab fixture) : IClassFixture<MetricsLab>
{
    private const string MemberIngressDrops = """vswitch_port_dropped_packets_total{reason="security_group",port="member",direction="ingress"}""";

    [Fact]
    public void LiveEndpoint_PassesPromtoolCheckMetrics()
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("promtool is missing: run scripts/install-deps.sh (Debian package 'prometheus')");
        var daemon = fixture.Lab.Daemon!;
        var file = Path.Combine(Path.GetTempPath(), $"{fixture.Lab.Prefix}-metrics.txt");
        try
        {
            File.WriteAllText(file, daemon.Metrics());
            var result = Shell.Run($"{promtool} check metrics < {file}");
            Assert.True(result.Ok && result.Stdout.Trim().Length == 0 && result.Stderr.Trim().Length == 0, $"{result}\n---\n{File.ReadAllText(file)}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void LiveEndpoint_AnswersOpenMetricsWhenAsked_TheTextFormatOtherwise()
    {
        var url = $"http://127.0.0.1:{fixture.Lab.Daemon!.MetricsPort}/metrics";
        // Prometheus's own Accept header.
        const string accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        var open = Shell.Run($"curl -sf --max-time 5 -D - -H 'Accept: {accept}' {url}", TimeSpan.FromSeconds(10));
        Assert.True(open.Ok, open.ToString());
        Assert.Contains("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8", open.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("# EOF\n", open.Stdout, StringComparison.Ordinal);
        Assert.Contains("# TYPE vswitch_port_dropped_packets counter", open.Stdout, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total ", open.Stdout, StringComparison.Ordinal);

        var text = Shell.Run($"curl -sf --max-time 5 -D - {url}", TimeSpan.FromSeconds(10));
        Assert.True(text.Ok, text.ToString());
        Assert.Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8", text.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("# EOF", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("# TYPE vswitch_port_dropped_packets_total counter", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Prometheus_SeesSecurityGroupDropsRise_ForTheRightPortAndDirection()
    {
        var daemon = fixture.Lab.Daemon!;
        using var prometheus = PrometheusServer.Start(daemon.MetricsPort);

        // 1. The target is up and the series exists (the first scrapes land within a few seconds).
        Assert.True(Shell.Eventually(() => prometheus.Scalar("""up{job="vswitch"}""") == 1 && prometheus.Scalar(MemberIngressDrops) is not null,
            TimeSpan.FromSeconds(20)), $"prometheus never scraped the daemon:\n{prometheus.Log}\n{daemon.Log}");
        var before = prometheus.Scalar(MemberIngressDrops)!.Value;
        var outsiderBefore = prometheus.Scalar("""vswitch_port_dropped_packets_total{reason="security_group",port="outs",direction="ingress"}""")!.Value;

        // 2. The outsider pings the member: its echo requests leave the outsider (egress allowed) and are dropped on
        //    the member's ingress because the default group only admits its own members.
        var ping = Shell.Run(fixture.Outsider.Exec($"ping -c 3 -i 0.2 -W 1 {fixture.Member.Ipv4}"), TimeSpan.FromSeconds(15));
        Assert.False(ping.Ok, $"the member answered an outsider's ping:\n{ping}");

        // 3. Prometheus's own query API shows the counter rising by the three requests.
        double? after = null;
        Assert.True(Shell.Eventually(() => (after = prometheus.Scalar(MemberIngressDrops)) >= before + 3, TimeSpan.FromSeconds(20)),
            $"{MemberIngressDrops}: {before} -> {after}\n{prometheus.Log}");
        Assert.True(prometheus.Scalar($"increase({MemberIngressDrops}[1m])") > 0);

        // 4. Not the other way round: the member's egress and the outsider's ingress did not count security-group drops.
        Assert.Equal(0, prometheus.Scalar("""vswitch_port_dropped_packets_total{reason="security_group",port="member",direction="egress"}"""));
        Assert.Equal(outsiderBefore, prometheus.Scalar("""vswitch_port_dropped_packets_total{reason="security_group",port="outs",direction="ingress"}"""));
        Assert.True(prometheus.Scalar("""vswitch_port_rx_packets_total{port="outs"}""") >= 3);

        // 5. Every family the contract names is in Prometheus, with its labels.
        foreach (var family in (string[])["vswitch_port_rx_bytes_total", "vswitch_port_tx_packets_total", "vswitch_port_tx_bytes_total",
            "vswitch_security_group_rule_hits_total", "vswitch_conntrack_entries", "vswitch_conntrack_created_total",
            "vswitch_flow_cache_hits_total", "vswitch_flow_cache_misses_total", "vswitch_worker_busy_seconds_total",
            // The process and runtime families (Prometheus asks for OpenMetrics, so this is also that format read by it).
            "process_cpu_seconds_total", "process_working_set_bytes", "dotnet_collection_count_total"])
        {
            Assert.True(prometheus.Query(family).Count > 0, $"{family} is not in Prometheus");
        }
        Assert.Equal(2, prometheus.Query("vswitch_worker_busy_seconds_total").Count);
        Assert.All(prometheus.Query("vswitch_security_group_rule_hits_total"), r => Assert.NotNull(r.Metric["security_group"]));

        // 6. Every query of docs/grafana-dashboard.json is valid PromQL and finds data.
        var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "grafana-dashboard.json")))!;
        var expressions = dashboard["panels"]!.AsArray().Where(p => p!["targets"] is not null)
            .SelectMany(p => p!["targets"]!.AsArray().Select(t => (string)t!["expr"]!)).ToList();
        Assert.True(expressions.Count >= 10);
        foreach (var expr in expressions)
        {
            var promql = expr.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$port", ".*", StringComparison.Ordinal);
            Assert.True(Shell.Eventually(() => prometheus.Query(promql).Count > 0, TimeSpan.FromSeconds(5)), $"dashboard query has no data: {promql}");
        }
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VSwitch.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("VSwitch.sln not found above the test directory");
    }
}
