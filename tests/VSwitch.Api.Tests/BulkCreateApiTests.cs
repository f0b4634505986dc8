using System.Net;

namespace VSwitch.Api.Tests;

/// <summary>Bulk create of networks, ports and security groups: one change, all or nothing.</summary>
public sealed class BulkCreateApiTests : ApiHostTest
{
    [Fact]
    public async Task Networks_CreatedTogether_InRequestOrder()
    {
        var (status, body) = await _client.PostJson("v2.0/networks", """{"networks": [{"name": "a"}, {"name": "b", "mtu": 1400}, {"name": "c"}]}""");
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(["a", "b", "c"], body!["networks"]!.AsArray().Select(n => (string)n!["name"]!));
        Assert.Equal(1400, (int)body["networks"]![1]!["mtu"]!);
        Assert.Equal(3, _host.Models.Current.Networks.Count);
    }

    [Fact]
    public async Task Ports_OneRefused_NoneCreated()
    {
        var net = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        var model = _host.Models.Current;
        var answer = await _client.PostJson("v2.0/ports", $$$"""
            {"ports": [
              {"network_id": "{{{net}}}", "mac_address": "fa:16:3e:00:00:01", "binding:profile": {"device": "memory:b1"}},
              {"network_id": "{{{net}}}", "mac_address": "fa:16:3e:00:00:02", "binding:profile": {"device": "memory:b2"}},
              {"network_id": "{{{net}}}", "mac_address": "fa:16:3e:00:00:01", "binding:profile": {"device": "memory:b3"}}
            ]}
            """);
        Http.AssertError(answer, HttpStatusCode.Conflict, "MacAddressInUse");
        Assert.Same(model, _host.Models.Current);
        Assert.Empty(_host.Models.Current.Ports);

        var (status, body) = await _client.PostJson("v2.0/ports", $$$"""
            {"ports": [{"network_id": "{{{net}}}", "binding:profile": {"device": "memory:b1"}}, {"network_id": "{{{net}}}", "binding:profile": {"device": "memory:b2"}}]}
            """);
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.All(body!["ports"]!.AsArray(), p => Assert.Equal("ACTIVE", (string)p!["status"]!));
        Assert.Equal(2, _host.Models.Current.Ports.Count);
    }

    [Fact]
    public async Task SecurityGroups_CreatedTogether_OrNotAtAll()
    {
        var (status, body) = await _client.PostJson("v2.0/security-groups", """{"security_groups": [{"name": "web"}, {"name": "db", "stateful": false}]}""");
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.All(body!["security_groups"]!.AsArray(), g => Assert.Equal(2, g!["security_group_rules"]!.AsArray().Count));
        Assert.False((bool)body["security_groups"]![1]!["stateful"]!);

        var groups = _host.Models.Current.SecurityGroups.Count;
        Http.AssertError(await _client.PostJson("v2.0/security-groups", """{"security_groups": [{"name": "ok"}, {"name": "default"}]}"""),
            HttpStatusCode.Conflict, "SecurityGroupDefaultAlreadyExists");
        Assert.Equal(groups, _host.Models.Current.SecurityGroups.Count);
    }

    [Theory]
    [InlineData("""{"networks": []}""")]
    [InlineData("""{"networks": {"name": "a"}}""")]
    [InlineData("""{"networks": [{"name": "a"}], "network": {"name": "b"}}""")]
    [InlineData("""{"networks": [{"name": "a"}, {"bogus": 1}]}""")]
    [InlineData("""{"networks": [{"name": "a"}, 7]}""")]
    public async Task MalformedBulk_Is400(string json)
    {
        Http.AssertError(await _client.PostJson("v2.0/networks", json), HttpStatusCode.BadRequest);
        Assert.Empty(_host.Models.Current.Networks);
    }

    [Fact]
    public async Task PortWithTheSameGroupTwice_Is400_OnCreateAndUpdate()
    {
        var net = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        var group = (string)(await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}"""))["id"]!;
        var message = Http.AssertError(await _client.PostJson("v2.0/ports",
            $$$"""{"port": {"network_id": "{{{net}}}", "security_groups": ["{{{group}}}", "{{{group}}}"]}}"""), HttpStatusCode.BadRequest);
        Assert.Contains("Duplicate items in the list", message);
        var port = (string)(await _client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{net}}}", "security_groups": ["{{{group}}}"]}}"""))["id"]!;
        Http.AssertError(await _client.PutJson($"v2.0/ports/{port}", $$$"""{"port": {"security_groups": ["{{{group}}}", "{{{group}}}"]}}"""), HttpStatusCode.BadRequest);
    }
}
