using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using VSwitch.Daemon.Hosting;
using VSwitch.Daemon.Metrics;
using static VSwitch.Api.Tests.StatsAndFlowsApiTests;

namespace VSwitch.Api.Tests;

/// <summary>
/// Security-group logging end to end in-process: a network log made through the API, frames injected into memory ports
/// and forwarded or dropped by the running worker, and the lines the writer appends to <c>security-group.log</c>.
/// </summary>
public sealed class SecurityGroupLogWriterTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private string _a = "", _b = "", _c = "", _closed = "", _default = "";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(startWorkers: true);
        _client = _host.Client();
        var net = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        _closed = (string)(await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "closed"}}"""))["id"]!;
        async Task<string> Port(string name, int host, string? group)
        {
            var body = new JsonObject
            {
                ["name"] = name,
                ["network_id"] = net,
                ["mac_address"] = $"fa:16:3e:00:00:{host:x2}",
                ["fixed_ips"] = new JsonArray(new JsonObject { ["ip_address"] = $"198.18.0.{host}" }),
                ["binding:profile"] = new JsonObject { ["device"] = $"memory:{name}" },
            };
            if (group is not null)
            {
                body["security_groups"] = new JsonArray(group);
            }
            return (string)(await _client.CreateAsync("ports", "port", new JsonObject { ["port"] = body }.ToJsonString()))["id"]!;
        }
        _a = await Port("a", 10, null);
        _b = await Port("b", 11, null);
        _c = await Port("c", 12, _closed);
        _default = (string)_host.Models.Current.DefaultGroupOf(Control.Model.ProjectId.Parse("admin"))!.Id.ToString();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private SecurityGroupLogWriter Writer(int rate = 100, int burst = 25) => new(
        _host.Reconciler, Path.Combine(_host.StateDir, SecurityGroupLogWriter.FileName), rate, burst, NullLogger<SecurityGroupLogWriter>.Instance);

    /// <summary>Drains until <paramref name="count"/> lines are in the file (the worker runs on its own thread).</summary>
    private static List<JsonObject> ReadLines(SecurityGroupLogWriter writer, int count)
    {
        var watch = Stopwatch.StartNew();
        List<JsonObject> lines = [];
        while (watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            writer.DrainOnce();
            lines = File.Exists(writer.Path)
                ? File.ReadAllLines(writer.Path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList()
                : [];
            if (lines.Count >= count)
            {
                break;
            }
            Thread.Sleep(20); // poll interval: the workers fill their rings on their own threads
        }
        return lines;
    }

    [Fact]
    public async Task AllowedAndDeniedTraffic_WritesAcceptAndDropLines()
    {
        var log = await _client.CreateAsync("log/logs", "log", """{"log": {"name": "all", "resource_type": "security_group"}}""");
        var logId = (string)log["id"]!;
        var writer = Writer();

        _host.MemoryPorts["memory:a"].Inject(Udp(10, 11, 40000, 5353));
        Assert.True(_host.MemoryPorts["memory:b"].TryTake(out _, TimeSpan.FromSeconds(10)), "b did not receive a's packet");
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 11, 40000, 5353));
        Assert.True(_host.MemoryPorts["memory:b"].TryTake(out _, TimeSpan.FromSeconds(10)));
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 12, 40001, 5353));

        var lines = ReadLines(writer, 3);
        Assert.Equal(3, lines.Count);
        var egress = lines.Single(l => (string?)l["vm_port"] == _a);
        Assert.Equal(("ACCEPT", "egress", "IPv4", "udp", "198.18.0.10", "198.18.0.11", 40000, 5353, _default),
            ((string?)egress["action"], (string?)egress["direction"], (string?)egress["ethertype"], (string?)egress["protocol"], (string?)egress["src"],
             (string?)egress["dst"], (int)egress["src_port"]!, (int)egress["dst_port"]!, (string?)egress["security_group_id"]));
        Assert.Equal([logId], egress["log_resource_ids"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("admin", (string?)egress["project_id"]);
        var rule = _host.Models.Current.FindRule(Guid.Parse((string)egress["rule_id"]!))!;
        Assert.Equal(Control.Model.RuleDirection.Egress, rule.Direction);
        var ingress = lines.Single(l => (string?)l["vm_port"] == _b);
        Assert.Equal(("ACCEPT", "ingress", _default), ((string?)ingress["action"], (string?)ingress["direction"], (string?)ingress["security_group_id"]));
        var drop = lines.Single(l => (string?)l["vm_port"] == _c);
        Assert.Equal(("DROP", "ingress", "security_group", "c"), ((string?)drop["action"], (string?)drop["direction"], (string?)drop["reason"], (string?)drop["port_name"]));
        Assert.False(drop.ContainsKey("rule_id"));
        Assert.True(DateTimeOffset.TryParse((string)drop["time"]!, out var time) && Math.Abs((DateTimeOffset.UtcNow - time).TotalMinutes) < 1);
    }

    [Fact]
    public async Task EventFilterAndScope_AreHonoured_AndRemovedFileIsRecreated()
    {
        // DROP only, and only for group "closed" (port c): a's and b's ACCEPTs are not logged.
        await _client.CreateAsync("log/logs", "log", $$$"""{"log": {"resource_type": "security_group", "resource_id": "{{{_closed}}}", "event": "DROP"}}""");
        var writer = Writer();
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 11, 40010, 5353));
        Assert.True(_host.MemoryPorts["memory:b"].TryTake(out _, TimeSpan.FromSeconds(10)));
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 12, 40011, 5353));
        var lines = ReadLines(writer, 1);
        Assert.Equal(_c, (string?)Assert.Single(lines)["vm_port"]);

        File.Delete(writer.Path);
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 12, 40012, 5353));
        lines = ReadLines(writer, 1);
        Assert.Equal(40012, (int)Assert.Single(lines)["src_port"]!);
    }

    [Fact]
    public async Task Flood_IsRateLimited_SuppressedAreCounted_AndExported()
    {
        await _client.CreateAsync("log/logs", "log", """{"log": {"resource_type": "security_group", "event": "DROP"}}""");
        var writer = Writer(rate: 1, burst: 3);
        for (ushort i = 0; i < 20; i++)
        {
            _host.MemoryPorts["memory:a"].Inject(Udp(10, 12, (ushort)(41000 + i), 5353));
        }
        var watch = Stopwatch.StartNew();
        while (writer.Written + writer.Suppressed < 20 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            writer.DrainOnce();
            Thread.Sleep(20); // poll interval: the workers fill their rings on their own threads
        }
        // Burst 3, plus at most a token or two refilled while the 20 frames were forwarded.
        Assert.InRange(writer.Written, 3, 5);
        Assert.Equal(20, writer.Written + writer.Suppressed);
        var metrics = new MetricsExporter(_host.Reconciler, writer).Render();
        Assert.Contains($"vswitch_security_group_log_events_suppressed_total {writer.Suppressed}\n", metrics);
        Assert.Contains("vswitch_security_group_log_events_dropped_total 0\n", metrics);
    }

    [Fact]
    public async Task DisabledLog_WritesNothing()
    {
        var log = await _client.CreateAsync("log/logs", "log", """{"log": {"resource_type": "security_group", "enabled": false}}""");
        var writer = Writer();
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 12, 40020, 5353));
        var deadline = Stopwatch.StartNew();
        while (_host.Datapath.ReadDrop(_host.Reconciler.SlotOf(Guid.Parse(_c)), Dataplane.Pipeline.DropReason.SecurityGroup, Dataplane.Pipeline.Direction.Ingress) == 0
            && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }
        Assert.Equal(0, writer.DrainOnce());
        Assert.False(File.Exists(writer.Path));
        Assert.NotNull(log);
    }
}
