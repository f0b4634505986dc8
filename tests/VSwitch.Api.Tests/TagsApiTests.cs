using System.Net;
using System.Text.Json.Nodes;

namespace VSwitch.Api.Tests;

/// <summary>Neutron's tags on networks, subnets, ports, security groups and rules, and the four tag filters.</summary>
public sealed class TagsApiTests : ApiHostTest
{
    [Fact]
    public async Task ReplaceAddCheckRemove_OnEveryTaggedResource()
    {
        var net = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        var group = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}""");
        var port = await _client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{net["id"]}}}"}}""");
        var rule = group["security_group_rules"]![0]!;
        var subnet = await _client.CreateAsync("subnets", "subnet", $$$"""{"subnet": {"network_id": "{{{net["id"]}}}", "ip_version": 4, "cidr": "198.18.40.0/24"}}""");
        foreach (var (collection, key, obj) in new[] { ("networks", "network", (JsonNode)net), ("subnets", "subnet", subnet), ("ports", "port", port), ("security-groups", "security_group", group), ("security-group-rules", "security_group_rule", rule) })
        {
            var path = $"v2.0/{collection}/{obj["id"]}";
            var revision = (long)obj["revision_number"]!;
            var (status, body) = await _client.PutJson($"{path}/tags", """{"tags": ["red", "blue", "red"]}""");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("""["blue","red"]""", body!["tags"]!.ToJsonString());
            Assert.Equal(HttpStatusCode.Created, (await _client.SendJson(HttpMethod.Put, $"{path}/tags/green")).Status);
            var shown = (await _client.GetJson(path)).Body![key]!;
            Assert.Equal("""["blue","green","red"]""", shown["tags"]!.ToJsonString());
            Assert.True((long)shown["revision_number"]! > revision);
            Assert.Equal(HttpStatusCode.NoContent, (await _client.GetJson($"{path}/tags/green")).Status);
            Http.AssertError(await _client.GetJson($"{path}/tags/yellow"), HttpStatusCode.NotFound, "TagNotFound");
            Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"{path}/tags/green")).Status);
            Http.AssertError(await _client.DeleteJson($"{path}/tags/green"), HttpStatusCode.NotFound, "TagNotFound");
            Assert.Equal("""{"tags":["blue","red"]}""", (await _client.GetJson($"{path}/tags")).Body!.ToJsonString());
            Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"{path}/tags")).Status);
            Assert.Empty((await _client.GetJson($"{path}/tags")).Body!["tags"]!.AsArray());
        }
        Http.AssertError(await _client.GetJson($"v2.0/ports/{Guid.NewGuid()}/tags"), HttpStatusCode.NotFound, "PortNotFound");
    }

    [Fact]
    public async Task TagFilters_AllAnyNotAllNone()
    {
        foreach (var (name, tags) in new[] { ("a", "[\"x\", \"y\"]"), ("b", "[\"x\"]"), ("c", "[\"z\"]"), ("d", "[]") })
        {
            var net = await _client.CreateAsync("networks", "network", $$$"""{"network": {"name": "{{{name}}}"}}""");
            await _client.PutJson($"v2.0/networks/{net["id"]}/tags", $$$"""{"tags": {{{tags}}}}""");
        }
        async Task<string> Names(string query) => string.Join(',', (await _client.GetJson($"v2.0/networks?{query}&sort_key=name&sort_dir=asc")).Body!["networks"]!.AsArray().Select(n => (string)n!["name"]!));
        Assert.Equal("a", await Names("tags=x,y"));
        Assert.Equal("a,b", await Names("tags=x"));
        Assert.Equal("a,b,c", await Names("tags-any=y,x,z"));
        Assert.Equal("b,c,d", await Names("not-tags=x,y"));
        Assert.Equal("c,d", await Names("not-tags-any=x"));
        Assert.Equal("b", await Names("tags=x&not-tags=y"));
    }

    [Theory]
    [InlineData("""{"tags": ["a,b"]}""")]
    [InlineData("""{"tags": [""]}""")]
    [InlineData("""{"tags": [7]}""")]
    [InlineData("""{"tags": "a"}""")]
    [InlineData("""{"tag": ["a"]}""")]
    [InlineData("""{"tags": ["0123456789012345678901234567890123456789012345678901234567891"]}""")]
    public async Task BadTags_Are400AndChangeNothing(string json)
    {
        var net = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        var model = _host.Models.Current;
        Http.AssertError(await _client.PutJson($"v2.0/networks/{net["id"]}/tags", json), HttpStatusCode.BadRequest);
        Assert.Same(model, _host.Models.Current);
    }

    [Fact]
    public async Task TooManyTags_Is400()
    {
        var net = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        var tags = new JsonArray([.. Enumerable.Range(0, 51).Select(i => (JsonNode?)JsonValue.Create($"t{i}"))]);
        Http.AssertError(await _client.PutJson($"v2.0/networks/{net["id"]}/tags", new JsonObject { ["tags"] = tags }.ToJsonString()), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Tags_SurviveARestart()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-tags-").FullName;
        try
        {
            string id;
            await using (var first = await ApiHost.StartAsync(dir))
            {
                using var client = first.Client();
                id = (string)(await client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}"""))["id"]!;
                await client.PutJson($"v2.0/security-groups/{id}/tags", """{"tags": ["prod"]}""");
            }
            await using var second = await ApiHost.StartAsync(dir);
            using var again = second.Client();
            Assert.Equal("""["prod"]""", (await again.GetJson($"v2.0/security-groups/{id}")).Body!["security_group"]!["tags"]!.ToJsonString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
