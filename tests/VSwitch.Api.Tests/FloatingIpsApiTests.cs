using System.Net;
using System.Text.Json.Nodes;

namespace VSwitch.Api.Tests;

/// <summary><c>/v2.0/floatingips</c> over HTTP: an external network, a router with a gateway there and an interface on the VMs' subnet.</summary>
public sealed class FloatingIpsApiTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _client = null!;
    private string _ext = "", _router = "", _vm = "", _net = "";
    private readonly string _dir = Directory.CreateTempSubdirectory("vswitch-api-fip-").FullName;

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(_dir);
        _client = _host.Client();
        _ext = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "ext", "router:external": true}}"""))["id"]!;
        await _client.CreateAsync("subnets", "subnet", $$$"""{"subnet": {"network_id": "{{{_ext}}}", "ip_version": 4, "cidr": "198.18.90.0/24"}}""");
        _net = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "int"}}"""))["id"]!;
        var subnet = (string)(await _client.CreateAsync("subnets", "subnet", $$$"""{"subnet": {"network_id": "{{{_net}}}", "ip_version": 4, "cidr": "198.18.91.0/24"}}"""))["id"]!;
        _router = (string)(await _client.CreateAsync("routers", "router", $$$$"""{"router": {"name": "edge", "external_gateway_info": {"network_id": "{{{{_ext}}}}", "enable_snat": false}}}"""))["id"]!;
        Assert.Equal(HttpStatusCode.OK, (await _client.PutJson($"v2.0/routers/{_router}/add_router_interface", $$"""{"subnet_id": "{{subnet}}"}""")).Status);
        _vm = (string)(await _client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{_net}}}", "name": "vm"}}"""))["id"]!;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<JsonObject> Fip(string extra = "") =>
        _client.CreateAsync("floatingips", "floatingip", $$$"""{"floatingip": {"floating_network_id": "{{{_ext}}}"{{{extra}}}}}""");

    [Fact]
    public async Task AFloatingIp_IsAllocated_Associated_Disassociated_AndDeleted()
    {
        var fip = await Fip();
        var id = (string)fip["id"]!;
        Assert.Equal(("198.18.90.3", "DOWN"), ((string)fip["floating_ip_address"]!, (string)fip["status"]!));
        Assert.Null(fip["port_id"]);
        // Its address is held: IPAM gives it to no one else.
        var holder = (await _client.GetJson("v2.0/ports?device_owner=network:floatingip")).Body!["ports"]!.AsArray().Single()!;
        Assert.Equal((id, "198.18.90.3"), ((string)holder["device_id"]!, (string)holder["fixed_ips"]![0]!["ip_address"]!));

        var associated = await _client.PutJson($"v2.0/floatingips/{id}", $$$"""{"floatingip": {"port_id": "{{{_vm}}}"}}""");
        var body = associated.Body!["floatingip"]!;
        Assert.Equal((_vm, "198.18.91.2", _router, "ACTIVE"), ((string)body["port_id"]!, (string)body["fixed_ip_address"]!, (string)body["router_id"]!, (string)body["status"]!));
        Assert.Equal(id, (string)(await _client.GetJson($"v2.0/floatingips?port_id={_vm}")).Body!["floatingips"]![0]!["id"]!);
        Http.AssertError(await _client.PostJson("v2.0/floatingips", $$$"""{"floatingip": {"floating_network_id": "{{{_ext}}}", "port_id": "{{{_vm}}}"}}"""),
            HttpStatusCode.Conflict, "FloatingIPPortAlreadyAssociated");
        Http.AssertError(await _client.PutJson($"v2.0/routers/{_router}", """{"router": {"external_gateway_info": null}}"""),
            HttpStatusCode.Conflict, "RouterExternalGatewayInUseByFloatingIp");

        var disassociated = await _client.PutJson($"v2.0/floatingips/{id}", """{"floatingip": {"port_id": null}}""");
        Assert.Equal("DOWN", (string)disassociated.Body!["floatingip"]!["status"]!);
        Assert.Null(disassociated.Body["floatingip"]!["router_id"]);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/floatingips/{id}")).Status);
        Assert.Empty((await _client.GetJson("v2.0/ports?device_owner=network:floatingip")).Body!["ports"]!.AsArray());
        Http.AssertError(await _client.GetJson($"v2.0/floatingips/{id}"), HttpStatusCode.NotFound, "FloatingIPNotFound");
    }

    [Fact]
    public async Task Refusals_NameTheirReason_AndChangeNothing()
    {
        var message = Http.AssertError(await _client.PostJson("v2.0/floatingips", $$$"""{"floatingip": {"floating_network_id": "{{{_net}}}"}}"""), HttpStatusCode.BadRequest);
        Assert.Contains("not a valid external network", message, StringComparison.Ordinal);
        // A port on a network no router with a gateway on ext reaches.
        var lonely = (string)(await _client.CreateAsync("networks", "network", """{"network": {"name": "lonely"}}"""))["id"]!;
        await _client.CreateAsync("subnets", "subnet", $$$"""{"subnet": {"network_id": "{{{lonely}}}", "ip_version": 4, "cidr": "198.18.92.0/24"}}""");
        var unreachable = (string)(await _client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{lonely}}}"}}"""))["id"]!;
        Http.AssertError(await _client.PostJson("v2.0/floatingips", $$$"""{"floatingip": {"floating_network_id": "{{{_ext}}}", "port_id": "{{{unreachable}}}"}}"""),
            HttpStatusCode.NotFound, "ExternalGatewayForFloatingIPNotFound");
        Http.AssertError(await _client.PostJson("v2.0/floatingips", $$$"""{"floatingip": {"floating_network_id": "{{{_ext}}}", "floating_ip_address": "198.18.99.9"}}"""),
            HttpStatusCode.BadRequest);
        Assert.Empty(_host.Models.Current.FloatingIps);
        Http.AssertError(await _client.PutJson($"v2.0/networks/{_ext}", """{"network": {"router:external": false}}"""), HttpStatusCode.Conflict, "ExternalNetworkInUse");
    }

    [Fact]
    public async Task DeletingThePort_DisassociatesItsFloatingIp_AndTheInterfaceItNeedsStays()
    {
        var fip = (string)(await Fip($""", "port_id": "{_vm}", "floating_ip_address": "198.18.90.50" """))["id"]!;
        var subnet = (string)(await _client.GetJson($"v2.0/ports/{_vm}")).Body!["port"]!["fixed_ips"]![0]!["subnet_id"]!;
        Http.AssertError(await _client.PutJson($"v2.0/routers/{_router}/remove_router_interface", $$"""{"subnet_id": "{{subnet}}"}"""),
            HttpStatusCode.Conflict, "RouterInterfaceInUseByFloatingIP");
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/ports/{_vm}")).Status);
        var shown = (await _client.GetJson($"v2.0/floatingips/{fip}")).Body!["floatingip"]!;
        Assert.Equal(("198.18.90.50", "DOWN"), ((string)shown["floating_ip_address"]!, (string)shown["status"]!));
        Assert.Null(shown["port_id"]);
    }

    [Fact]
    public async Task APortGivingUpItsFixedIp_LetsGoOfItsFloatingIp()
    {
        var fip = (string)(await Fip($""", "port_id": "{_vm}" """))["id"]!;
        var moved = await _client.PutJson($"v2.0/ports/{_vm}", """{"port": {"fixed_ips": [{"ip_address": "198.18.91.77"}]}}""");
        Assert.Equal(HttpStatusCode.OK, moved.Status);
        var shown = (await _client.GetJson($"v2.0/floatingips/{fip}")).Body!["floatingip"]!;
        Assert.Equal("DOWN", (string)shown["status"]!);
        Assert.Null(shown["fixed_ip_address"]);
    }

    [Fact]
    public async Task FloatingIpsAndGateways_SurviveARestart()
    {
        var fip = (string)(await Fip($""", "port_id": "{_vm}" """))["id"]!;
        _client.Dispose();
        await _host.DisposeAsync();
        _host = await ApiHost.StartAsync(_dir);
        _client = _host.Client();
        var shown = (await _client.GetJson($"v2.0/floatingips/{fip}")).Body!["floatingip"]!;
        Assert.Equal((_vm, _router), ((string)shown["port_id"]!, (string)shown["router_id"]!));
        var router = (await _client.GetJson($"v2.0/routers/{_router}")).Body!["router"]!;
        Assert.Equal(_ext, (string)router["external_gateway_info"]!["network_id"]!);
        Assert.True((bool)(await _client.GetJson($"v2.0/networks/{_ext}")).Body!["network"]!["router:external"]!);
    }
}
