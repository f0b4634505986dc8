using System.Net;
using System.Text.Json.Nodes;

namespace VSwitch.Api.Tests;

/// <summary><c>POST /v2.0/vswitch/trace</c>: a readable packet in, the data path's decisions out, rules named by id.</summary>
public sealed class TraceApiTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private string _a = "";
    private string _rule = "";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _client = _host.Client();
        var net = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        var group = (string)(await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "www"}}"""))["id"]!;
        _rule = (string)(await _client.CreateAsync("security-group-rules", "security_group_rule",
            $$$"""{"security_group_rule": {"security_group_id": "{{{group}}}", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80}}"""))["id"]!;
        _a = (string)(await _client.CreateAsync("ports", "port",
            $$$"""{"port": {"name": "a", "network_id": "{{{net}}}", "mac_address": "fa:16:3e:00:00:01", "fixed_ips": [{"ip_address": "198.18.0.1"}], "binding:profile": {"device": "memory:a"} } }"""))["id"]!;
        await _client.CreateAsync("ports", "port",
            $$$"""{"port": {"name": "b", "network_id": "{{{net}}}", "mac_address": "fa:16:3e:00:00:02", "fixed_ips": [{"ip_address": "198.18.0.2"}], "security_groups": ["{{{group}}}"], "binding:profile": {"device": "memory:b"} } }""");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private Task<(HttpStatusCode Status, JsonNode? Body)> Trace(string packet) =>
        _client.PostJson("/v2.0/vswitch/trace", new JsonObject { ["port_id"] = _a, ["packet"] = packet }.ToJsonString());

    [Fact]
    public async Task Trace_AllowedPacket_NamesTheIngressRule()
    {
        var (status, body) = await Trace("tcp 198.18.0.1:40000 > 198.18.0.2:80 syn");
        Assert.Equal(HttpStatusCode.OK, status);
        var trace = body!["trace"]!;
        Assert.Equal("allowed", (string)trace["verdict"]!);
        Assert.Contains(trace["steps"]!.AsArray(), s => (string?)s!["stage"] == "ingress" && (string?)s["rule_id"] == _rule);
    }

    [Fact]
    public async Task Trace_DeniedPacket_SaysWhy()
    {
        var (status, body) = await Trace("tcp 198.18.0.1:40000 > 198.18.0.2:22");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("dropped", (string)body!["trace"]!["verdict"]!);
        Assert.Equal("security_group", (string)body["trace"]!["reason"]!);
    }

    [Fact]
    public async Task Trace_SpoofedSource_IsDroppedAsSpoofing()
    {
        var (_, body) = await Trace("udp 198.18.0.99:5000 > 198.18.0.2:80");
        Assert.Equal("spoofing", (string)body!["trace"]!["reason"]!);
    }

    [Fact]
    public async Task Trace_Fragments_AreExplained_LaterOnesByTheirFirstFragmentInTraffic()
    {
        var (_, first) = await Trace("tcp 198.18.0.1:40000 > 198.18.0.2:80 syn frag-id 9");
        Assert.Equal("allowed", (string)first!["trace"]!["verdict"]!);
        Assert.Contains(first["trace"]!["steps"]!.AsArray(), s => (string?)s!["stage"] == "fragment" && (string?)s["result"] == "first");

        var (_, orphan) = await Trace("tcp 198.18.0.1:40000 > 198.18.0.2:80 frag-id 9 frag-offset 24");
        Assert.Equal(("dropped", "fragment"), ((string)orphan!["trace"]!["verdict"]!, (string)orphan["trace"]!["reason"]!));

        // The first fragment passes the data path for real (the trace itself records nothing).
        var frame = VSwitch.Control.Tracing.PacketDescription.Parse("tcp 198.18.0.1:40000 > 198.18.0.2:80 syn frag-id 9")
            .ToFrame(_host.Models.Current, _host.Models.Current.Ports.Values.Single(p => p.Name == "a"));
        Assert.Equal(VSwitch.Packets.ParseError.None, VSwitch.Packets.PacketParser.Parse(frame, out var parsed));
        _host.Datapath.Fragments.RecordFirst(in parsed, _host.Reconciler.SlotOf(Guid.Parse(_a)), _host.Datapath.NowMs());
        var (_, later) = await Trace("tcp 198.18.0.1:40000 > 198.18.0.2:80 frag-id 9 frag-offset 24");
        Assert.Equal("allowed", (string)later!["trace"]!["verdict"]!);
        Assert.Contains(later["trace"]!["steps"]!.AsArray(), s => (string?)s!["stage"] == "ingress" && (string?)s["rule_id"] == _rule);
        Assert.Contains(later["trace"]!["steps"]!.AsArray(), s => (string?)s!["result"] == "matched" && ((string?)s["detail"])!.Contains(":80", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("tcp 198.18.0.1:1 > 198.18.0.2:80 frag-offset 8")]
    [InlineData("tcp 198.18.0.1:1 > 198.18.0.2:80 frag-id 1 frag-offset 12")]
    [InlineData("tcp 198.18.0.1:1 > 198.18.0.2:80 frag-id x")]
    [InlineData("tcp 198.18.0.1 > 198.18.0.2:80")]
    [InlineData("bogus 198.18.0.1:1 > 198.18.0.2:80")]
    [InlineData("tcp 198.18.0.1:1 198.18.0.2:80")]
    [InlineData("tcp 198.18.0.1:1 > 198.18.0.200:80")]
    public async Task Trace_BadPacketText_Is400NamingThePacket(string packet)
    {
        var message = Http.AssertError(await Trace(packet), HttpStatusCode.BadRequest);
        Assert.Contains("packet", message);
    }
}
