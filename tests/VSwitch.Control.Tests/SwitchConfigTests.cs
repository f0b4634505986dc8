using VSwitch.Control.Configuration;

namespace VSwitch.Control.Tests;

public class SwitchConfigTests
{
    private const string Valid = """
        {
          "workers": 2,
          "networks": [ { "name": "lab" }, { "name": "other", "admin_state_up": false } ],
          "ports": [
            { "name": "web", "network": "lab", "device": "tap:web0@vm-web", "mac_address": "fa:16:3e:00:00:11" },
            { "name": "db", "network": "other", "device": "afpacket:veth-db", "admin_state_up": false, "port_security_enabled": false }
          ]
        }
        """;

    [Fact]
    public void Parse_ValidFile_GivesTheModel()
    {
        var model = SwitchConfig.Parse(Valid).ToModel(portTypes: Given.PortTypes);
        Assert.Equal(2, model.Networks.Count);
        var web = model.Ports.Values.Single(p => p.Name == "web");
        Assert.Equal("tap:web0@vm-web", web.Device);
        Assert.Equal("fa:16:3e:00:00:11", web.Mac.ToString());
        Assert.Equal(model.Networks.Values.Single(n => n.Name == "lab").Id, web.NetworkId);
        Assert.False(model.Ports.Values.Single(p => p.Name == "db").AdminStateUp);
    }

    private const string Routed = """
        {
          "networks": [ { "name": "web" }, { "name": "app" }, { "name": "ext", "external": true } ],
          "subnets": [
            { "name": "web4", "network": "web", "cidr": "198.18.61.0/24" },
            { "name": "app4", "network": "app", "cidr": "198.18.62.0/24" },
            { "name": "ext4", "network": "ext", "cidr": "198.18.60.0/24" }
          ],
          "ports": [
            { "name": "web1", "network": "web", "device": "tap:w1@vm-w1" },
            { "name": "app1", "network": "app", "device": "tap:a1@vm-a1" },
            { "name": "uplink", "network": "ext", "device": "afpacket:eth1", "port_security_enabled": false, "fixed_ips": [] }
          ],
          "routers": [
            { "name": "edge", "subnets": [ "web4", "app4" ], "external_gateway": { "network": "ext", "ip_address": "198.18.60.2" },
              "routes": [ { "destination": "198.19.10.0/24", "nexthop": "198.18.62.50" } ] }
          ],
          "floating_ips": [ { "network": "ext", "port": "web1", "floating_ip_address": "198.18.60.80" } ]
        }
        """;

    [Fact]
    public void ToModel_RoutersAndFloatingIps_AreBuilt_WithStableIds()
    {
        var model = SwitchConfig.Parse(Routed).ToModel(portTypes: Given.PortTypes);
        var router = Assert.Single(model.Routers.Values);
        Assert.Equal(("edge", true), (router.Name, router.ExternalGateway!.EnableSnat));
        Assert.Equal("198.19.10.0/24", Assert.Single(router.Routes).Destination.ToString());
        Assert.True(model.Networks.Values.Single(n => n.Name == "ext").External);
        var owners = model.Ports.Values.Where(p => p.IsServicePort).Select(p => (p.DeviceOwner, p.FixedIps[0].AddressText)).Order().ToList();
        Assert.Equal([("network:floatingip", "198.18.60.80"), ("network:router_gateway", "198.18.60.2"),
            ("network:router_interface", "198.18.61.1"), ("network:router_interface", "198.18.62.1")], owners);
        var fip = Assert.Single(model.FloatingIps.Values);
        Assert.Equal(model.Ports.Values.Single(p => p.Name == "web1").Id, fip.PortId);
        Assert.Equal(router.Id, fip.RouterId);
        var again = SwitchConfig.Parse(Routed).ToModel(portTypes: Given.PortTypes);
        Assert.Equal(model.Routers.Keys, again.Routers.Keys);
        Assert.Equal(model.FloatingIps.Keys, again.FloatingIps.Keys);
        Assert.Equal(model.Ports.Keys.Order(), again.Ports.Keys.Order());
    }

