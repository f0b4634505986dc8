using System.Net;

namespace VSwitch.Api.Tests;

public sealed class SecurityGroupRulesApiTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private string _group = "";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _client = _host.Client();
        _group = (string)(await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}"""))["id"]!;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private string Rule(string fields) => $$$"""{"security_group_id": "{{{_group}}}", {{{fields}}}}""";

    [Fact]
    public async Task Create_Normalises_ShowListDelete()
    {
        var rule = await _client.CreateAsync("security-group-rules", "security_group_rule",
            $$$"""{"security_group_rule": {{{Rule("\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 22, \"port_range_max\": \"22\", \"remote_ip_prefix\": \"198.18.0.9/24\"")}}}}""");
        var id = (string)rule["id"]!;
        Assert.Equal(("IPv4", "198.18.0.9/24", "198.18.0.0/24", 22), ((string)rule["ethertype"]!, (string)rule["remote_ip_prefix"]!,
            (string)rule["normalized_cidr"]!, (int)rule["port_range_min"]!));

        var show = await _client.GetJson($"v2.0/security-group-rules/{id}");
        Assert.Equal("tcp", (string)show.Body!["security_group_rule"]!["protocol"]!);

        var list = await _client.GetJson($"v2.0/security-group-rules?security_group_id={_group}&direction=ingress");
        Assert.Equal(id, (string)list.Body!["security_group_rules"]!.AsArray().Single()!["id"]!);

        var group = await _client.GetJson($"v2.0/security-groups/{_group}");
        Assert.Equal(3, group.Body!["security_group"]!["security_group_rules"]!.AsArray().Count);

        Http.AssertError(await _client.PutJson($"v2.0/security-group-rules/{id}", """{"security_group_rule": {"description": "x"}}"""),
            HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/security-group-rules/{id}")).Status);
        Http.AssertError(await _client.GetJson($"v2.0/security-group-rules/{id}"), HttpStatusCode.NotFound, "SecurityGroupRuleNotFound");
    }

    [Fact]
    public async Task Create_Duplicate_Is409()
    {
        var body = $$$"""{"security_group_rule": {{{Rule("\"direction\": \"ingress\", \"protocol\": \"udp\", \"port_range_min\": 53, \"port_range_max\": 53")}}}}""";
        await _client.CreateAsync("security-group-rules", "security_group_rule", body);
        Http.AssertError(await _client.PostJson("v2.0/security-group-rules", body), HttpStatusCode.Conflict, "SecurityGroupRuleExists");
    }

    [Theory]
    [InlineData("\"direction\": \"sideways\"", "direction")]
    [InlineData("\"direction\": \"ingress\", \"ethertype\": \"IPv5\"", "ethertype")]
    [InlineData("\"direction\": \"ingress\", \"remote_ip_prefix\": \"198.18.0.0/33\"", "198.18.0.0/33")]
    [InlineData("\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": \"x\", \"port_range_max\": 1", "port_range_min")]
    [InlineData("\"direction\": \"ingress\", \"protocol\": \"bogus\"", "bogus")]
    [InlineData("\"direction\": \"ingress\", \"priority\": 1", "priority")]
    [InlineData("\"direction\": \"ingress\", \"remote_group_id\": \"nope\"", "remote_group_id")]
    public async Task Create_BadInput_Is400NamingTheField(string fields, string named)
    {
        var before = _host.Models.Current;
        var message = Http.AssertError(await _client.PostJson("v2.0/security-group-rules", $$$"""{"security_group_rule": {{{Rule(fields)}}}}"""),
            HttpStatusCode.BadRequest);
        Assert.Contains(named, message);
        Assert.Same(before, _host.Models.Current);
    }

    [Fact]
    public async Task CreateBulk_IsAllOrNothing()
    {
        var good = Rule("\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 80, \"port_range_max\": 80");
        var bad = Rule("\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 90, \"port_range_max\": 80");
        var before = _host.Models.Current;
        Http.AssertError(await _client.PostJson("v2.0/security-group-rules", $$$"""{"security_group_rules": [{{{good}}}, {{{bad}}}]}"""),
            HttpStatusCode.BadRequest, "SecurityGroupInvalidPortRange");
        Assert.Same(before, _host.Models.Current);

        var second = Rule("\"direction\": \"ingress\", \"protocol\": \"tcp\", \"port_range_min\": 443, \"port_range_max\": 443");
        var created = await _client.PostJson("v2.0/security-group-rules", $$$"""{"security_group_rules": [{{{good}}}, {{{second}}}]}""");
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal(2, created.Body!["security_group_rules"]!.AsArray().Count);
        Assert.Equal(4, _host.Models.Current.SecurityGroups[Guid.Parse(_group)].Rules.Count);
    }
}
