using System.Net;
using System.Text.Json.Nodes;

namespace VSwitch.Api.Tests;

/// <summary>Neutron's address groups, and rules whose remote side is one (checked in the data path with traces).</summary>
public sealed class AddressGroupsApiTests : ApiHostTest
{
    [Fact]
    public async Task CreateAddRemoveUpdateDelete()
    {
        var group = await _client.CreateAsync("address-groups", "address_group",
            """{"address_group": {"name": "lab", "description": "d", "addresses": ["198.18.0.1", "198.18.4.9/22", "2001:db8::/32"]}}""");
        var id = (string)group["id"]!;
        Assert.Equal("""["198.18.0.1/32","198.18.4.0/22","2001:db8::/32"]""", group["addresses"]!.ToJsonString());

        var (status, body) = await _client.PutJson($"v2.0/address-groups/{id}/add_addresses", """{"addresses": ["198.19.0.0/16"]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, body!["address_group"]!["addresses"]!.AsArray().Count);
        Assert.Contains("already exist", Http.AssertError(await _client.PutJson($"v2.0/address-groups/{id}/add_addresses", """{"addresses": ["198.18.0.1/32"]}"""),
            HttpStatusCode.BadRequest, "AddressesAlreadyExist"));
        Http.AssertError(await _client.PutJson($"v2.0/address-groups/{id}/remove_addresses", """{"addresses": ["203.0.113.0/24"]}"""), HttpStatusCode.NotFound, "AddressesNotFound");
        (status, body) = await _client.PutJson($"v2.0/address-groups/{id}/remove_addresses", """{"addresses": ["198.18.0.1"]}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain("198.18.0.1/32", body!["address_group"]!["addresses"]!.ToJsonString());

        Assert.Equal("lab2", (string)(await _client.PutJson($"v2.0/address-groups/{id}", """{"address_group": {"name": "lab2"}}""")).Body!["address_group"]!["name"]!);
        Http.AssertError(await _client.PutJson($"v2.0/address-groups/{id}", """{"address_group": {"addresses": []}}"""), HttpStatusCode.BadRequest);
        Assert.Single((await _client.GetJson("v2.0/address-groups?name=lab2")).Body!["address_groups"]!.AsArray());
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/address-groups/{id}")).Status);
        Http.AssertError(await _client.GetJson($"v2.0/address-groups/{id}"), HttpStatusCode.NotFound, "AddressGroupNotFound");
    }

    [Theory]
    [InlineData("""{"address_group": {"name": "x", "addresses": ["not-an-address"]}}""")]
    [InlineData("""{"address_group": {"name": "x", "addresses": "198.18.0.0/15"}}""")]
    [InlineData("""{"address_group": {"name": "x", "addresses": [5]}}""")]
    [InlineData("""{"address_group": {"name": "x", "colour": "red"}}""")]
    public async Task BadCreate_Is400AndChangesNothing(string json)
    {
        var model = _host.Models.Current;
        Http.AssertError(await _client.PostJson("v2.0/address-groups", json), HttpStatusCode.BadRequest);
        Assert.Same(model, _host.Models.Current);
    }

    [Fact]
    public async Task RuleWithARemoteAddressGroup_AllowsItsAddresses_AndFollowsChangesAtOnce()
    {
        var net = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        var addresses = (string)(await _client.CreateAsync("address-groups", "address_group",
            """{"address_group": {"name": "admins", "addresses": ["198.18.0.0/30", "2001:db8::1"]}}"""))["id"]!;
        var group = (string)(await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "ssh-from-admins"}}"""))["id"]!;
        var rule = await _client.CreateAsync("security-group-rules", "security_group_rule",
            $$$"""{"security_group_rule": {"security_group_id": "{{{group}}}", "direction": "ingress", "protocol": "tcp", "port_range_min": 22, "port_range_max": 22, "remote_address_group_id": "{{{addresses}}}"}}""");
        Assert.Equal(addresses, (string)rule["remote_address_group_id"]!);
        Http.AssertError(await _client.PostJson("v2.0/security-group-rules",
            $$$"""{"security_group_rule": {"security_group_id": "{{{group}}}", "direction": "ingress", "remote_ip_prefix": "198.18.0.0/15", "remote_address_group_id": "{{{addresses}}}"}}"""),
            HttpStatusCode.BadRequest, "SecurityGroupMultipleRemoteEntites");
        Http.AssertError(await _client.PostJson("v2.0/security-group-rules",
            $$$"""{"security_group_rule": {"security_group_id": "{{{group}}}", "direction": "ingress", "remote_address_group_id": "{{{Guid.NewGuid()}}}"}}"""),
            HttpStatusCode.NotFound, "AddressGroupNotFound");

        var admin = await Port(net, "admin", "198.18.0.1", null);
        var other = await Port(net, "other", "198.18.5.7", null);
        await Port(net, "server", "198.18.0.2", group);

        Assert.Equal("allowed", await Verdict(admin, "tcp 198.18.0.1:40000 > 198.18.0.2:22 syn"));
        Assert.Equal("dropped", await Verdict(other, "tcp 198.18.5.7:40000 > 198.18.0.2:22 syn"));

        await _client.PutJson($"v2.0/address-groups/{addresses}/add_addresses", """{"addresses": ["198.18.5.0/24"]}""");
        Assert.Equal("allowed", await Verdict(other, "tcp 198.18.5.7:40000 > 198.18.0.2:22 syn"));
        await _client.PutJson($"v2.0/address-groups/{addresses}/remove_addresses", """{"addresses": ["198.18.0.0/30"]}""");
        Assert.Equal("dropped", await Verdict(admin, "tcp 198.18.0.1:40000 > 198.18.0.2:22 syn"));

        Http.AssertError(await _client.DeleteJson($"v2.0/address-groups/{addresses}"), HttpStatusCode.Conflict, "AddressGroupInUse");
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/security-group-rules/{rule["id"]}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/address-groups/{addresses}")).Status);
    }

    [Fact]
    public async Task AddressGroupsAndTheirRules_SurviveARestart()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-ag-").FullName;
        try
        {
            string ruleId, groupId;
            await using (var first = await ApiHost.StartAsync(dir))
            {
                using var client = first.Client();
                groupId = (string)(await client.CreateAsync("address-groups", "address_group", """{"address_group": {"name": "a", "addresses": ["198.18.0.0/24"]}}"""))["id"]!;
                var sg = (string)(await client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}"""))["id"]!;
                ruleId = (string)(await client.CreateAsync("security-group-rules", "security_group_rule",
                    $$$"""{"security_group_rule": {"security_group_id": "{{{sg}}}", "direction": "ingress", "remote_address_group_id": "{{{groupId}}}"}}"""))["id"]!;
            }
            await using var second = await ApiHost.StartAsync(dir);
            using var again = second.Client();
            Assert.Equal("""["198.18.0.0/24"]""", (await again.GetJson($"v2.0/address-groups/{groupId}")).Body!["address_group"]!["addresses"]!.ToJsonString());
            Assert.Equal(groupId, (string)(await again.GetJson($"v2.0/security-group-rules/{ruleId}")).Body!["security_group_rule"]!["remote_address_group_id"]!);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private async Task<string> Port(string net, string name, string ip, string? group)
    {
        var groups = group is null ? "" : $$$""", "security_groups": ["{{{group}}}"]""";
        return (string)(await _client.CreateAsync("ports", "port",
            $$$"""{"port": {"name": "{{{name}}}", "network_id": "{{{net}}}", "fixed_ips": [{"ip_address": "{{{ip}}}"}], "binding:profile": {"device": "memory:{{{name}}}"}{{{groups}}}}}"""))["id"]!;
    }

    private async Task<string> Verdict(string from, string packet)
    {
        var (status, body) = await _client.PostJson("/v2.0/vswitch/trace", new JsonObject { ["port_id"] = from, ["packet"] = packet }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        return (string)body!["trace"]!["verdict"]!;
    }
}