    [Fact]
    public void AFloatingIpWithItsAddress_KeepsItsId_WhenReorderedOrGivenToAnotherPort()
    {
        const string Two = """
            "floating_ips": [ { "network": "ext", "port": "web1", "floating_ip_address": "198.18.60.80" },
                              { "network": "ext", "floating_ip_address": "198.18.60.81" } ]
            """;
        const string Moved = """
            "floating_ips": [ { "network": "ext", "floating_ip_address": "198.18.60.81" },
                              { "network": "ext", "port": "app1", "floating_ip_address": "198.18.60.80" } ]
            """;
        const string One = """
            "floating_ips": [ { "network": "ext", "port": "web1", "floating_ip_address": "198.18.60.80" } ]
            """;
        VSwitch.Control.Model.SwitchModel Build(string floating) =>
            SwitchConfig.Parse(Routed.Replace(One.Trim(), floating.Trim(), StringComparison.Ordinal)).ToModel(portTypes: Given.PortTypes);
        var before = Build(Two);
        var after = Build(Moved);
        Guid IdOf(VSwitch.Control.Model.SwitchModel m, string address) => m.FloatingIps.Values.Single(f => f.FloatingIpAddress.AddressText == address).Id;
        Assert.Equal(IdOf(before, "198.18.60.80"), IdOf(after, "198.18.60.80"));
        Assert.Equal(IdOf(before, "198.18.60.81"), IdOf(after, "198.18.60.81"));
        Assert.Equal(after.Ports.Values.Single(p => p.Name == "app1").Id, after.FloatingIps[IdOf(after, "198.18.60.80")].PortId);
    }

    [Fact]
    public void RoutersAndFloatingIps_AreMergedIntoTheStore_AndGoWhenTheFileDropsThem()
    {
        var file = SwitchConfig.Parse(Routed).ToModel(portTypes: Given.PortTypes);
        var now = DateTimeOffset.UnixEpoch.AddDays(1);
        var merged = ModelService.Merge(VSwitch.Control.Model.SwitchModel.Empty, VSwitch.Control.Model.SwitchModel.Empty, file, now);
        Assert.Equal(file.Routers.Keys, merged.Routers.Keys);
        Assert.Equal(now, Assert.Single(merged.FloatingIps.Values).CreatedAt);
        var without = SwitchConfig.Parse(Routed.Replace("\"floating_ips\": [ { \"network\": \"ext\", \"port\": \"web1\", \"floating_ip_address\": \"198.18.60.80\" } ]",
            "\"floating_ips\": []", StringComparison.Ordinal)).ToModel(portTypes: Given.PortTypes);
        var again = ModelService.Merge(merged, file, without, now);
        Assert.Empty(again.FloatingIps);
        Assert.Single(again.Routers);
    }

