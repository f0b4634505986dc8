using System.Net;
using System.Text.Json.Nodes;

namespace VSwitch.Api.Tests;

/// <summary>Neutron's <c>default-security-group-rules</c>: the templates new groups' rules come from.</summary>
public sealed class DefaultSecurityGroupRulesApiTests : ApiHostTest
{
    [Fact]
    public async Task Shipped_AreNeutronsFour()
    {
        var rules = (await _client.GetJson("v2.0/default-security-group-rules")).Body!["default_security_group_rules"]!.AsArray();
        Assert.Equal(4, rules.Count);
        Assert.Equal(2, rules.Count(r => (string)r!["direction"]! == "egress" && (bool)r["used_in_default_sg"]! && (bool)r["used_in_non_default_sg"]!));
        Assert.Equal(2, rules.Count(r => (string?)r!["remote_group_id"] == "PARENT" && (bool)r["used_in_default_sg"]! && !(bool)r["used_in_non_default_sg"]!));
    }

    [Fact]
    public async Task NewGroups_TakeTheTemplates_ExistingGroupsKeepTheirRules()
    {
        var before = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "before"}}""");
        var ssh = await _client.CreateAsync("default-security-group-rules", "default_security_group_rule",
            """{"default_security_group_rule": {"direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "198.18.0.0/15", "used_in_default_sg": true}}""");
        Assert.True((bool)ssh["used_in_non_default_sg"]!);
        var parentOnly = await _client.CreateAsync("default-security-group-rules", "default_security_group_rule",
            """{"default_security_group_rule": {"direction": "ingress", "ethertype": "IPv6", "protocol": "udp", "port_range_min": 53, "port_range_max": 53, "remote_group_id": "PARENT"}}""");
        Assert.False((bool)parentOnly["used_in_default_sg"]!);

        var after = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "after"}}""");
        var rules = after["security_group_rules"]!.AsArray();
        Assert.Equal(4, rules.Count);
        Assert.Contains(rules, r => (int?)r!["port_range_min"] == 22 && (string?)r["remote_ip_prefix"] == "198.18.0.0/15");
        Assert.Contains(rules, r => (int?)r!["port_range_min"] == 53 && (string?)r["remote_group_id"] == (string)after["id"]!);
        Assert.Equal(2, (await _client.GetJson($"v2.0/security-groups/{before["id"]}")).Body!["security_group"]!["security_group_rules"]!.AsArray().Count);

        // A new project's default group takes the templates used in default groups: the shipped four and ssh.
        using var request = new HttpRequestMessage(HttpMethod.Get, "v2.0/security-groups?name=default");
        request.Headers.Add("X-Project-Id", "fresh");
        using var response = await _client.SendAsync(request);
        var groups = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["security_groups"]!.AsArray();
        var defaultGroup = groups.Single(g => (string)g!["project_id"]! == "fresh")!;
        Assert.Equal(5, defaultGroup["security_group_rules"]!.AsArray().Count);
    }

    [Fact]
    public async Task ATemplateThatAPresetAlsoHas_GivesThePresetTheRuleOnce()
    {
        await _client.CreateAsync("default-security-group-rules", "default_security_group_rule",
            """{"default_security_group_rule": {"direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}}""");
        using var request = new HttpRequestMessage(HttpMethod.Get, "v2.0/security-groups?name=ssh");
        request.Headers.Add("X-Project-Id", "fresh");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ssh = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["security_groups"]!.AsArray().Single(g => (string)g!["project_id"]! == "fresh")!;
        Assert.Single(ssh["security_group_rules"]!.AsArray(), r => (int?)r!["port_range_min"] == 22 && (string)r["ethertype"]! == "IPv4");
    }

    [Fact]
    public async Task DeletingEveryTemplate_MakesNewGroupsEmpty()
    {
        var templates = (await _client.GetJson("v2.0/default-security-group-rules")).Body!["default_security_group_rules"]!.AsArray();
        foreach (var template in templates)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/default-security-group-rules/{template!["id"]}")).Status);
        }
        var group = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "bare"}}""");
        Assert.Empty(group["security_group_rules"]!.AsArray());
        Http.AssertError(await _client.DeleteJson($"v2.0/default-security-group-rules/{templates[0]!["id"]}"), HttpStatusCode.NotFound, "DefaultSecurityGroupRuleNotFound");
    }

    [Theory]
    [InlineData("""{"default_security_group_rule": {"direction": "egress"}}""", HttpStatusCode.Conflict, "DefaultSecurityGroupRuleExists")]
    [InlineData("""{"default_security_group_rule": {"direction": "ingress", "remote_group_id": "PARENT", "ethertype": "ipv4"}}""", HttpStatusCode.Conflict, "DefaultSecurityGroupRuleExists")]
    [InlineData("""{"default_security_group_rule": {"direction": "sideways"}}""", HttpStatusCode.BadRequest, null)]
    [InlineData("""{"default_security_group_rule": {"direction": "ingress", "remote_group_id": "4b1c9f6e-2b4a-4c53-9d5e-0f0a9d6b1e2c"}}""", HttpStatusCode.BadRequest, null)]
    [InlineData("""{"default_security_group_rule": {"direction": "ingress", "protocol": "tcp", "port_range_min": 90, "port_range_max": 80}}""", HttpStatusCode.BadRequest, "SecurityGroupInvalidPortRange")]
    [InlineData("""{"default_security_group_rule": {"direction": "ingress", "remote_ip_prefix": "198.18.0.0/15", "remote_group_id": "PARENT"}}""", HttpStatusCode.BadRequest, "SecurityGroupMultipleRemoteEntites")]
    [InlineData("""{"default_security_group_rule": {"direction": "ingress", "project_id": "p"}}""", HttpStatusCode.BadRequest, null)]
    public async Task BadTemplate_IsRefusedAndChangesNothing(string json, HttpStatusCode status, string? type)
    {
        var model = _host.Models.Current;
        Http.AssertError(await _client.PostJson("v2.0/default-security-group-rules", json), status, type);
        Assert.Same(model, _host.Models.Current);
    }

    [Fact]
    public async Task Templates_SurviveARestart_AndAreImmutable()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-dsgr-").FullName;
        try
        {
            string id;
            await using (var first = await ApiHost.StartAsync(dir))
            {
                using var client = first.Client();
                id = (string)(await client.CreateAsync("default-security-group-rules", "default_security_group_rule",
                    """{"default_security_group_rule": {"direction": "ingress", "protocol": "icmp"}}"""))["id"]!;
                Http.AssertError(await client.PutJson($"v2.0/default-security-group-rules/{id}", """{"default_security_group_rule": {"description": "x"}}"""),
                    HttpStatusCode.BadRequest);
            }
            await using var second = await ApiHost.StartAsync(dir);
            using var again = second.Client();
            Assert.Equal("icmp", (string)(await again.GetJson($"v2.0/default-security-group-rules/{id}")).Body!["default_security_group_rule"]!["protocol"]!);
            Assert.Equal(5, (await again.GetJson("v2.0/default-security-group-rules")).Body!["default_security_group_rules"]!.AsArray().Count);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
