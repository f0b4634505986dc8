using System.Net;

namespace VSwitch.Api.Tests;

public sealed class NetworksApiTests : ApiHostTest
{
    [Fact]
    public async Task Create_List_Show_Update_Delete_RoundTrip()
    {
        var created = await _client.CreateAsync("networks", "network", """{"network": {"name": "lab", "description": "d"}}""");
        var id = (string)created["id"]!;
        Assert.Equal(("lab", "admin", "admin", true, 0L), ((string)created["name"]!, (string)created["project_id"]!,
            (string)created["tenant_id"]!, (bool)created["admin_state_up"]!, (long)created["revision_number"]!));

        var list = await _client.GetJson("v2.0/networks");
        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Single(list.Body!["networks"]!.AsArray(), n => (string)n!["id"]! == id);

        var show = await _client.GetJson($"v2.0/networks/{id}");
        Assert.Equal("lab", (string)show.Body!["network"]!["name"]!);

        var updated = await _client.PutJson($"v2.0/networks/{id}", """{"network": {"name": "lab2", "admin_state_up": false}}""");
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal(("lab2", "DOWN", 1L), ((string)updated.Body!["network"]!["name"]!, (string)updated.Body["network"]!["status"]!,
            (long)updated.Body["network"]!["revision_number"]!));

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/networks/{id}")).Status);
        Http.AssertError(await _client.GetJson($"v2.0/networks/{id}"), HttpStatusCode.NotFound, "NetworkNotFound");
    }

    [Fact]
    public async Task MtuAndVlanTransparent_AsNeutronsNetMtuWritableAndVlanTransparentExtensions()
    {
        var plain = await _client.CreateAsync("networks", "network", """{"network": {"name": "plain"}}""");
        Assert.Equal((1500, false), ((int)plain["mtu"]!, (bool)plain["vlan_transparent"]!));
        var jumbo = await _client.CreateAsync("networks", "network", """{"network": {"name": "jumbo", "mtu": 9000, "vlan_transparent": true}}""");
        Assert.Equal((9000, true), ((int)jumbo["mtu"]!, (bool)jumbo["vlan_transparent"]!));

        var id = (string)plain["id"]!;
        var updated = await _client.PutJson($"v2.0/networks/{id}", """{"network": {"mtu": 1400}}""");
        Assert.Equal(1400, (int)updated.Body!["network"]!["mtu"]!);
        Http.AssertError(await _client.PutJson($"v2.0/networks/{id}", """{"network": {"vlan_transparent": true}}"""), HttpStatusCode.BadRequest, "HTTPBadRequest");
        Http.AssertError(await _client.PostJson("v2.0/networks", """{"network": {"name": "x", "mtu": 67}}"""), HttpStatusCode.BadRequest, "InvalidInput");
        Http.AssertError(await _client.PostJson("v2.0/networks", """{"network": {"name": "x", "mtu": 9217}}"""), HttpStatusCode.BadRequest, "InvalidInput");
        Http.AssertError(await _client.PostJson("v2.0/networks", """{"network": {"name": "x", "mtu": "big"}}"""), HttpStatusCode.BadRequest, "HTTPBadRequest");
        Assert.Equal(1400, (int)(await _client.GetJson($"v2.0/networks/{id}")).Body!["network"]!["mtu"]!);

        var extensions = await _client.GetJson("v2.0/extensions");
        var aliases = extensions.Body!["extensions"]!.AsArray().Select(e => (string)e!["alias"]!).ToList();
        Assert.Contains("net-mtu-writable", aliases);
        Assert.Contains("vlan-transparent", aliases);
    }

    [Fact]
    public async Task List_FiltersAndFields_SelectAndReduce()
    {
        await _client.CreateAsync("networks", "network", """{"network": {"name": "a"}}""");
        await _client.CreateAsync("networks", "network", """{"network": {"name": "b", "admin_state_up": false}}""");
        await _client.CreateAsync("networks", "network", """{"network": {"name": "c"}}""");

        var byName = await _client.GetJson("v2.0/networks?name=a&name=c&fields=name&fields=id");
        var names = byName.Body!["networks"]!.AsArray().Select(n => (string)n!["name"]!).Order().ToList();
        Assert.Equal(["a", "c"], names);
        Assert.All(byName.Body["networks"]!.AsArray(), n => Assert.Equal(2, n!.AsObject().Count));

        var down = await _client.GetJson("v2.0/networks?admin_state_up=False");
        Assert.Equal("b", (string)down.Body!["networks"]!.AsArray().Single()!["name"]!);

        Http.AssertError(await _client.GetJson("v2.0/networks?colour=red"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Show_NameOrUnknownId_Is404()
    {
        Http.AssertError(await _client.GetJson("v2.0/networks/lab"), HttpStatusCode.NotFound, "NetworkNotFound");
        Http.AssertError(await _client.GetJson($"v2.0/networks/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "NetworkNotFound");
        Http.AssertError(await _client.DeleteJson($"v2.0/networks/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "NetworkNotFound");
    }

    [Theory]
    [InlineData("""{"network": {"name": "x", "colour": "red"}}""", "colour")]
    [InlineData("""{"network": {"name": 5}}""", "name")]
    [InlineData("""{"network": {"admin_state_up": "maybe"}}""", "admin_state_up")]
    [InlineData("""{"networks": {}}""", "network")]
    [InlineData("""{"network": {"name": "x"}""", "Malformed")]
    [InlineData("""[1, 2]""", "network")]
    public async Task Create_BadInput_Is400NamingTheFieldAndChangesNothing(string json, string named)
    {
        var before = _host.Models.Current;
        var message = Http.AssertError(await _client.PostJson("v2.0/networks", json), HttpStatusCode.BadRequest);
        Assert.Contains(named, message);
        Assert.Same(before, _host.Models.Current);
    }

    [Fact]
    public async Task Create_OversizedBody_Is400()
    {
        var json = "{\"network\": {\"name\": \"" + new string('x', 2 << 20) + "\"}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "v2.0/networks") { Content = new StringContent(json) };
        request.Headers.ExpectContinue = true;
        using var response = await _client.SendAsync(request);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync());
        var message = Http.AssertError((response.StatusCode, body), HttpStatusCode.BadRequest);
        Assert.Contains("larger than", message);
        Assert.Empty(_host.Models.Current.Networks);
    }

    [Fact]
    public async Task Delete_NetworkWithPorts_Is409()
    {
        var net = await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
        await _client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{net["id"]}}}"}}""");
        Http.AssertError(await _client.DeleteJson($"v2.0/networks/{net["id"]}"), HttpStatusCode.Conflict, "NetworkInUse");
    }

    [Fact]
    public async Task Discovery_VersionsAndExtensions()
    {
        var versions = await _client.GetJson("");
        Assert.Equal("v2.0", (string)versions.Body!["versions"]![0]!["id"]!);
        var extensions = await _client.GetJson("v2.0/extensions");
        var aliases = extensions.Body!["extensions"]!.AsArray().Select(e => (string)e!["alias"]!).ToList();
        Assert.Contains("security-group", aliases);
        Assert.Contains("port-security", aliases);
        Assert.Contains("allowed-address-pairs", aliases);
        Assert.Contains("binding", aliases);
        Assert.Contains("standard-attr-revisions", aliases);
        Assert.Equal(HttpStatusCode.OK, (await _client.GetJson("v2.0/extensions/binding")).Status);
        Http.AssertError(await _client.GetJson("v2.0/extensions/qos"), HttpStatusCode.NotFound);
        Http.AssertError(await _client.GetJson("v2.0/qos/policies"), HttpStatusCode.NotFound);
    }
}