    [Fact]
    public void AMergeThatWouldStrandTheApisFloatingIpsOrAddresses_IsRefused()
    {
        var file = SwitchConfig.Parse(Routed).ToModel(portTypes: Given.PortTypes);
        var now = DateTimeOffset.UnixEpoch.AddDays(1);
        var merged = ModelService.Merge(VSwitch.Control.Model.SwitchModel.Empty, VSwitch.Control.Model.SwitchModel.Empty, file, now);
        ModelService.CheckReferences(merged);
        // The file drops its floating IP while the API deleted nothing: the holder goes with it, fine. But a router
        // dropped by the file while a floating IP (here the file's own, kept by the API's copy) still names it is refused.
        var router = Assert.Single(merged.Routers.Keys);
        var stranded = merged with { Routers = merged.Routers.Remove(router) };
        var error = Assert.Throws<VSwitch.Control.Model.NeutronException>(() => ModelService.CheckReferences(stranded));
        Assert.Contains("would no longer exist", error.Message, StringComparison.Ordinal);
        // Two ports of one network with one address (the file allocated what the API had taken meanwhile).
        var web1 = merged.Ports.Values.Single(p => p.Name == "web1");
        var twin = web1 with { Id = Guid.NewGuid(), Name = "twin", Mac = null };
        error = Assert.Throws<VSwitch.Control.Model.NeutronException>(() => ModelService.CheckReferences(merged with { Ports = merged.Ports.Add(twin.Id, twin) }));
        Assert.Contains("held by two ports", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"routers\": [ { \"name\": \"r\" }, { \"name\": \"r\" } ]", "routers: duplicate name 'r'")]
    [InlineData("\"routers\": [ { \"name\": \"\" } ]", "routers[]: a name is required")]
    public void Parse_BadRouters_AreRefusedNamingTheField(string body, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => SwitchConfig.Parse("{ " + body + " }"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"subnets\": [ \"nope\" ]", "routers[edge].subnets[nope]: no subnet named 'nope'")]
    [InlineData("\"external_gateway\": { \"network\": \"web\" }", "routers[edge].external_gateway")]
    public void ToModel_BadRouter_NamesTheField(string body, string expected)
    {
        var json = Routed.Replace("\"subnets\": [ \"web4\", \"app4\" ], \"external_gateway\": { \"network\": \"ext\", \"ip_address\": \"198.18.60.2\" },", body + ",", StringComparison.Ordinal);
        Assert.NotEqual(Routed, json);
        var error = Assert.Throws<ConfigException>(() => SwitchConfig.Parse(json).ToModel(portTypes: Given.PortTypes));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PresetGroups_AreTheOperatorsOrNone()
    {
        Assert.Equal(VSwitch.Control.Model.ProjectDefaults.ShippedPresets, SwitchConfig.Parse("{}").Presets());
        var none = SwitchConfig.Parse("""{ "preset_groups": [] }""");
        Assert.Empty(none.Presets());
        Assert.Equal(["default"], none.ToModel(portTypes: Given.PortTypes).SecurityGroups.Values.Select(g => g.Name));

        var own = SwitchConfig.Parse("""{ "preset_groups": [ { "name": "dns", "description": "DNS from the lab", "rules": [ { "direction": "ingress", "protocol": "udp", "port_range_min": 53, "port_range_max": 53, "remote_ip_prefix": "198.18.0.0/15" } ] } ] }""");
        var dns = own.ToModel(portTypes: Given.PortTypes).SecurityGroups.Values.Single(g => g.Name == "dns");
        Assert.Equal(3, dns.Rules.Count);
        Assert.Contains(dns.Rules, r => r.PortRangeMin == 53 && r.RemoteIpPrefix?.ToString() == "198.18.0.0/15");
    }

    [Theory]
    [InlineData("""{ "preset_groups": [ { "name": "x", "rules": [ { "direction": "ingress", "remote_group": "default" } ] } ] }""", "cannot name a remote_group")]
    [InlineData("""{ "preset_groups": [ { "name": "x", "rules": [ { "direction": "sideways" } ] } ] }""", "preset_groups: Invalid input for direction")]
    [InlineData("""{ "preset_groups": [ { "name": "x" }, { "name": "x" } ] }""", "preset_groups: Invalid input for operation: preset group name 'x' is used twice")]
    [InlineData("""{ "preset_groups": [ { "name": "default" } ] }""", "preset_groups:")]
    public void PresetGroups_Bad_AreRefusedAtLoad(string json, string message)
    {
        Assert.Contains(message, Assert.Throws<ConfigException>(() => SwitchConfig.Parse(json)).Message);
    }

    [Fact]
    public void ToModel_SameFileTwice_GivesTheSameIds()
    {
        Assert.Equal(SwitchConfig.Parse(Valid).ToModel(portTypes: Given.PortTypes).Ports.Keys, SwitchConfig.Parse(Valid).ToModel(portTypes: Given.PortTypes).Ports.Keys);
    }

    [Theory]
    [InlineData("""{ "workers": 0 }""", "workers must be between 1 and 256")]
    [InlineData("""{ "busy_poll_us": -5 }""", "busy_poll_us must be between 0 and 1000000")]
    [InlineData("""{ "wrokers": 2 }""", "wrokers")]
    [InlineData("""{ "workers": "two" }""", "workers")]
    [InlineData("""{ "networks": [ { "name": "a" }, { "name": "a" } ] }""", "duplicate name 'a'")]
    [InlineData("""{ "networks": [ { "name": "a" } ], "ports": [ { "name": "p", "network": "b", "device": "memory" } ] }""", "no network named 'b'")]
    [InlineData("""{ "networks": [ { "name": "a" } ], "ports": [ { "name": "p", "network": "a", "device": "" } ] }""", "device: required")]
    [InlineData("""{ "networks": [ { "name": "a" } ], "ports": [ { "name": "p", "network": "a", "device": "memory", "mac_address": "zz" } ] }""", "'zz' is not a MAC address")]
    [InlineData("""{ "networks": [ """, "config")]
    public void Parse_BadFile_ThrowsNamingTheField(string json, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => SwitchConfig.Parse(json));
        Assert.Contains(expected, ex.Message);
    }

    [Theory]
    [InlineData("""{ "networks": [ { "name": "a" } ], "ports": [ { "name": "p", "network": "a", "device": "tap:x" }, { "name": "q", "network": "a", "device": "tap:x@ns" } ] }""")]
    [InlineData("""{ "networks": [ { "name": "a" } ], "ports": [ { "name": "p", "network": "a", "device": "tap:x?io=uring" }, { "name": "q", "network": "a", "device": "tap:x@ns?io=syscalls" } ] }""")]
    [InlineData("""{ "networks": [ { "name": "a" } ], "ports": [ { "name": "p", "network": "a", "device": "afpacket:x", "mac_address": "fa:16:3e:00:00:01" }, { "name": "q", "network": "a", "device": "afpacket:x?rx=v3", "mac_address": "fa:16:3e:00:00:02" } ] }""")]
    public void ToModel_TwoPortsOnOneDevice_IsRefusedNamingTheSecond(string json)
    {
        var ex = Assert.Throws<ConfigException>(() => SwitchConfig.Parse(json).ToModel(portTypes: Given.PortTypes));
        Assert.Contains("ports[q]", ex.Message);
        Assert.Contains("is already used by port", ex.Message);
    }

