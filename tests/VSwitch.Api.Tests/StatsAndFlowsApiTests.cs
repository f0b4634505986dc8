using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using VSwitch.Daemon.Metrics;

namespace VSwitch.Api.Tests;

/// <summary>
/// <c>GET /v2.0/vswitch/stats</c> and <c>GET /v2.0/vswitch/flows</c> over a running data path: frames injected into
/// memory ports are forwarded or dropped by the real pipeline, and the answers name ports, rules and groups by id.
/// </summary>
public sealed class StatsAndFlowsApiTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] s_reasons = ["security_group", "spoofing", "conntrack_invalid", "conntrack_full", "malformed", "port_down", "tx_failed", "fragment", "vlan", "mtu", "no_route", "ttl_exceeded", "nat_exhausted"];

    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private string _net = "";
    private string _a = "";
    private string _b = "";
    private string _c = "";
    private string _closed = "";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(startWorkers: true);
        _client = _host.Client();
        _net = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        _closed = (string)(await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "closed"}}"""))["id"]!;
        _a = await Port("a", 10, null);
        _b = await Port("b", 11, null);
        _c = await Port("c", 12, _closed);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<string> Port(string name, int host, string? group)
    {
        var body = new JsonObject
        {
            ["name"] = name,
            ["network_id"] = _net,
            ["mac_address"] = Mac(host),
            ["fixed_ips"] = new JsonArray(new JsonObject { ["ip_address"] = $"198.18.0.{host}" }),
            ["binding:profile"] = new JsonObject { ["device"] = $"memory:{name}" },
        };
        if (group is not null)
        {
            body["security_groups"] = new JsonArray(group);
        }
        var port = await _client.CreateAsync("ports", "port", new JsonObject { ["port"] = body }.ToJsonString());
        Assert.Equal("ACTIVE", (string)port["status"]!);
        return (string)port["id"]!;
    }

    private static string Mac(int host) => $"fa:16:3e:00:00:{host:x2}";

    /// <summary>An IPv4 UDP frame from host <paramref name="from"/> to host <paramref name="to"/> (198.18.0.HOST, MAC fa:16:3e:00:00:HOST).</summary>
    internal static byte[] Udp(int from, int to, ushort sport, ushort dport)
    {
        var frame = new byte[14 + 20 + 8 + 16];
        Convert.FromHexString(Mac(to).Replace(":", "", StringComparison.Ordinal)).CopyTo(frame, 0);
        Convert.FromHexString(Mac(from).Replace(":", "", StringComparison.Ordinal)).CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(frame.Length - 14));
        ip[8] = 64;
        ip[9] = 17;
        IPAddress.Parse($"198.18.0.{from}").TryWriteBytes(ip.Slice(12, 4), out _);
        IPAddress.Parse($"198.18.0.{to}").TryWriteBytes(ip.Slice(16, 4), out _);
        ushort sum = 0;
        uint acc = 0;
        for (var i = 0; i < 20; i += 2)
        {
            acc += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        }
        while (acc > 0xFFFF)
        {
            acc = (acc & 0xFFFF) + (acc >> 16);
        }
        sum = (ushort)~acc;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], sum);
        var udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
        return frame;
    }

    private async Task<JsonObject> Stats(string query = "")
    {
        var (status, body) = await _client.GetJson($"v2.0/vswitch/stats{query}");
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        return body!.AsObject();
    }

    private static JsonObject PortOf(JsonObject stats, string id) =>
        stats["port_stats"]!.AsArray().Single(p => (string)p!["port_id"]! == id)!.AsObject();

    private static async Task<T> Eventually<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var watch = Stopwatch.StartNew();
        var value = await read();
        while (!done(value) && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
            value = await read();
        }
        return value;
    }

    /// <summary>a sends one allowed UDP packet to b and one to c, whose only group allows no ingress.</summary>
    private async Task SendTraffic()
    {
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 11, 40000, 5353));
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 12, 40001, 5353));
        Assert.True(_host.MemoryPorts["memory:b"].TryTake(out _, TimeSpan.FromSeconds(10)), "b did not receive a's packet");
        var stats = await Eventually(() => Stats(), s => (long)PortOf(s, _c)["drops"]!["ingress"]!["security_group"]! == 1);
        Assert.Equal(1L, (long)PortOf(stats, _c)["drops"]!["ingress"]!["security_group"]!);
    }

    [Fact]
    public async Task Stats_HaveTheContractShape_AndCountForwardedAndDroppedPackets()
    {
        await SendTraffic();
        var stats = await Stats();

        Assert.Equal(["conntrack", "flow_cache", "port_stats", "rule_stats", "workers"], stats.Select(p => p.Key).Order().ToArray());
        var ports = stats["port_stats"]!.AsArray();
        Assert.Equal(["a", "b", "c"], ports.Select(p => (string)p!["name"]!).ToArray());
        foreach (var port in ports)
        {
            Assert.Equal(["conntrack_entries", "conntrack_limit", "drops", "name", "port_id", "rx_bytes", "rx_errors", "rx_packets", "rx_ring_drops", "status", "tx_bytes", "tx_packets"], port!.AsObject().Select(p => p.Key).Order().ToArray());
            Assert.Equal("ACTIVE", (string)port["status"]!);
            foreach (var direction in (string[])["ingress", "egress"])
            {
                Assert.Equal(s_reasons.Order().ToArray(), port["drops"]![direction]!.AsObject().Select(p => p.Key).Order().ToArray());
            }
        }
        var a = PortOf(stats, _a);
        Assert.Equal(2L, (long)a["rx_packets"]!);
        Assert.Equal(2L * 58, (long)a["rx_bytes"]!);
        Assert.Equal(0L, (long)a["tx_packets"]!);
        var b = PortOf(stats, _b);
        Assert.Equal(1L, (long)b["tx_packets"]!);
        Assert.Equal(58L, (long)b["tx_bytes"]!);
        Assert.Equal(0L, (long)b["drops"]!["ingress"]!["security_group"]!);
        var c = PortOf(stats, _c);
        Assert.Equal(0L, (long)c["tx_packets"]!);
        Assert.Equal(0L, (long)c["drops"]!["egress"]!["security_group"]!);

        Assert.Equal(["created", "early_drops", "entries", "max_entries"], stats["conntrack"]!.AsObject().Select(p => p.Key).Order().ToArray());
        Assert.True((long)stats["conntrack"]!["entries"]! >= 1);
        Assert.True((long)stats["conntrack"]!["created"]! >= 1);
        Assert.True((long)stats["conntrack"]!["max_entries"]! > 0);
        Assert.Equal(["hits", "misses"], stats["flow_cache"]!.AsObject().Select(p => p.Key).Order().ToArray());
        Assert.True((long)stats["flow_cache"]!["hits"]! + (long)stats["flow_cache"]!["misses"]! > 0);
        var worker = stats["workers"]!.AsArray().Single()!;
        Assert.Equal(["busy_seconds", "cpu", "id", "packets"], worker.AsObject().Select(p => p.Key).Order().ToArray());
        Assert.Equal(0, (int)worker["id"]!);
        Assert.True((long)worker["packets"]! >= 2);
        Assert.True((double)worker["busy_seconds"]! >= 0);
        var rules = stats["rule_stats"]!.AsArray();
        Assert.NotEmpty(rules);
        foreach (var rule in rules)
        {
            Assert.Equal(["hits", "rule_id", "security_group_id"], rule!.AsObject().Select(p => p.Key).Order().ToArray());
        }
        // a's forwarded packet to b was admitted by a rule (a's egress rule of the default group, or b's ingress one).
        Assert.True(rules.Sum(r => (long)r!["hits"]!) >= 1);
    }

    [Fact]
    public async Task Stats_AgreeWithMetrics()
    {
        await SendTraffic();
        var stats = await Stats();
        var metrics = new MetricsExporter(_host.Reconciler).Render();
        output.WriteLine(metrics);
        Assert.Contains($"vswitch_port_rx_packets_total{{port=\"a\"}} {(long)PortOf(stats, _a)["rx_packets"]!}\n", metrics, StringComparison.Ordinal);
        Assert.Contains("vswitch_port_dropped_packets_total{port=\"c\",direction=\"ingress\",reason=\"security_group\"} 1\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APortsConntrackLimit_RefusesItsNextConnection_CountedInStatsAndMetrics()
    {
        var set = await _client.PutJson($"v2.0/ports/{_a}", """{"port": {"binding:profile": {"device": "memory:a", "conntrack_limit": 2}}}""");
        Assert.Equal(HttpStatusCode.OK, set.Status);
        for (ushort sport = 41000; sport < 41003; sport++)
        {
            _host.MemoryPorts["memory:a"].Inject(Udp(10, 11, sport, 5353));
        }
        Assert.True(_host.MemoryPorts["memory:b"].TryTake(out _, TimeSpan.FromSeconds(10)));
        Assert.True(_host.MemoryPorts["memory:b"].TryTake(out _, TimeSpan.FromSeconds(10)));
        var stats = await Eventually(() => Stats(), s => (long)PortOf(s, _a)["drops"]!["egress"]!["conntrack_full"]! == 1);
        var a = PortOf(stats, _a);
        Assert.Equal(1L, (long)a["drops"]!["egress"]!["conntrack_full"]!);
        Assert.Equal((2L, 2L), ((long)a["conntrack_entries"]!, (long)a["conntrack_limit"]!));
        Assert.Equal((2L, 0L), ((long)PortOf(stats, _b)["conntrack_entries"]!, (long)PortOf(stats, _b)["conntrack_limit"]!));
        Assert.False(_host.MemoryPorts["memory:b"].TryTake(out _, TimeSpan.FromMilliseconds(200)), "the third connection passed");

        var metrics = new MetricsExporter(_host.Reconciler).Render();
        Assert.Contains("vswitch_port_conntrack_entries{port=\"a\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("vswitch_port_conntrack_limit{port=\"a\"} 2\n", metrics, StringComparison.Ordinal);
        Assert.Contains("vswitch_port_dropped_packets_total{port=\"a\",direction=\"egress\",reason=\"conntrack_full\"} 1\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_ForOnePort_AndErrors()
    {
        await SendTraffic();
        var one = await Stats($"?port_id={_c}");
        Assert.Equal(_c, (string)one["port_stats"]!.AsArray().Single()!["port_id"]!);
        Assert.NotNull(one["conntrack"]);

        // A port without a device is listed, DOWN, with zero counters.
        var idle = (string)(await _client.CreateAsync("ports", "port", $$$"""{"port": {"name": "idle", "network_id": "{{{_net}}}"}}"""))["id"]!;
        var idleStats = (await Stats($"?port_id={idle}"))["port_stats"]!.AsArray().Single()!;
        Assert.Equal("DOWN", (string)idleStats["status"]!);
        Assert.Equal(0L, (long)idleStats["rx_packets"]!);

        Http.AssertError(await _client.GetJson($"v2.0/vswitch/stats?port_id={Guid.NewGuid()}"), HttpStatusCode.NotFound, "PortNotFound");
        Http.AssertError(await _client.GetJson("v2.0/vswitch/stats?port_id=web"), HttpStatusCode.NotFound, "PortNotFound");
    }

    [Fact]
    public async Task Neighbors_NoneLearned_IsAnEmptyList()
    {
        var (status, body) = await _client.GetJson("v2.0/vswitch/neighbors");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(body!["neighbors"]!.AsArray());
    }

    [Fact]
    public async Task Flows_ListTheConnection_WithIdsOfPortsRuleAndGroup()
    {
        await SendTraffic();
        var (status, body) = await _client.GetJson("v2.0/vswitch/flows");
        Assert.Equal(HttpStatusCode.OK, status);
        var flow = body!["flows"]!.AsArray().Single()!.AsObject();
        Assert.Equal(
            ["age_seconds", "bytes_orig", "bytes_reply", "dst", "dst_port", "in_port_id", "kind", "network_id", "out_port_id", "packets_orig", "packets_reply",
             "protocol", "rule_id", "security_group_id", "snat_inside", "src", "src_port", "state", "zone"],
            flow.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("connection", (string)flow["kind"]!);
        Assert.Null(flow["snat_inside"]);
        Assert.Equal(_host.Reconciler.NetworkIndex(Guid.Parse(_net)), (int)flow["zone"]!);
        Assert.Equal(_net, (string)flow["network_id"]!);
        Assert.Equal("udp", (string)flow["protocol"]!);
        Assert.Equal("198.18.0.10", (string)flow["src"]!);
        Assert.Equal("198.18.0.11", (string)flow["dst"]!);
        Assert.Equal(40000, (int)flow["src_port"]!);
        Assert.Equal(5353, (int)flow["dst_port"]!);
        Assert.Equal("UNREPLIED", (string)flow["state"]!);
        Assert.InRange((double)flow["age_seconds"]!, 0, 60);
        Assert.Equal(1L, (long)flow["packets_orig"]!);
        Assert.Equal(0L, (long)flow["packets_reply"]!);
        Assert.Equal(0L, (long)flow["bytes_reply"]!);
        Assert.Equal(_a, (string)flow["in_port_id"]!);
        Assert.Equal(_b, (string)flow["out_port_id"]!);
        var group = _host.Models.Current.SecurityGroups.Values.Single(g => g.Name == "default");
        Assert.Equal(group.Id.ToString(), (string)flow["security_group_id"]!);
        Assert.Contains((string)flow["rule_id"]!, group.Rules.Select(r => r.Id.ToString()));
    }

    [Fact]
    public async Task Flows_Fields_KeepOnlyThoseAttributes()
    {
        await SendTraffic();

        var some = (await _client.GetJson("v2.0/vswitch/flows?fields=src,dst_port&fields=packets_orig")).Body!["flows"]!.AsArray().Single()!.AsObject();
        var none = (await _client.GetJson("v2.0/vswitch/flows?fields=bogus")).Body!["flows"]!.AsArray().Single()!.AsObject();

        Assert.Equal(["dst_port", "packets_orig", "src"], some.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(("198.18.0.10", 5353, 1L), ((string)some["src"]!, (int)some["dst_port"]!, (long)some["packets_orig"]!));
        Assert.Empty(none);
    }

    [Fact]
    public async Task Flows_ActiveWithin_ListsOnlyConnectionsWithARecentPacket()
    {
        await SendTraffic();
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 11, 40002, 5353));
        Assert.True(_host.MemoryPorts["memory:b"].TryTake(out _, TimeSpan.FromSeconds(10)));
        await Eventually(async () => (await _client.GetJson("v2.0/vswitch/flows")).Body!["flows"]!.AsArray().Count, n => n == 2);

        var active = (await _client.GetJson("v2.0/vswitch/flows?active_within=1")).Body!["flows"]!.AsArray();
        Assert.Equal(40002, (int)Assert.Single(active)!["src_port"]!);
        Assert.Equal(2, (await _client.GetJson("v2.0/vswitch/flows?active_within=60")).Body!["flows"]!.AsArray().Count);
    }

    [Fact]
    public async Task Flows_FilterByPort_Limit_AndErrors()
    {
        await SendTraffic();
        _host.MemoryPorts["memory:a"].Inject(Udp(10, 11, 40002, 5353));
        Assert.True(_host.MemoryPorts["memory:b"].TryTake(out _, TimeSpan.FromSeconds(10)));
        await Eventually(async () => (await _client.GetJson("v2.0/vswitch/flows")).Body!["flows"]!.AsArray().Count, n => n == 2);

        Assert.Equal(2, (await _client.GetJson($"v2.0/vswitch/flows?port_id={_a}")).Body!["flows"]!.AsArray().Count);
        Assert.Equal(2, (await _client.GetJson($"v2.0/vswitch/flows?port_id={_b}")).Body!["flows"]!.AsArray().Count);
        Assert.Empty((await _client.GetJson($"v2.0/vswitch/flows?port_id={_c}")).Body!["flows"]!.AsArray());
        Assert.Single((await _client.GetJson($"v2.0/vswitch/flows?port_id={_a}&limit=1")).Body!["flows"]!.AsArray());

        Http.AssertError(await _client.GetJson("v2.0/vswitch/flows?limit=0"), HttpStatusCode.BadRequest);
        Http.AssertError(await _client.GetJson("v2.0/vswitch/flows?active_within=0"), HttpStatusCode.BadRequest);
        Http.AssertError(await _client.GetJson("v2.0/vswitch/flows?active_within=1.5"), HttpStatusCode.BadRequest);
        Http.AssertError(await _client.GetJson("v2.0/vswitch/flows?limit=ten"), HttpStatusCode.BadRequest);
        Http.AssertError(await _client.GetJson($"v2.0/vswitch/flows?port_id={Guid.NewGuid()}"), HttpStatusCode.NotFound, "PortNotFound");
    }

    [Fact]
    public async Task Endpoints_NeedTheTokenOnTcp()
    {
        using var anonymous = _host.TcpClient(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetJson("v2.0/vswitch/stats")).Status);
        using var authorised = _host.TcpClient(ApiHost.Token);
        Assert.Equal(HttpStatusCode.OK, (await authorised.GetJson("v2.0/vswitch/flows")).Status);
    }
}
