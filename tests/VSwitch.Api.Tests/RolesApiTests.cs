using System.Net;
using System.Text.Json.Nodes;
using VSwitch.Daemon.Api;

namespace VSwitch.Api.Tests;

/// <summary>Tokens with a project and a role: members see and change only their project's objects, admins everything.</summary>
public sealed class RolesApiTests : MembersApiTest
{
    [Fact]
    public async Task Members_SeeAndChangeOnlyTheirProject()
    {
        var mine = await _p1.CreateAsync("networks", "network", """{"network": {"name": "mine"}}""");
        Assert.Equal("p1", (string)mine["project_id"]!);
        var theirs = await _p2.CreateAsync("networks", "network", """{"network": {"name": "theirs"}}""");

        Assert.Equal(["mine"], (await _p1.GetJson("v2.0/networks")).Body!["networks"]!.AsArray().Select(n => (string)n!["name"]!));
        Assert.Equal(2, (await Operator.GetJson("v2.0/networks")).Body!["networks"]!.AsArray().Count);
        Http.AssertError(await _p1.GetJson($"v2.0/networks/{theirs["id"]}"), HttpStatusCode.NotFound, "NetworkNotFound");
        Http.AssertError(await _p1.PutJson($"v2.0/networks/{theirs["id"]}", """{"network": {"name": "taken"}}"""), HttpStatusCode.NotFound);
        Http.AssertError(await _p1.DeleteJson($"v2.0/networks/{theirs["id"]}"), HttpStatusCode.NotFound);
        Assert.Equal("theirs", (string)(await Operator.GetJson($"v2.0/networks/{theirs["id"]}")).Body!["network"]!["name"]!);

        // A member's group list shows its own project's groups only, and its ports may use only those.
        var groups = (await _p1.GetJson("v2.0/security-groups")).Body!["security_groups"]!.AsArray();
        Assert.All(groups, g => Assert.Equal("p1", (string)g!["project_id"]!));
        var p2Group = (string)(await _p2.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "p2-only"}}"""))["id"]!;
        Http.AssertError(await _p1.PostJson("v2.0/ports", $$$"""{"port": {"network_id": "{{{mine["id"]}}}", "security_groups": ["{{{p2Group}}}"]}}"""),
            HttpStatusCode.NotFound, "SecurityGroupNotFound");
    }

    [Fact]
    public async Task Members_CannotActForAnotherProject()
    {
        var message = Http.AssertError(await _p1.PostJson("v2.0/networks", """{"network": {"name": "x", "project_id": "p2"}}"""), HttpStatusCode.BadRequest);
        Assert.Contains("requires admin privileges", message);
        // The X-Project-Id header is the operator's tool; a member's token decides its project.
        using var request = new HttpRequestMessage(HttpMethod.Post, "v2.0/networks") { Content = new StringContent("""{"network": {"name": "y"}}""") };
        request.Headers.Add("X-Project-Id", "p2");
        using var response = await _p1.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("p1", (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["network"]!["project_id"]!);
        // An admin may.
        Assert.Equal("p2", (string)(await Operator.CreateAsync("networks", "network", """{"network": {"name": "z", "project_id": "p2"}}"""))["project_id"]!);
    }

    [Theory]
    [InlineData("GET", "v2.0/quotas", null)]
    [InlineData("GET", "v2.0/quotas/p2", null)]
    [InlineData("PUT", "v2.0/quotas/p1", """{"quota": {"port": 1000}}""")]
    [InlineData("DELETE", "v2.0/quotas/p1", null)]
    [InlineData("POST", "v2.0/default-security-group-rules", """{"default_security_group_rule": {"direction": "ingress", "protocol": "tcp"}}""")]
    [InlineData("GET", "v2.0/log/logs", null)]
    [InlineData("GET", "v2.0/vswitch/stats", null)]
    [InlineData("GET", "v2.0/vswitch/flows", null)]
    [InlineData("GET", "v2.0/vswitch/neighbors", null)]
    [InlineData("POST", "v2.0/vswitch/trace", """{"port_id": "00000000-0000-0000-0000-000000000001", "packet": "udp 198.18.0.1:1 > 198.18.0.2:2"}""")]
    public async Task AdminOnlyCalls_Are403ForMembers(string method, string path, string? json)
    {
        var model = _host.Models.Current;
        Http.AssertError(await _p1.SendJson(new HttpMethod(method), path, json), HttpStatusCode.Forbidden, "PolicyNotAuthorized");
        // Once seen failing without a message (not reproduced since): say what changed if it happens again.
        var after = _host.Models.Current;
        Assert.True(ReferenceEquals(model, after),
            $"a refused call changed the model: networks {model.Networks.Count}->{after.Networks.Count}, groups {model.SecurityGroups.Count}->{after.SecurityGroups.Count}, " +
            $"templates {model.DefaultRules.Count}->{after.DefaultRules.Count}, quotas {model.Quotas.Count}->{after.Quotas.Count}, ports {model.Ports.Count}->{after.Ports.Count}");
    }

    [Fact]
    public async Task Members_ReadTheirOwnQuota_AndTheTemplates()
    {
        Assert.Equal(10, (int)(await _p1.GetJson("v2.0/quotas/p1")).Body!["quota"]!["security_group"]!);
        Assert.Equal("p1", (string)(await _p1.GetJson("v2.0/quotas/project")).Body!["project"]!["project_id"]!);
        Assert.Equal(HttpStatusCode.OK, (await _p1.GetJson("v2.0/quotas/p1/details")).Status);
        Assert.Equal(4, (await _p1.GetJson("v2.0/default-security-group-rules")).Body!["default_security_group_rules"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("", "no token")]
    [InlineData("# only a comment\n", "no token")]
    [InlineData("a p1 owner\n", "is not admin or member")]
    [InlineData("a p1\n", "expected TOKEN")]
    [InlineData("a\na p1 member\n", "already given")]
    public void TokenFile_Malformed_IsRefused(string text, string message)
    {
        Assert.Contains(message, Assert.Throws<FormatException>(() => ApiTokens.Parse(text)).Message);
    }

    [Fact]
    public void TokenFile_LoneToken_IsAnAdmin_AndRolesAreRead()
    {
        var tokens = ApiTokens.Parse("secret\nm p9 member\na p8 admin\n");
        Assert.Equal(Caller.Operator, tokens.Match("secret"));
        Assert.Equal(new Caller(VSwitch.Control.Model.ProjectId.Parse("p9"), false), tokens.Match("m"));
        Assert.Equal(new Caller(VSwitch.Control.Model.ProjectId.Parse("p8"), true), tokens.Match("a"));
        Assert.Null(tokens.Match("secretx"));
    }
}