    [Theory]
    [InlineData("tap:bad name")]
    [InlineData("afpacket:x@ns")]
    [InlineData("vhost:x")]
    public void ToModel_DeviceItsTypeRefuses_IsRefusedWithTheTypesMessage(string device)
    {
        var config = SwitchConfig.Parse($$"""{ "networks": [ { "name": "n" } ], "ports": [ { "name": "p", "network": "n", "device": "{{device}}", "port_security_enabled": false } ] }""");
        var ex = Assert.Throws<ConfigException>(() => config.ToModel(portTypes: Given.PortTypes));
        Assert.False(Given.PortTypes.TryParse(device, out _, out var error));
        Assert.Contains("ports[p]", ex.Message);
        Assert.Contains(error, ex.Message);
    }

    [Fact]
    public void ToModel_AfpacketPortWithPortSecurityButNoMac_IsRefused()
    {
        var config = SwitchConfig.Parse("""{ "networks": [ { "name": "n" } ], "ports": [ { "name": "p", "network": "n", "device": "afpacket:veth0" } ] }""");
        var ex = Assert.Throws<ConfigException>(() => config.ToModel(portTypes: Given.PortTypes));
        Assert.Contains("ports[p].mac_address", ex.Message);
    }

    [Fact]
    public void ToModel_GroupsRulesAndPortAddresses_AreBuiltWithNeutronValidation()
    {
        var model = SwitchConfig.Parse("""
            { "networks": [ { "name": "n" } ],
              "security_groups": [ { "name": "app", "rules": [
                  { "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80 },
                  { "direction": "ingress", "ethertype": "IPv6", "protocol": "icmp", "remote_group": "app" } ] } ],
              "ports": [ { "name": "p", "network": "n", "device": "memory", "fixed_ips": [ "198.18.0.1" ], "security_groups": [ "app" ] } ] }
            """).ToModel(portTypes: Given.PortTypes);
        var app = model.SecurityGroups.Values.Single(g => g.Name == "app");
        Assert.Equal(4, app.Rules.Count);
        Assert.Contains(app.Rules, r => r.Protocol == "ipv6-icmp" && r.RemoteGroupId == app.Id);
        var port = model.Ports.Values.Single();
        Assert.Equal([app.Id], port.SecurityGroupIds.ToArray());
        Assert.Contains(model.SecurityGroups.Values, g => g.Name == "default");
        Assert.Contains(model.SecurityGroups.Values, g => g.Name == "ssh");
    }

    [Fact]
    public void ToModel_InvalidRule_NamesTheRule()
    {
        var config = SwitchConfig.Parse("""
            { "security_groups": [ { "name": "g", "rules": [ { "direction": "ingress", "protocol": "tcp", "port_range_min": 90, "port_range_max": 80 } ] } ] }
            """);
        var ex = Assert.Throws<ConfigException>(() => config.ToModel(portTypes: Given.PortTypes));
        Assert.Contains("security_groups[g].rules[0]", ex.Message);
    }

    [Fact]
    public void ConntrackTimeouts_DefaultToLinuxAndCanBeSet()
    {
        var defaults = SwitchConfig.Parse("{}").ConntrackTimeouts.ToTimeouts("x");
        Assert.Equal(TimeSpan.FromSeconds(432_000), defaults.TcpEstablished);
        Assert.Equal(TimeSpan.FromSeconds(30), defaults.UdpUnreplied);
        var set = SwitchConfig.Parse("""{ "conntrack_timeouts": { "udp_replied": 45 } }""").ConntrackTimeouts.ToTimeouts("x");
        Assert.Equal(TimeSpan.FromSeconds(45), set.UdpReplied);
        var ex = Assert.Throws<ConfigException>(() => SwitchConfig.Parse("""{ "conntrack_timeouts": { "icmp": 0 } }"""));
        Assert.Contains("conntrack_timeouts", ex.Message);
    }

