using System.Net;

namespace VSwitch.Api.Tests;

public sealed class SecurityGroupsApiTests : ApiHostTest
{
    [Fact]
    public async Task Create_HasTwoEgressRules_AndUpdateDelete()
    {
        var group = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "web", "description": "w"}}""");
        var id = (string)group["id"]!;
        Assert.Equal(2, group["security_group_rules"]!.AsArray().Count);
        Assert.All(group["security_group_rules"]!.AsArray(), r => Assert.Equal("egress", (string)r!["direction"]!));
        Assert.True((bool)group["stateful"]!);

        var updated = await _client.PutJson($"v2.0/security-groups/{id}", """{"security_group": {"name": "web2", "stateful": false}}""");
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.False((bool)updated.Body!["security_group"]!["stateful"]!);

        Http.AssertError(await _client.PutJson($"v2.0/security-groups/{id}", """{"security_group": {"name": "default"}}"""),
            HttpStatusCode.Conflict, "SecurityGroupDefaultAlreadyExists");

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/security-groups/{id}")).Status);
        Http.AssertError(await _client.GetJson($"v2.0/security-groups/{id}"), HttpStatusCode.NotFound, "SecurityGroupNotFound");
    }

    [Fact]
    public async Task List_CreatesTheProjectsDefaultGroupAndFilters()
    {
        var list = await _client.SendJson(HttpMethod.Get, "v2.0/security-groups?name=default&project_id=p9");
        Assert.Empty(list.Body!["security_groups"]!.AsArray());
        using var request = new HttpRequestMessage(HttpMethod.Get, "v2.0/security-groups?name=default&fields=project_id");
        request.Headers.Add("X-Project-Id", "p9");
        using var response = await _client.SendAsync(request);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains(body["security_groups"]!.AsArray(), g => (string)g!["project_id"]! == "p9");
    }

    [Fact]
    public async Task Delete_GroupInUse_Is409()
    {
        var group = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "used"}}""");
        var net = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        await _client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{net["id"]}}}", "security_groups": ["{{{group["id"]}}}"]}}""");
        Http.AssertError(await _client.DeleteJson($"v2.0/security-groups/{group["id"]}"), HttpStatusCode.Conflict, "SecurityGroupInUse");
    }

    [Theory]
    [InlineData("""{"security_group": {"name": "default"}}""", HttpStatusCode.Conflict)]
    [InlineData("""{"security_group": {"name": "x", "stateful": "sometimes"}}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"security_group": {"name": "x", "rules": []}}""", HttpStatusCode.BadRequest)]
    public async Task Create_Refused_ChangesNothing(string json, HttpStatusCode status)
    {
        var before = _host.Models.Current;
        Http.AssertError(await _client.PostJson("v2.0/security-groups", json), status);
        Assert.Same(before, _host.Models.Current);
    }
}
