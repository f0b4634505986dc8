using System.Net;
using System.Text.Json.Nodes;
using VSwitch.Control.Model;

namespace VSwitch.Api.Tests;

/// <summary>Neutron's quotas: show, defaults, details, update, reset, and enforcement with <c>OverQuota</c> (409).</summary>
public sealed class QuotasApiTests : ApiHostTest
{
    [Fact]
    public async Task Show_GivesNeutronsDefaults_AndDetailsCountTheProjectsObjects()
    {
        var quota = (await Get("v2.0/quotas/p1"))["quota"]!;
        Assert.Equal((100, 100, 500, 10, 100), ((int)quota["network"]!, (int)quota["subnet"]!, (int)quota["port"]!, (int)quota["security_group"]!, (int)quota["security_group_rule"]!));
        Assert.Equal((10, 50), ((int)quota["router"]!, (int)quota["floatingip"]!));
        Assert.Equal(quota.ToJsonString(), (await Get("v2.0/quotas/p1/default"))["quota"]!.ToJsonString());

        await Send(HttpMethod.Post, "v2.0/networks", """{"network": {"name": "n"}}""", "p1");
        var details = (await Get("v2.0/quotas/p1/details"))["quota"]!;
        Assert.Equal(1, (int)details["network"]!["used"]!);
        Assert.Equal(100, (int)details["network"]!["limit"]!);
        Assert.Equal(0, (int)details["network"]!["reserved"]!);
        // The project's default group and the presets came with its first object.
        Assert.Equal(5, (int)details["security_group"]!["used"]!);
        Assert.Equal(24, (int)details["security_group_rule"]!["used"]!);
        Assert.Equal(0, (int)(await Get("v2.0/quotas/p2/details"))["quota"]!["port"]!["used"]!);
    }

