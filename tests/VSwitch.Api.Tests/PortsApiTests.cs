using System.Net;
using System.Text.Json.Nodes;
using VSwitch.Control.Model;

namespace VSwitch.Api.Tests;

public sealed class PortsApiTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private string _net = "";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _client = _host.Client();
        _net = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private Task<JsonObject> Port(string name, string extra = "") =>
        _client.CreateAsync("ports", "port", $$$"""{"port": {"name": "{{{name}}}", "network_id": "{{{_net}}}"{{{extra}}}}}""");

    [Fact]
    public async Task Create_WithDeviceAndAddresses_IsActiveWithDefaultGroup()
    {
        var port = await Port("web", """, "binding:profile": {"device": "memory:web"}, "mac_address": "fa:16:3e:00:00:11", "fixed_ips": [{"ip_address": "198.18.0.11"}], "allowed_address_pairs": [{"ip_address": "198.18.5.0/24"}]""");
        Assert.Equal("ACTIVE", (string)port["status"]!);
        Assert.Equal("memory:web", (string)port["binding:profile"]!["device"]!);
        Assert.Equal("198.18.0.11", (string)port["fixed_ips"]![0]!["ip_address"]!);
        Assert.Equal(("198.18.5.0/24", "fa:16:3e:00:00:11"), ((string)port["allowed_address_pairs"]![0]!["ip_address"]!, (string)port["allowed_address_pairs"]![0]!["mac_address"]!));
        var defaultGroup = _host.Models.Current.DefaultGroupOf(ProjectId.Parse("admin"))!;
        Assert.Equal(defaultGroup.Id.ToString(), (string)port["security_groups"]![0]!);
        Assert.True((bool)port["port_security_enabled"]!);
        Assert.True(_host.Reconciler.SlotOf(Guid.Parse((string)port["id"]!)) >= 0);
        // binding:vif_details says how the switch runs the open port: one queue per worker, nothing to explain.
        Assert.Equal("""{"queues":"1"}""", port["binding:vif_details"]!.ToJsonString());
        Assert.Equal("vswitch", (string)port["binding:vif_type"]!);
    }

    [Fact]
    public async Task Create_WithoutDevice_IsDown()
    {
        var port = await Port("idle");
        Assert.Equal("DOWN", (string)port["status"]!);
        Assert.Empty(port["binding:profile"]!.AsObject());
        Assert.Equal("""{"status_reason":"no device: set binding:profile device"}""", port["binding:vif_details"]!.ToJsonString());
        Assert.Equal("unbound", (string)port["binding:vif_type"]!);
    }

    [Fact]
    public async Task ConntrackLimit_TravelsInTheBindingProfile_AndAProfileWithoutItGoesBackToTheDefault()
    {
        var port = await Port("limited", """, "binding:profile": {"device": "memory:limited", "conntrack_limit": 100}""");
        var id = (string)port["id"]!;
        Assert.Equal("""{"device":"memory:limited","conntrack_limit":100}""", port["binding:profile"]!.ToJsonString());
        Assert.Equal(100, _host.Models.Current.Ports[Guid.Parse(id)].ConntrackLimit);

        // The OpenStack CLI sends profile values as strings; 0 is "no limit".
        var set = await _client.PutJson($"v2.0/ports/{id}", """{"port": {"binding:profile": {"device": "memory:limited", "conntrack_limit": "0"}}}""");
        Assert.Equal(HttpStatusCode.OK, set.Status);
        Assert.Equal(0, (int)set.Body!["port"]!["binding:profile"]!["conntrack_limit"]!);

        // Other updates keep it; a profile without it (the profile is replaced whole) gives the switch's default.
        Assert.Equal(HttpStatusCode.OK, (await _client.PutJson($"v2.0/ports/{id}", """{"port": {"name": "renamed"}}""")).Status);
        Assert.Equal(0, _host.Models.Current.Ports[Guid.Parse(id)].ConntrackLimit);
        set = await _client.PutJson($"v2.0/ports/{id}", """{"port": {"binding:profile": {"device": "memory:limited"}}}""");
        Assert.Equal("""{"device":"memory:limited"}""", set.Body!["port"]!["binding:profile"]!.ToJsonString());
        Assert.Null(_host.Models.Current.Ports[Guid.Parse(id)].ConntrackLimit);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("\"-5\"")]
    [InlineData("268435457")]
    [InlineData("\"many\"")]
    [InlineData("1.5")]
    [InlineData("[]")]
    public async Task ConntrackLimit_OutOfRangeOrNotAnInteger_Is400_AndChangesNothing(string value)
    {
        var port = await Port("limited", """, "binding:profile": {"device": "memory:limited", "conntrack_limit": 7}""");
        var id = (string)port["id"]!;
        var refused = await _client.PutJson($"v2.0/ports/{id}", $$$$"""{"port": {"name": "x", "binding:profile": {"device": "memory:other", "conntrack_limit": {{{{value}}}}}}}""");
        Http.AssertError(refused, HttpStatusCode.BadRequest, "HTTPBadRequest");
        var kept = _host.Models.Current.Ports[Guid.Parse(id)];
        Assert.Equal((7, "memory:limited", "limited"), (kept.ConntrackLimit, kept.Device, kept.Name));
        var created = await _client.PostJson("v2.0/ports", $$$$"""{"port": {"network_id": "{{{{_net}}}}", "binding:profile": {"conntrack_limit": {{{{value}}}}}}}""");
        Http.AssertError(created, HttpStatusCode.BadRequest, "HTTPBadRequest");
    }

    [Fact]
    public async Task Show_PortWhoseDeviceNoFactoryOpens_IsErrorAndSaysWhy()
    {
        // A well-formed TAP device string, accepted by the API; this host opens only memory ports, so it cannot open it.
        var port = await Port("broken", """, "binding:profile": {"device": "tap:vswnone0@vsw-no-such-ns"}""");
        Assert.Equal("ERROR", (string)port["status"]!);
        var reason = (string)port["binding:vif_details"]!["status_reason"]!;
        Assert.Contains("vsw-no-such-ns", reason);
        Assert.Null(port["binding:vif_details"]!["queues"]);
        Assert.Equal("binding_failed", (string)port["binding:vif_type"]!);
    }

    [Fact]
    public async Task Update_GroupsAddressesAndPortSecurity()
    {
        var port = await Port("p", """, "fixed_ips": [{"ip_address": "198.18.0.2"}]""");
        var id = (string)port["id"]!;
        var group = await _client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "web"}}""");

        var set = await _client.PutJson($"v2.0/ports/{id}", $$$"""{"port": {"security_groups": ["{{{group["id"]}}}"], "fixed_ips": [{"ip_address": "198.18.0.3"}], "name": "p2"}}""");
        Assert.Equal(HttpStatusCode.OK, set.Status);
        Assert.Equal((string)group["id"]!, (string)set.Body!["port"]!["security_groups"]![0]!);
        Assert.Equal("198.18.0.3", (string)set.Body["port"]!["fixed_ips"]![0]!["ip_address"]!);
        Assert.Equal(1L, (long)set.Body["port"]!["revision_number"]!);

        Http.AssertError(await _client.PutJson($"v2.0/ports/{id}", """{"port": {"port_security_enabled": false}}"""),
            HttpStatusCode.Conflict, "PortSecurityPortHasSecurityGroup");
        var off = await _client.PutJson($"v2.0/ports/{id}", """{"port": {"port_security_enabled": false, "security_groups": []}}""");
        Assert.Equal(HttpStatusCode.OK, off.Status);
        Assert.False((bool)off.Body!["port"]!["port_security_enabled"]!);

        Http.AssertError(await _client.PutJson($"v2.0/ports/{id}", $$$"""{"port": {"network_id": "{{{Guid.NewGuid()}}}"}}"""), HttpStatusCode.BadRequest);

        var listed = await _client.GetJson($"v2.0/ports?network_id={_net}&fixed_ips=ip_address%3D198.18.0.3");
        Assert.Equal(id, (string)listed.Body!["ports"]!.AsArray().Single()!["id"]!);
    }

    [Fact]
    public async Task Create_Conflicts_Are409()
    {
        await Port("a", """, "mac_address": "fa:16:3e:00:00:21", "fixed_ips": [{"ip_address": "198.18.0.21"}], "binding:profile": {"device": "memory:a"}""");
        Http.AssertError(await _client.PostJson("v2.0/ports", $$$"""{"port": {"network_id": "{{{_net}}}", "mac_address": "fa:16:3e:00:00:21"}}"""),
            HttpStatusCode.Conflict, "MacAddressInUse");
        Http.AssertError(await _client.PostJson("v2.0/ports", $$$"""{"port": {"network_id": "{{{_net}}}", "fixed_ips": [{"ip_address": "198.18.0.21"}]}}"""),
            HttpStatusCode.Conflict, "IpAddressInUse");
    }

    [Theory]
    [InlineData("""{"port": {"network_id": "NET", "mac_address": "zz:zz"}}""", "mac_address")]
    [InlineData("""{"port": {"network_id": "NET", "fixed_ips": [{"ip_address": "198.18.0.300"}]}}""", "fixed_ips")]
    [InlineData("""{"port": {"network_id": "NET", "fixed_ips": [{"ip_address": "198.18.0.3", "subnet_id": "x"}]}}""", "fixed_ips")]
    [InlineData("""{"port": {"network_id": "not-a-uuid"}}""", "network_id")]
    [InlineData("""{"port": {"name": "x"}}""", "network_id")]
    [InlineData("""{"port": {"network_id": "NET", "binding:profile": {"device": "tap:bad name"}}}""", "binding:profile")]
    [InlineData("""{"port": {"network_id": "NET", "binding:profile": {"host": "h"}}}""", "host")]
    [InlineData("""{"port": {"network_id": "NET", "security_groups": "x"}}""", "security_groups")]
    [InlineData("""{"port": {"network_id": "NET", "allowed_address_pairs": [{"ip_address": "not-an-ip"}]}}""", "not-an-ip")]
    public async Task Create_BadInput_Is400NamingTheField(string json, string named)
    {
        var before = _host.Models.Current;
        var message = Http.AssertError(await _client.PostJson("v2.0/ports", json.Replace("NET", _net)), HttpStatusCode.BadRequest);
        Assert.Contains(named, message);
        Assert.Same(before, _host.Models.Current);
    }

    /// <summary>
    /// The API stores exactly the devices the backend accepts, and refuses the rest with the backend's own message
    /// (the port types' parser is the only one). The first cases are ones the API used to accept and the backend
    /// refused. Accepted TAP and AF_PACKET devices name a namespace that does not exist, so nothing is created; the
    /// accepted vhost-user socket goes with the host.
    /// </summary>
    [Theory]
    [InlineData("tap:a!b")]
    [InlineData("tap:vswapi0@an-extremely-long-namespace-name-of-more-than-sixty-four-characters-abc")]
    [InlineData("tap:vswapi0@a:b")]
    [InlineData("tap:vswapi0@ns?io=uring&io=uring")]
    [InlineData("afpacket:vswapi0@ns")]
    [InlineData("tap:")]
    [InlineData("tap:vswapi0?io=")]
    [InlineData("memory:")]
    [InlineData("memory:a b")]
    [InlineData("vhost:x")]
    [InlineData("vhostuser:relative/vm.sock")]
    [InlineData("vhostuser:/tmp/vm.sock?mode=bogus")]
    [InlineData("vhostuser:/tmp/vswitch-api-test-vm0.sock")]
    [InlineData("bogus")]
    [InlineData("tap:vswapi1@vsw-no-such-ns")]
    [InlineData("tap:vswapi2@vsw-no-such-ns?io=syscalls")]
    [InlineData("afpacket:vswapi3?rx=v3")]
    [InlineData("memory")]
    [InlineData("memory:m1")]
    public async Task Create_Device_IsRefusedExactlyWhenTheBackendRefusesIt_WithItsMessage(string device)
    {
        var accepted = VSwitch.Daemon.Hosting.DaemonPortTypes.All.TryParse(device, out _, out var error);
        var json = new JsonObject { ["port"] = new JsonObject { ["network_id"] = _net, ["binding:profile"] = new JsonObject { ["device"] = device } } };
        var answer = await _client.PostJson("v2.0/ports", json.ToJsonString());
        if (accepted)
        {
            Assert.Equal(HttpStatusCode.Created, answer.Status);
            Assert.Equal(device, (string)answer.Body!["port"]!["binding:profile"]!["device"]!);
        }
        else
        {
            var message = Http.AssertError(answer, HttpStatusCode.BadRequest, "HTTPBadRequest");
            Assert.Contains("binding:profile", message);
            Assert.Contains(error, message);
        }
    }

    [Fact]
    public async Task Create_UnknownGroupOrNetwork_Is404()
    {
        Http.AssertError(await _client.PostJson("v2.0/ports", $$$"""{"port": {"network_id": "{{{Guid.NewGuid()}}}"}}"""), HttpStatusCode.NotFound, "NetworkNotFound");
        Http.AssertError(await _client.PostJson("v2.0/ports", $$$"""{"port": {"network_id": "{{{_net}}}", "security_groups": ["{{{Guid.NewGuid()}}}"]}}"""),
            HttpStatusCode.NotFound, "SecurityGroupNotFound");
    }

    [Fact]
    public async Task Delete_Port_DetachesIt()
    {
        var port = await Port("gone", """, "binding:profile": {"device": "memory:gone"}""");
        var id = Guid.Parse((string)port["id"]!);
        Assert.True(_host.Reconciler.SlotOf(id) >= 0);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/ports/{id}")).Status);
        Assert.Equal(-1, _host.Reconciler.SlotOf(id));
        Http.AssertError(await _client.GetJson($"v2.0/ports/{id}"), HttpStatusCode.NotFound, "PortNotFound");
    }
}