    [Fact]
    public void ConntrackLimits_DefaultPerPortAndPortsOwn_AreReadAndChecked()
    {
        var config = SwitchConfig.Parse("""
            { "conntrack_port_limit": 2000, "networks": [ { "name": "n" } ],
              "ports": [ { "name": "p", "network": "n", "device": "memory", "conntrack_limit": 50 }, { "name": "q", "network": "n", "device": "memory" } ] }
            """);
        Assert.Equal(2000, config.ConntrackPortLimit);
        var model = config.ToModel(portTypes: Given.PortTypes);
        Assert.Equal(50, model.Ports.Values.Single(p => p.Name == "p").ConntrackLimit);
        Assert.Null(model.Ports.Values.Single(p => p.Name == "q").ConntrackLimit);
        Assert.Equal(0, SwitchConfig.Parse("{}").ConntrackPortLimit);

        Assert.Contains("conntrack_port_limit must be between 0", Assert.Throws<ConfigException>(() => SwitchConfig.Parse("""{ "conntrack_port_limit": -1 }""")).Message);
        var bad = SwitchConfig.Parse("""{ "networks": [ { "name": "n" } ], "ports": [ { "name": "p", "network": "n", "device": "memory", "conntrack_limit": -3 } ] }""");
        Assert.Contains("ports[p]", Assert.Throws<ConfigException>(() => bad.ToModel(portTypes: Given.PortTypes)).Message);
    }

    [Fact]
    public void Subnets_AreBuiltWithNeutronsChecks_AndPortsWithoutFixedIpsGetAddressesFromThem()
    {
        var config = SwitchConfig.Parse("""
            { "networks": [ { "name": "lab" } ],
              "subnets": [ { "name": "lab-v4", "network": "lab", "cidr": "198.18.10.0/24", "allocation_pools": [ { "start": "198.18.10.50", "end": "198.18.10.60" } ],
                             "dns_nameservers": [ "198.18.0.53" ] },
                           { "name": "lab-v6", "network": "lab", "cidr": "2001:db8:10::/64", "ipv6_address_mode": "dhcpv6-stateful", "no_gateway": true } ],
              "ports": [ { "name": "a", "network": "lab", "device": "memory" }, { "name": "b", "network": "lab", "device": "memory", "fixed_ips": [ "198.18.10.7" ] } ] }
            """);
        var model = config.ToModel(portTypes: Given.PortTypes);
        Assert.Equal(["lab-v4", "lab-v6"], model.Subnets.Values.Select(s => s.Name).Order());
        Assert.Null(model.Subnets.Values.Single(s => s.Name == "lab-v6").GatewayIp);
        var a = model.Ports.Values.Single(p => p.Name == "a");
        Assert.Equal(["198.18.10.50", "2001:db8:10::1"], a.FixedIps.Select(ip => ip.AddressText));
        Assert.Equal(["198.18.10.7"], model.Ports.Values.Single(p => p.Name == "b").FixedIps.Select(ip => ip.AddressText));
        Assert.Equal(model.Subnets.Keys, config.ToModel(portTypes: Given.PortTypes).Subnets.Keys); // name-based ids

        var bad = SwitchConfig.Parse("""{ "networks": [ { "name": "lab" } ], "subnets": [ { "name": "s", "network": "lab", "cidr": "198.18.10.9/24" } ] }""");
        Assert.Contains("subnets[s]", Assert.Throws<ConfigException>(() => bad.ToModel(portTypes: Given.PortTypes)).Message);
        var orphan = SwitchConfig.Parse("""{ "subnets": [ { "name": "s", "network": "nowhere", "cidr": "198.18.10.0/24" } ] }""");
        Assert.Contains("no network named 'nowhere'", Assert.Throws<ConfigException>(() => orphan.ToModel(portTypes: Given.PortTypes)).Message);
    }

    [Fact]
    public void Load_MissingFile_SaysWhichFile()
    {
        var ex = Assert.Throws<ConfigException>(() => SwitchConfig.Load("/nonexistent/vswitch.json"));
        Assert.Contains("/nonexistent/vswitch.json", ex.Message);
    }

    [Fact]
    public void Parse_LogLimits_DefaultToNeutronsAndAreValidated()
    {
        var defaults = SwitchConfig.Parse("{}");
        Assert.Equal((100, 25), (defaults.Log.RateLimit, defaults.Log.BurstLimit));
        var set = SwitchConfig.Parse("""{ "log": { "rate_limit": 500, "burst_limit": 50 } }""");
        Assert.Equal((500, 50), (set.Log.RateLimit, set.Log.BurstLimit));
        var ex = Assert.Throws<ConfigException>(() => SwitchConfig.Parse("""{ "log": { "rate_limit": 0 } }"""));
        Assert.Contains("rate_limit", ex.Message);
    }
}
