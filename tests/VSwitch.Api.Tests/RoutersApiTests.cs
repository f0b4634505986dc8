using System.Net;
using System.Text.Json.Nodes;

namespace VSwitch.Api.Tests;

/// <summary><c>/v2.0/routers</c> over HTTP: the router, its interfaces (ports it owns) and its extra routes.</summary>
public sealed class RoutersApiTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync();
        _client = _host.Client();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<string> Network(string name) =>
        (string)(await _client.CreateAsync("networks", "network", $$$"""{"network": {"name": "{{{name}}}"}}"""))["id"]!;

    private async Task<string> Subnet(string network, string cidr, string extra = "") =>
        (string)(await _client.CreateAsync("subnets", "subnet", $$$"""{"subnet": {"network_id": "{{{network}}}", "ip_version": 4, "cidr": "{{{cidr}}}"{{{extra}}}}}"""))["id"]!;

    private async Task<string> Router(string name = "r") =>
        (string)(await _client.CreateAsync("routers", "router", $$$"""{"router": {"name": "{{{name}}}"}}"""))["id"]!;

    private Task<(HttpStatusCode Status, JsonNode? Body)> AddInterface(string router, string body) =>
        _client.PutJson($"v2.0/routers/{router}/add_router_interface", body);

    private Task<(HttpStatusCode Status, JsonNode? Body)> RemoveInterface(string router, string body) =>
        _client.PutJson($"v2.0/routers/{router}/remove_router_interface", body);

    [Fact]
    public async Task Router_CreateShowListUpdateDelete_InNeutronsShape()
    {
        var created = await _client.CreateAsync("routers", "router", """{"router": {"name": "edge", "description": "d", "admin_state_up": true}}""");
        var id = (string)created["id"]!;
        Assert.Equal(("edge", "d", true, "ACTIVE"), ((string)created["name"]!, (string)created["description"]!, (bool)created["admin_state_up"]!, (string)created["status"]!));
        Assert.Null(created["external_gateway_info"]);
        Assert.Equal("[]", created["routes"]!.ToJsonString());
        Assert.Equal(id, (string)(await _client.GetJson("v2.0/routers?name=edge")).Body!["routers"]!.AsArray().Single()!["id"]!);
        var set = await _client.PutJson($"v2.0/routers/{id}", """{"router": {"name": "core", "admin_state_up": false}}""");
        Assert.Equal(("core", false, 1L), ((string)set.Body!["router"]!["name"]!, (bool)set.Body["router"]!["admin_state_up"]!, (long)set.Body["router"]!["revision_number"]!));
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/routers/{id}")).Status);
        Http.AssertError(await _client.GetJson($"v2.0/routers/{id}"), HttpStatusCode.NotFound, "RouterNotFound");
        Assert.Contains("router", (await _client.GetJson("v2.0/extensions")).Body!["extensions"]!.AsArray().Select(e => (string)e!["alias"]!));
    }

    [Fact]
    public async Task InterfaceBySubnet_IsAPortAtTheGateway_OwnedByTheRouter_UntilRemoved()
    {
        var net = await Network("a");
        var subnet = await Subnet(net, "198.18.10.0/24");
        var router = await Router();
        var added = await AddInterface(router, $$"""{"subnet_id": "{{subnet}}"}""");
        Assert.Equal(HttpStatusCode.OK, added.Status);
        Assert.Equal((router, subnet, net), ((string)added.Body!["id"]!, (string)added.Body["subnet_id"]!, (string)added.Body["network_id"]!));
        var portId = (string)added.Body["port_id"]!;

        // What `openstack router show` asks for its interfaces.
        var port = (await _client.GetJson($"v2.0/ports?device_id={router}")).Body!["ports"]!.AsArray().Single()!;
        Assert.Equal((portId, "network:router_interface", "ACTIVE", false), ((string)port["id"]!, (string)port["device_owner"]!, (string)port["status"]!, (bool)port["port_security_enabled"]!));
        Assert.Equal($$"""[{"subnet_id":"{{subnet}}","ip_address":"198.18.10.1"}]""", port["fixed_ips"]!.ToJsonString());

        Http.AssertError(await _client.DeleteJson($"v2.0/ports/{portId}"), HttpStatusCode.Conflict, "ServicePortInUse");
        Http.AssertError(await _client.DeleteJson($"v2.0/routers/{router}"), HttpStatusCode.Conflict, "RouterInUse");
        Http.AssertError(await _client.DeleteJson($"v2.0/subnets/{subnet}"), HttpStatusCode.Conflict, "SubnetInUse");
        Http.AssertError(await _client.PutJson($"v2.0/ports/{portId}", """{"port": {"binding:profile": {"device": "memory:x"}}}"""), HttpStatusCode.BadRequest);
        Http.AssertError(await AddInterface(router, $$"""{"subnet_id": "{{subnet}}"}"""), HttpStatusCode.BadRequest);

        var removed = await RemoveInterface(router, $$"""{"subnet_id": "{{subnet}}"}""");
        Assert.Equal((HttpStatusCode.OK, portId), (removed.Status, (string)removed.Body!["port_id"]!));
        Http.AssertError(await _client.GetJson($"v2.0/ports/{portId}"), HttpStatusCode.NotFound, "PortNotFound");
        Http.AssertError(await RemoveInterface(router, $$"""{"subnet_id": "{{subnet}}"}"""), HttpStatusCode.NotFound, "RouterInterfaceNotFoundForSubnet");
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/routers/{router}")).Status);
    }

    [Fact]
    public async Task RemovingOneSubnet_OfAPortThatRoutesAnIpv4AndAnIpv6One_TakesOnlyThatAddressOff()
    {
        var a = await Network("a");
        var first = await Subnet(a, "198.18.10.0/24");
        var second = (string)(await _client.CreateAsync("subnets", "subnet",
            $$$"""{"subnet": {"network_id": "{{{a}}}", "ip_version": 6, "cidr": "2001:db8:11::/64"}}"""))["id"]!;
        var router = await Router();
        var port = (string)(await _client.CreateAsync("ports", "port",
            $$$"""{"port": {"network_id": "{{{a}}}", "fixed_ips": [{"ip_address": "198.18.10.254"}, {"ip_address": "2001:db8:11::fe"}]}}"""))["id"]!;
        Assert.Equal(HttpStatusCode.OK, (await AddInterface(router, $$"""{"port_id": "{{port}}"}""")).Status);

        var removed = await RemoveInterface(router, $$"""{"subnet_id": "{{first}}"}""");
        Assert.Equal((HttpStatusCode.OK, port, first), (removed.Status, (string)removed.Body!["port_id"]!, (string)removed.Body["subnet_id"]!));
        var kept = (await _client.GetJson($"v2.0/ports/{port}")).Body!["port"]!;
        Assert.Equal(["2001:db8:11::fe"], kept["fixed_ips"]!.AsArray().Select(ip => (string)ip!["ip_address"]!));
        Assert.Equal(router, (string)kept["device_id"]!);
        // The router routes the other subnet still; its last subnet then takes the port with it.
        Http.AssertError(await RemoveInterface(router, $$"""{"subnet_id": "{{first}}"}"""), HttpStatusCode.NotFound, "RouterInterfaceNotFoundForSubnet");
        Assert.Equal(HttpStatusCode.OK, (await RemoveInterface(router, $$"""{"subnet_id": "{{second}}"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetJson($"v2.0/ports/{port}")).Status);

        // By port, even with a subnet named, the port goes with all its subnets (Neutron's remove by port).
        var again = (string)(await _client.CreateAsync("ports", "port",
            $$$"""{"port": {"network_id": "{{{a}}}", "fixed_ips": [{"ip_address": "198.18.10.253"}, {"ip_address": "2001:db8:11::fd"}]}}"""))["id"]!;
        Assert.Equal(HttpStatusCode.OK, (await AddInterface(router, $$"""{"port_id": "{{again}}"}""")).Status);
        Assert.Equal(HttpStatusCode.OK, (await RemoveInterface(router, $$"""{"port_id": "{{again}}", "subnet_id": "{{first}}"}""")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await _client.GetJson($"v2.0/ports/{again}")).Status);
    }

    [Fact]
    public async Task InterfaceByPort_TakesAnUnusedPort_AndRefusesAttachedOnesAndOverlaps()
    {
        var a = await Network("a");
        var b = await Network("b");
        var subnetA = await Subnet(a, "198.18.10.0/24");
        var subnetB = await Subnet(b, "198.18.10.0/25");
        var router = await Router();
        var free = await _client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{a}}}", "fixed_ips": [{"ip_address": "198.18.10.254"}]}}""");
        var attached = await _client.CreateAsync("ports", "port", $$$$"""{"port": {"network_id": "{{{{a}}}}", "binding:profile": {"device": "memory:vm"}}}""");
        Http.AssertError(await AddInterface(router, $$"""{"port_id": "{{attached["id"]}}"}"""), HttpStatusCode.Conflict, "PortInUse");
        Http.AssertError(await AddInterface(router, $$"""{"port_id": "{{free["id"]}}", "subnet_id": "{{subnetA}}"}"""), HttpStatusCode.BadRequest);
        Http.AssertError(await AddInterface(router, "{}"), HttpStatusCode.BadRequest);

        var added = await AddInterface(router, $$"""{"port_id": "{{free["id"]}}"}""");
        Assert.Equal((HttpStatusCode.OK, subnetA), (added.Status, (string)added.Body!["subnet_id"]!));
        var port = (await _client.GetJson($"v2.0/ports/{free["id"]}")).Body!["port"]!;
        Assert.Equal((router, "network:router_interface"), ((string)port["device_id"]!, (string)port["device_owner"]!));
        Assert.Empty(port["security_groups"]!.AsArray());

        var overlap = Http.AssertError(await AddInterface(router, $$"""{"subnet_id": "{{subnetB}}"}"""), HttpStatusCode.BadRequest);
        Assert.Contains("overlaps", overlap, StringComparison.Ordinal);
        // A second router cannot take the first one's port either.
        Http.AssertError(await AddInterface(await Router("r2"), $$"""{"port_id": "{{free["id"]}}"}"""), HttpStatusCode.Conflict, "PortInUse");

        Http.AssertError(await RemoveInterface(router, $$"""{"port_id": "{{attached["id"]}}"}"""), HttpStatusCode.NotFound, "RouterInterfaceNotFound");
        Assert.Equal(HttpStatusCode.OK, (await RemoveInterface(router, $$"""{"port_id": "{{free["id"]}}"}""")).Status);
        Http.AssertError(await _client.GetJson($"v2.0/ports/{free["id"]}"), HttpStatusCode.NotFound, "PortNotFound");
    }

    [Fact]
    public async Task Routes_NeedAConnectedNextHop_AndKeepTheirInterface()
    {
        var net = await Network("a");
        var subnet = await Subnet(net, "198.18.10.0/24");
        var router = await Router();
        Http.AssertError(await _client.PutJson($"v2.0/routers/{router}", """{"router": {"routes": [{"destination": "198.19.0.0/16", "nexthop": "198.18.10.9"}]}}"""),
            HttpStatusCode.BadRequest, "InvalidRoutes");
        Assert.Equal(HttpStatusCode.OK, (await AddInterface(router, $$"""{"subnet_id": "{{subnet}}"}""")).Status);
        Http.AssertError(await _client.PutJson($"v2.0/routers/{router}", """{"router": {"routes": [{"destination": "198.19.0.0/16", "nexthop": "198.18.10.1"}]}}"""),
            HttpStatusCode.BadRequest, "InvalidRoutes");
        Http.AssertError(await _client.PutJson($"v2.0/routers/{router}", """{"router": {"routes": [{"destination": "nowhere", "nexthop": "198.18.10.9"}]}}"""),
            HttpStatusCode.BadRequest, "InvalidRoutes");
        var set = await _client.PutJson($"v2.0/routers/{router}", """{"router": {"routes": [{"destination": "198.19.0.0/16", "nexthop": "198.18.10.9"}]}}""");
        Assert.Equal("""[{"destination":"198.19.0.0/16","nexthop":"198.18.10.9"}]""", set.Body!["router"]!["routes"]!.ToJsonString());
        var more = await _client.PutJson($"v2.0/routers/{router}/add_extraroutes", """{"router": {"routes": [{"destination": "198.18.200.0/24", "nexthop": "198.18.10.10"}]}}""");
        Assert.Equal(2, more.Body!["router"]!["routes"]!.AsArray().Count);

        Http.AssertError(await RemoveInterface(router, $$"""{"subnet_id": "{{subnet}}"}"""), HttpStatusCode.Conflict, "RouterInterfaceInUseByRoute");
        var fewer = await _client.PutJson($"v2.0/routers/{router}/remove_extraroutes", """{"router": {"routes": [{"destination": "198.19.0.0/16", "nexthop": "198.18.10.9"}, {"destination": "198.18.200.0/24", "nexthop": "198.18.10.10"}]}}""");
        Assert.Equal("[]", fewer.Body!["router"]!["routes"]!.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, (await RemoveInterface(router, $$"""{"subnet_id": "{{subnet}}"}""")).Status);
    }

    [Fact]
    public async Task Trace_ToAnotherSubnet_GoesThroughTheGateway_AndShowsTheRoutingStep()
    {
        var a = await Network("a");
        var b = await Network("b");
        var router = await Router();
        foreach (var (net, cidr) in new[] { (a, "198.18.10.0/24"), (b, "198.18.11.0/24") })
        {
            Assert.Equal(HttpStatusCode.OK, (await AddInterface(router, $$"""{"subnet_id": "{{await Subnet(net, cidr)}}"}""")).Status);
        }
        var from = await _client.CreateAsync("ports", "port", $$$$"""{"port": {"network_id": "{{{{a}}}}", "port_security_enabled": false, "binding:profile": {"device": "memory:ta"}}}""");
        var to = await _client.CreateAsync("ports", "port", $$$$"""{"port": {"network_id": "{{{{b}}}}", "port_security_enabled": false, "binding:profile": {"device": "memory:tb"}}}""");
        var destination = (string)to["fixed_ips"]![0]!["ip_address"]!;
        var (status, body) = await _client.PostJson("/v2.0/vswitch/trace",
            new JsonObject { ["port_id"] = (string)from["id"]!, ["packet"] = $"udp {(string)from["fixed_ips"]![0]!["ip_address"]!}:5000 > {destination}:53" }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var trace = body!["trace"]!;
        Assert.Equal(("allowed", (string)to["id"]!), ((string)trace["verdict"]!, (string)trace["delivered_to"]![0]!));
        var routed = trace["steps"]!.AsArray().Single(s => (string)s!["stage"]! == "l3")!;
        Assert.Equal("routed", (string)routed["result"]!);
        Assert.Contains("router r", (string)routed["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TurningSnatOff_RemovesTheGatewaysBindings()
    {
        var ext = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "ext", "router:external": true}}"""))["id"]!;
        await Subnet(ext, "198.18.90.0/24");
        var router = await _client.CreateAsync("routers", "router", $$$$"""{"router": {"name": "edge", "external_gateway_info": {"network_id": "{{{{ext}}}}"}}}""");
        var snapshot = _host.Datapath.Publisher.Current;
        var edge = Assert.Single(snapshot.Routers)!;
        Assert.Equal(0xC612_5A02u, edge.SnatIpv4);
        // A connection of an inside VM, as the data path binds it.
        var udp = new byte[14 + 20 + 8];
        udp[12] = 0x08;
        udp[14] = 0x45;
        udp[14 + 3] = 28;
        udp[14 + 8] = 64;
        udp[14 + 9] = 17;
        new byte[] { 10, 0, 0, 5, 198, 19, 0, 10 }.CopyTo(udp, 14 + 12);
        udp[14 + 20] = 0x13;
        udp[14 + 22] = 0x00;
        udp[14 + 23] = 53;
        udp[14 + 25] = 8;
        Assert.Equal(Packets.ParseError.None, Packets.PacketParser.Parse(udp, out var parsed));
        Assert.Equal(Dataplane.Conntrack.SnatResult.Translated,
            _host.Datapath.Conntrack.Snat(udp, in parsed, edge.NatZone, edge.SnatIpv4, _host.Datapath.NowMs(), true, out _));
        Assert.Equal(1, _host.Datapath.Conntrack.Count);

        await _client.PutJson($"v2.0/routers/{router["id"]}", $$$$"""{"router": {"external_gateway_info": {"network_id": "{{{{ext}}}}", "enable_snat": false}}}""");
        Assert.Equal(0u, Assert.Single(_host.Datapath.Publisher.Current.Routers)!.SnatIpv4);
        Assert.Equal(0, _host.Datapath.Conntrack.Count);
    }

    [Fact]
    public async Task ExternalGateway_NeedsAnExternalNetwork_SnatByDefault_AndGivesTheRouterAPortThere()
    {
        var internalNet = await Network("int");
        var message = Http.AssertError(await _client.PostJson("v2.0/routers", $$$$"""{"router": {"name": "r", "external_gateway_info": {"network_id": "{{{{internalNet}}}}", "enable_snat": false}}}"""), HttpStatusCode.BadRequest);
        Assert.Contains("not a valid external network", message, StringComparison.Ordinal);
        var ext = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "ext", "router:external": true}}"""))["id"]!;
        var extSubnet = await Subnet(ext, "198.18.90.0/24");
        Assert.Empty(_host.Models.Current.Routers);
        var snat = await _client.CreateAsync("routers", "router", $$$$"""{"router": {"name": "snat", "external_gateway_info": {"network_id": "{{{{ext}}}}"}}}""");
        Assert.True((bool)snat["external_gateway_info"]!["enable_snat"]!);
        Assert.Equal("198.18.90.2", (string)snat["external_gateway_info"]!["external_fixed_ips"]![0]!["ip_address"]!);
        var disabled = await _client.PutJson($"v2.0/routers/{snat["id"]}", $$$$"""{"router": {"external_gateway_info": {"network_id": "{{{{ext}}}}", "enable_snat": false}}}""");
        Assert.False((bool)disabled.Body!["router"]!["external_gateway_info"]!["enable_snat"]!);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/routers/{snat["id"]}")).Status);
        Http.AssertError(await _client.PostJson("v2.0/routers", """{"router": {"name": "r", "colour": "red"}}"""), HttpStatusCode.BadRequest);

        var router = await _client.CreateAsync("routers", "router", $$$$"""{"router": {"name": "edge", "external_gateway_info": {"network_id": "{{{{ext}}}}", "enable_snat": false}}}""");
        var gateway = router["external_gateway_info"]!;
        Assert.Equal((ext, false, extSubnet, "198.18.90.2"), ((string)gateway["network_id"]!, (bool)gateway["enable_snat"]!,
            (string)gateway["external_fixed_ips"]![0]!["subnet_id"]!, (string)gateway["external_fixed_ips"]![0]!["ip_address"]!));
        var port = (await _client.GetJson($"v2.0/ports?device_owner=network:router_gateway")).Body!["ports"]!.AsArray().Single()!;
        Assert.Equal(((string)router["id"]!, "ACTIVE"), ((string)port["device_id"]!, (string)port["status"]!));
        Http.AssertError(await _client.DeleteJson($"v2.0/ports/{port["id"]}"), HttpStatusCode.Conflict, "ServicePortInUse");

        var cleared = await _client.PutJson($"v2.0/routers/{router["id"]}", """{"router": {"external_gateway_info": {}}}""");
        Assert.Null(cleared.Body!["router"]!["external_gateway_info"]);
        Assert.Empty((await _client.GetJson($"v2.0/ports?device_owner=network:router_gateway")).Body!["ports"]!.AsArray());
    }

    [Fact]
    public async Task RoutersInterfacesAndRoutes_SurviveARestart()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-routers-").FullName;
        try
        {
            string router, port;
            await using (var host = await ApiHost.StartAsync(dir))
            {
                using var client = host.Client();
                var net = (string)(await client.CreateAsync("networks", "network", """{"network": {"name": "a"}}"""))["id"]!;
                var subnet = (string)(await client.CreateAsync("subnets", "subnet", $$$"""{"subnet": {"network_id": "{{{net}}}", "ip_version": 4, "cidr": "198.18.10.0/24"}}"""))["id"]!;
                router = (string)(await client.CreateAsync("routers", "router", """{"router": {"name": "kept"}}"""))["id"]!;
                port = (string)(await client.PutJson($"v2.0/routers/{router}/add_router_interface", $$"""{"subnet_id": "{{subnet}}"}""")).Body!["port_id"]!;
                Assert.Equal(HttpStatusCode.OK, (await client.PutJson($"v2.0/routers/{router}", """{"router": {"routes": [{"destination": "198.19.0.0/16", "nexthop": "198.18.10.9"}]}}""")).Status);
            }
            await using (var host = await ApiHost.StartAsync(dir))
            {
                using var client = host.Client();
                var shown = (await client.GetJson($"v2.0/routers/{router}")).Body!["router"]!;
                Assert.Equal(("kept", 1), ((string)shown["name"]!, shown["routes"]!.AsArray().Count));
                var kept = (await client.GetJson($"v2.0/ports/{port}")).Body!["port"]!;
                Assert.Equal((router, "network:router_interface"), ((string)kept["device_id"]!, (string)kept["device_owner"]!));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