    [Fact]
    public async Task Update_OverridesSomeResources_ListedUntilReset()
    {
        var (status, body) = await _client.PutJson("v2.0/quotas/p1", """{"quota": {"security_group": 20, "port": -1}}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((20, -1, 100), ((int)body!["quota"]!["security_group"]!, (int)body["quota"]!["port"]!, (int)body["quota"]!["network"]!));
        await _client.PutJson("v2.0/quotas/p1", """{"quota": {"network": "7"}}""");
        var listed = Assert.Single((await Get("v2.0/quotas"))["quotas"]!.AsArray());
        Assert.Equal(("p1", 7, 20), ((string)listed!["project_id"]!, (int)listed["network"]!, (int)listed["security_group"]!));

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson("v2.0/quotas/p1")).Status);
        Assert.Empty((await Get("v2.0/quotas"))["quotas"]!.AsArray());
        Assert.Equal(10, (int)(await Get("v2.0/quotas/p1"))["quota"]!["security_group"]!);
    }

    [Theory]
    [InlineData("""{"quota": {"security_group": -2}}""")]
    [InlineData("""{"quota": {"security_group": "many"}}""")]
    [InlineData("""{"quota": {"loadbalancer": 3}}""")]
    [InlineData("""{"quota": {}}""")]
    [InlineData("""{"quotas": {"port": 1}}""")]
    public async Task Update_BadBody_Is400AndChangesNothing(string json)
    {
        var model = _host.Models.Current;
        Http.AssertError(await _client.PutJson("v2.0/quotas/p1", json), HttpStatusCode.BadRequest);
        Assert.Same(model, _host.Models.Current);
    }

    [Fact]
    public async Task Subnets_BeyondTheLimit_AreOverQuota()
    {
        await _client.PutJson("v2.0/quotas/p1", """{"quota": {"subnet": 1}}""");
        var net = (await Send(HttpMethod.Post, "v2.0/networks", """{"network": {"name": "n"}}""", "p1")).Body!["network"]!["id"]!.ToString();
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "v2.0/subnets",
            $$$"""{"subnet": {"network_id": "{{{net}}}", "ip_version": 4, "cidr": "198.18.60.0/24"}}""", "p1")).Status);
        var refused = await Send(HttpMethod.Post, "v2.0/subnets", $$$"""{"subnet": {"network_id": "{{{net}}}", "ip_version": 4, "cidr": "198.18.61.0/24"}}""", "p1");
        Assert.Contains("['subnet']", Http.AssertError(refused, HttpStatusCode.Conflict, "OverQuota"));
        Assert.Equal(1, (int)(await Get("v2.0/quotas/p1/details"))["quota"]!["subnet"]!["used"]!);
    }

    [Fact]
    public async Task Groups_BeyondTheLimit_AreOverQuota_InBulkToo()
    {
        await _client.PutJson("v2.0/quotas/p1", """{"quota": {"security_group": 7}}""");
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "v2.0/security-groups", """{"security_group": {"name": "a"}}""", "p1")).Status);
        var model = _host.Models.Current;
        var bulk = await Send(HttpMethod.Post, "v2.0/security-groups", """{"security_groups": [{"name": "b"}, {"name": "c"}]}""", "p1");
        Assert.Contains("['security_group']", Http.AssertError(bulk, HttpStatusCode.Conflict, "OverQuota"));
        Assert.Same(model, _host.Models.Current);
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "v2.0/security-groups", """{"security_group": {"name": "b"}}""", "p1")).Status);
        Http.AssertError(await Send(HttpMethod.Post, "v2.0/security-groups", """{"security_group": {"name": "c"}}""", "p1"), HttpStatusCode.Conflict, "OverQuota");

        // Another project is not limited by p1's quota, and an admin creating for p1 is.
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "v2.0/security-groups", """{"security_group": {"name": "c"}}""", "p2")).Status);
        Http.AssertError(await _client.PostJson("v2.0/security-groups", """{"security_group": {"name": "c", "project_id": "p1"}}"""), HttpStatusCode.Conflict, "OverQuota");

        // Raising the limit lets the next one in.
        await _client.PutJson("v2.0/quotas/p1", """{"quota": {"security_group": 8}}""");
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "v2.0/security-groups", """{"security_group": {"name": "c"}}""", "p1")).Status);
    }

    [Fact]
    public async Task RulesNetworksAndPorts_AreLimitedToo()
    {
        await _client.PutJson("v2.0/quotas/p1", """{"quota": {"security_group_rule": 28, "network": 1, "port": 1}}""");
        var group = (string)(await Send(HttpMethod.Post, "v2.0/security-groups", """{"security_group": {"name": "g"}}""", "p1")).Body!["security_group"]!["id"]!;
        // 24 automatic rules and the new group's 2 egress rules: 2 more fit, a bulk of 3 does not.
        var rule = (int port) => $$$"""{"security_group_id": "{{{group}}}", "direction": "ingress", "protocol": "tcp", "port_range_min": {{{port}}}, "port_range_max": {{{port}}}}""";
        Http.AssertError(await Send(HttpMethod.Post, "v2.0/security-group-rules", $$$"""{"security_group_rules": [{{{rule(1)}}}, {{{rule(2)}}}, {{{rule(3)}}}]}""", "p1"),
            HttpStatusCode.Conflict, "OverQuota");
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "v2.0/security-group-rules", $$$"""{"security_group_rules": [{{{rule(1)}}}, {{{rule(2)}}}]}""", "p1")).Status);
        Http.AssertError(await Send(HttpMethod.Post, "v2.0/security-group-rules", $$$"""{"security_group_rule": {{{rule(3)}}}}""", "p1"), HttpStatusCode.Conflict, "OverQuota");

        var net = (string)(await Send(HttpMethod.Post, "v2.0/networks", """{"network": {"name": "n"}}""", "p1")).Body!["network"]!["id"]!;
        Http.AssertError(await Send(HttpMethod.Post, "v2.0/networks", """{"network": {"name": "n2"}}""", "p1"), HttpStatusCode.Conflict, "OverQuota");
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "v2.0/ports", $$$"""{"port": {"network_id": "{{{net}}}"}}""", "p1")).Status);
        Http.AssertError(await Send(HttpMethod.Post, "v2.0/ports", $$$"""{"port": {"network_id": "{{{net}}}"}}""", "p1"), HttpStatusCode.Conflict, "OverQuota");

        // Routers and floating IPs (Neutron's quota_router and quota_floatingip).
        await _client.PutJson("v2.0/quotas/p1", """{"quota": {"router": 1, "floatingip": 1}}""");
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "v2.0/routers", """{"router": {"name": "r1"}}""", "p1")).Status);
        Http.AssertError(await Send(HttpMethod.Post, "v2.0/routers", """{"router": {"name": "r2"}}""", "p1"), HttpStatusCode.Conflict, "OverQuota");
        var ext = (string)(await _client.PostJson("v2.0/networks", """{"network": {"name": "ext", "router:external": true}}""")).Body!["network"]!["id"]!;
        await _client.PostJson("v2.0/subnets", $$$"""{"subnet": {"network_id": "{{{ext}}}", "ip_version": 4, "cidr": "198.18.90.0/24"}}""");
        Assert.Equal(HttpStatusCode.Created, (await Send(HttpMethod.Post, "v2.0/floatingips", $$$"""{"floatingip": {"floating_network_id": "{{{ext}}}"}}""", "p1")).Status);
        Http.AssertError(await Send(HttpMethod.Post, "v2.0/floatingips", $$$"""{"floatingip": {"floating_network_id": "{{{ext}}}"}}""", "p1"), HttpStatusCode.Conflict, "OverQuota");
        Assert.Equal(1, (int)(await Get("v2.0/quotas/p1/details"))["quota"]!["floatingip"]!["used"]!);

        // Lowering below the usage is allowed; nothing is deleted.
        await _client.PutJson("v2.0/quotas/p1", """{"quota": {"port": 0}}""");
        Assert.Single(_host.Models.Current.Ports.Values, p => !p.IsServicePort);
    }

    [Fact]
    public async Task AProjectsAutomaticGroups_DoNotCountAgainstItsFirstRequest()
    {
        await using var host = await ApiHost.StartAsync(quotas: QuotaLimits.Of(new(QuotaLimits.Network, 10), new(QuotaLimits.Port, 10), new(QuotaLimits.SecurityGroup, 1), new(QuotaLimits.SecurityGroupRule, 0)));
        using var client = host.Client();
        // The default group and the presets (5 groups, 24 rules) are made with the project's first network.
        await client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        Http.AssertError(await client.PostJson("v2.0/security-groups", """{"security_group": {"name": "g"}}"""), HttpStatusCode.Conflict, "OverQuota");
    }

    [Fact]
    public async Task QuotasSurviveARestart()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-quota-").FullName;
        try
        {
            await using (var first = await ApiHost.StartAsync(dir))
            {
                using var client = first.Client();
                await client.PutJson("v2.0/quotas/p9", """{"quota": {"port": 3}}""");
            }
            await using var second = await ApiHost.StartAsync(dir);
            using var again = second.Client();
            var (_, body) = await again.GetJson("v2.0/quotas/p9");
            Assert.Equal(3, (int)body!["quota"]!["port"]!);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ProjectEndpoint_NamesTheCaller_AndExtensionsAreListed()
    {
        Assert.Equal("p7", (string)(await Send(HttpMethod.Get, "v2.0/quotas/project", null, "p7")).Body!["project"]!["project_id"]!);
        Assert.Equal("admin", (string)(await Get("v2.0/quotas/tenant"))["tenant"]!["tenant_id"]!);
        var aliases = (await Get("v2.0/extensions"))["extensions"]!.AsArray().Select(e => (string)e!["alias"]!).ToList();
        Assert.Contains("quotas", aliases);
        Assert.Contains("quota_details", aliases);
    }

    private async Task<JsonNode> Get(string path)
    {
        var (status, body) = await _client.GetJson(path);
        Assert.True(status == HttpStatusCode.OK, $"{path}: {status} {body?.ToJsonString()}");
        return body!;
    }

    private Task<(HttpStatusCode Status, JsonNode? Body)> Send(HttpMethod method, string path, string? json, string project) =>
        _client.SendJson(method, path, json, ("X-Project-Id", project));
}
