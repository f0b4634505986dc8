using System.Net;
using System.Text.Json.Nodes;

namespace VSwitch.Api.Tests;

/// <summary><c>/v2.0/subnets</c> over HTTP, and ports whose fixed IPs come from them.</summary>
public sealed class SubnetsApiTests : IAsyncLifetime
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

    private Task<JsonObject> Subnet(string cidr, int version = 4, string extra = "") =>
        _client.CreateAsync("subnets", "subnet", $$$"""{"subnet": {"network_id": "{{{_net}}}", "ip_version": {{{version}}}, "cidr": "{{{cidr}}}", "name": "s"{{{extra}}}}}""");

    [Fact]
    public async Task Create_ShowsNeutronsFields_ListFiltersAndUpdateWork()
    {
        var subnet = await Subnet("198.18.10.0/24", extra: """, "dns_nameservers": ["198.18.0.53"], "host_routes": [{"destination": "198.19.0.0/16", "nexthop": "198.18.10.254"}]""");
        var id = (string)subnet["id"]!;
        Assert.Equal(("198.18.10.1", 4, true), ((string)subnet["gateway_ip"]!, (int)subnet["ip_version"]!, (bool)subnet["enable_dhcp"]!));
        Assert.Equal("""[{"start":"198.18.10.2","end":"198.18.10.254"}]""", subnet["allocation_pools"]!.ToJsonString());
        Assert.Equal("""[{"destination":"198.19.0.0/16","nexthop":"198.18.10.254"}]""", subnet["host_routes"]!.ToJsonString());
        Assert.Null(subnet["ipv6_ra_mode"]);

        var v6 = await Subnet("2001:db8:10::/64", 6, """, "ipv6_ra_mode": "slaac", "ipv6_address_mode": "slaac", "gateway_ip": null""");
        Assert.Null(v6["gateway_ip"]);
        var network = (await _client.GetJson($"v2.0/networks/{_net}")).Body!["network"]!;
        Assert.Equal(new[] { id, (string)v6["id"]! }.Order(), network["subnets"]!.AsArray().Select(s => (string)s!).Order());
        var listed = (await _client.GetJson($"v2.0/subnets?network_id={_net}&ip_version=6")).Body!["subnets"]!.AsArray();
        Assert.Equal((string)v6["id"]!, (string)listed.Single()!["id"]!);

        var set = await _client.PutJson($"v2.0/subnets/{id}", """{"subnet": {"name": "renamed", "enable_dhcp": false, "gateway_ip": null}}""");
        Assert.Equal(HttpStatusCode.OK, set.Status);
        Assert.Equal(("renamed", false, 1L), ((string)set.Body!["subnet"]!["name"]!, (bool)set.Body["subnet"]!["enable_dhcp"]!, (long)set.Body["subnet"]!["revision_number"]!));
        Assert.Null(set.Body["subnet"]!["gateway_ip"]);
        Http.AssertError(await _client.PutJson($"v2.0/subnets/{id}", """{"subnet": {"cidr": "198.18.11.0/24"}}"""), HttpStatusCode.BadRequest);
        Http.AssertError(await _client.GetJson($"v2.0/subnets/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "SubnetNotFound");
    }

    [Theory]
    [InlineData("""{"subnet": {"network_id": "NET", "ip_version": 4}}""", "cidr")]
    [InlineData("""{"subnet": {"network_id": "NET", "cidr": "198.18.10.0/24"}}""", "ip_version")]
    [InlineData("""{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "198.18.10.9/24"}}""", "recommended CIDR")]
    [InlineData("""{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "198.18.10.0/24", "allocation_pools": [{"start": "198.18.10.9"}]}}""", "allocation pool")]
    [InlineData("""{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "198.18.10.0/24", "subnetpool_id": "x"}}""", "subnet pools")]
    [InlineData("""{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "198.18.10.0/24", "dns_nameservers": "198.18.0.53"}}""", "dns_nameservers")]
    [InlineData("""{"subnet": {"network_id": "NET", "ip_version": 4, "cidr": "198.18.10.0/24", "colour": "red"}}""", "colour")]
    public async Task Create_Invalid_Is400_AndCreatesNothing(string json, string named)
    {
        var message = Http.AssertError(await _client.PostJson("v2.0/subnets", json.Replace("NET", _net, StringComparison.Ordinal)), HttpStatusCode.BadRequest);
        Assert.Contains(named, message, StringComparison.Ordinal);
        Assert.Empty(_host.Models.Current.Subnets);
    }

    [Fact]
    public async Task Ports_GetAddressesFromTheSubnet_ShowItsId_AndKeepItInUse()
    {
        var subnet = (string)(await Subnet("198.18.10.0/24"))["id"]!;
        var auto = await _client.CreateAsync("ports", "port", $$$$"""{"port": {"network_id": "{{{{_net}}}}", "binding:profile": {"device": "memory:a"}}}""");
        Assert.Equal($$$"""[{"subnet_id":"{{{subnet}}}","ip_address":"198.18.10.2"}]""", auto["fixed_ips"]!.ToJsonString());
        var named = await _client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{_net}}}", "fixed_ips": [{"subnet_id": "{{{subnet}}}"}, {"subnet_id": "{{{subnet}}}", "ip_address": "198.18.10.77"}]}}""");
        Assert.Equal(["198.18.10.3", "198.18.10.77"], named["fixed_ips"]!.AsArray().Select(ip => (string)ip!["ip_address"]!));
        Http.AssertError(await _client.PostJson("v2.0/ports", $$$"""{"port": {"network_id": "{{{_net}}}", "fixed_ips": [{"ip_address": "198.19.0.1"}]}}"""),
            HttpStatusCode.BadRequest, "InvalidIpForNetwork");
        Http.AssertError(await _client.PostJson("v2.0/ports", $$$"""{"port": {"network_id": "{{{_net}}}", "fixed_ips": [{"ip_address": "198.18.10.77"}]}}"""),
            HttpStatusCode.Conflict, "IpAddressInUse");
        Http.AssertError(await _client.DeleteJson($"v2.0/subnets/{subnet}"), HttpStatusCode.Conflict, "SubnetInUse");
        // What `openstack port list --fixed-ip subnet=S` asks.
        var onSubnet = (await _client.GetJson($"v2.0/ports?fixed_ips=subnet_id%3D{subnet}")).Body!["ports"]!.AsArray();
        Assert.Equal(new[] { (string)auto["id"]!, (string)named["id"]! }.Order(), onSubnet.Select(p => (string)p!["id"]!).Order());

        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/ports/{auto["id"]}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/ports/{named["id"]}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteJson($"v2.0/subnets/{subnet}")).Status);
    }

    [Fact]
    public async Task ConfigurationFileSubnets_AreMergedAtStart_KeptOnRestart_AndGoWhenTheFileDropsThem()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-cfg-subnets-").FullName;
        try
        {
            static VSwitch.Control.Model.SwitchModel File(string subnets) => VSwitch.Control.Configuration.SwitchConfig.Parse(
                $$$"""{"networks": [{"name": "cfg"}], "subnets": [{{{subnets}}}]}""").ToModel();
            const string V4 = """{"name": "cfg-v4", "network": "cfg", "cidr": "198.18.50.0/24"}""";
            string id;
            await using (var host = await ApiHost.StartAsync(dir, fileModel: File(V4)))
            {
                using var client = host.Client();
                var subnet = (await client.GetJson("v2.0/subnets?name=cfg-v4")).Body!["subnets"]!.AsArray().Single()!;
                id = (string)subnet["id"]!;
                Assert.Equal("198.18.50.1", (string)subnet["gateway_ip"]!);
            }
            await using (var host = await ApiHost.StartAsync(dir, fileModel: File(V4)))
            {
                using var client = host.Client();
                Assert.Equal(HttpStatusCode.OK, (await client.GetJson($"v2.0/subnets/{id}")).Status);
            }
            await using (var host = await ApiHost.StartAsync(dir, fileModel: File("")))
            {
                Assert.Empty(host.Models.Current.Subnets);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Subnets_SurviveARestart()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-subnets-").FullName;
        try
        {
            string subnetId, portId;
            await using (var first = await ApiHost.StartAsync(dir))
            {
                using var client = first.Client();
                var net = (string)(await client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
                subnetId = (string)(await client.CreateAsync("subnets", "subnet",
                    $$$"""{"subnet": {"network_id": "{{{net}}}", "ip_version": 6, "cidr": "2001:db8:20::/64", "ipv6_address_mode": "dhcpv6-stateful"}}"""))["id"]!;
                portId = (string)(await client.CreateAsync("ports", "port", $$$"""{"port": {"network_id": "{{{net}}}"}}"""))["id"]!;
            }
            await using var second = await ApiHost.StartAsync(dir);
            using var again = second.Client();
            var subnet = (await again.GetJson($"v2.0/subnets/{subnetId}")).Body!["subnet"]!;
            Assert.Equal(("2001:db8:20::/64", "dhcpv6-stateful"), ((string)subnet["cidr"]!, (string)subnet["ipv6_address_mode"]!));
            var port = (await again.GetJson($"v2.0/ports/{portId}")).Body!["port"]!;
            Assert.Equal($$$"""[{"subnet_id":"{{{subnetId}}}","ip_address":"2001:db8:20::2"}]""", port["fixed_ips"]!.ToJsonString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
