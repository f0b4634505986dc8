using System.Text.Json.Nodes;
using VSwitch.Cli.Tests.Infrastructure;

namespace VSwitch.Cli.Tests.Live;

/// <summary>The built <c>vswitchctl</c> against the real <c>vswitchd</c>: every verb, every format, and the failures.</summary>
[Collection(DaemonCollection.Name)]
public sealed class VswitchctlLiveTests : IDisposable
{
    private readonly Vswitchd _daemon = Vswitchd.Start(tcp: true);

    public void Dispose() => _daemon.Dispose();

    private JsonNode Json(params string[] args) => JsonNode.Parse(_daemon.MustCtl([.. args, "-f", "json"]))!;

    [Fact]
    public void Lifecycle_CreateListShowSetUnsetDelete()
    {
        var network = Json("network", "create", "cli-net", "--description", "front end");
        Assert.Equal("cli-net", (string)network["name"]!);
        Assert.Contains("cli-net ACTIVE", _daemon.MustCtl("network", "list", "-f", "value", "-c", "name", "-c", "status"));

        var group = Json("security", "group", "create", "cli-web", "--description", "web tier");
        Assert.Equal(2, group["rules"]!.AsArray().Count);
        var tcp = Json("security", "group", "rule", "create", "cli-web", "--protocol", "tcp", "--dst-port", "80", "--remote-ip", "198.18.0.0/15");
        Assert.Equal(("ingress", "IPv4", 80, 80), ((string)tcp["direction"]!, (string)tcp["ethertype"]!, (int)tcp["port_range_min"]!, (int)tcp["port_range_max"]!));
        var dns = Json("security", "group", "rule", "create", "cli-web", "--egress", "--protocol", "udp", "--dst-port", "53:54");
        Assert.Equal("53:54", (string)dns["port_range"]!);
        Json("security", "group", "rule", "create", "cli-web", "--protocol", "icmp", "--icmp-type", "8", "--remote-group", "cli-web");
        Assert.Equal(5, Json("security", "group", "rule", "list", "cli-web").AsArray().Count);
        var table = _daemon.MustCtl("security", "group", "rule", "list", "cli-web");
        Assert.StartsWith("ID  ", table.Replace("                                  ", ""));
        Assert.Contains("198.18.0.0/15", table);
        Assert.Contains("type=8", table);

        var port = Json("port", "create", "cli-p1", "--network", "cli-net", "--device", "memory:cli-p1",
            "--fixed-ip", "ip-address=198.18.0.10", "--security-group", "cli-web", "--mac-address", "fa:16:3e:00:10:01");
        var portId = (string)port["id"]!;
        Assert.Equal(("ACTIVE", "memory:cli-p1", "fa:16:3e:00:10:01"), ((string)port["status"]!, (string)port["device"]!, (string)port["mac_address"]!));
        Assert.Equal($"{portId} cli-p1 ACTIVE\n", _daemon.MustCtl("port", "list", "--network", "cli-net", "-f", "value", "-c", "ID", "-c", "Name", "-c", "Status"));
        Assert.Matches(@"(?m)^device\s+memory:cli-p1$", _daemon.MustCtl("port", "show", "cli-p1"));
        var listed = Json("port", "list").AsArray().Single()!;
        Assert.Equal("198.18.0.10", (string)listed["Fixed IP Addresses"]![0]!);

        _daemon.MustCtl("port", "set", "cli-p1", "--fixed-ip", "ip-address=198.18.0.11", "--allowed-address", "ip-address=198.18.9.0/24",
            "--security-group", "ssh", "--name", "cli-port");
        port = Json("port", "show", portId);
        Assert.Equal(["198.18.0.10", "198.18.0.11"], port["fixed_ips"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(2, port["security_group_ids"]!.AsArray().Count);
        Assert.Equal("198.18.9.0/24", (string)port["allowed_address_pairs"]![0]!["ip_address"]!);
        Assert.Equal("cli-port", (string)port["name"]!);

        _daemon.MustCtl("port", "unset", "cli-port", "--security-group", "ssh", "--fixed-ip", "ip-address=198.18.0.10",
            "--allowed-address", "ip-address=198.18.9.0/24");
        port = Json("port", "show", "cli-port");
        Assert.Equal(["198.18.0.11"], port["fixed_ips"]!.AsArray().Select(n => (string)n!));
        Assert.Equal([(string)group["id"]!], port["security_group_ids"]!.AsArray().Select(n => (string)n!));
        Assert.Empty(port["allowed_address_pairs"]!.AsArray());

        _daemon.MustCtl("port", "set", "cli-port", "--disable-port-security", "--no-security-group", "--disable");
        port = Json("port", "show", "cli-port");
        Assert.False((bool)port["port_security_enabled"]!);
        Assert.Equal("DOWN", (string)port["admin_state_up"]!);
        _daemon.MustCtl("port", "unset", "cli-port", "--device");
        Assert.Equal("\n", _daemon.MustCtl("port", "show", "cli-port", "-f", "value", "-c", "device"));
        _daemon.MustCtl("port", "set", "cli-port", "--device", "memory:cli-p1b", "--enable");
        Assert.Equal("memory:cli-p1b\nACTIVE\n", _daemon.MustCtl("port", "show", "cli-port", "-f", "value", "-c", "device", "-c", "status"));

        _daemon.MustCtl("security", "group", "set", "cli-web", "--name", "cli-web2", "--description", "renamed");
        Assert.Equal("cli-web2\nrenamed\n", _daemon.MustCtl("security", "group", "show", (string)group["id"]!, "-f", "value", "-c", "name", "-c", "description"));
        _daemon.MustCtl("security", "group", "rule", "delete", (string)tcp["id"]!);
        Assert.Equal(4, Json("security", "group", "rule", "list", "cli-web2").AsArray().Count);
        Assert.Equal(1, _daemon.Ctl("security", "group", "rule", "show", (string)tcp["id"]!).ExitCode);

        _daemon.MustCtl("port", "delete", "cli-port");
        _daemon.MustCtl("security", "group", "delete", "cli-web2");
        _daemon.MustCtl("network", "delete", "cli-net");
        Assert.Equal("", _daemon.MustCtl("network", "list", "-f", "value"));
        Assert.Empty(Json("port", "list").AsArray());
        Assert.DoesNotContain("cli-web2", _daemon.MustCtl("security", "group", "list"));
    }

    [Fact]
    public void Quota_ShowSetListUsageDelete_AndOverQuotaIsOneLine()
    {
        Assert.Equal("networks 100\nsubnets 100\nports 500\nrouters 10\nfloating-ips 50\nsecgroups 10\nsecgroup-rules 100\n",
            _daemon.MustCtl("quota", "show", "cli-q", "-f", "value", "-c", "Resource", "-c", "Limit"));
        _daemon.MustCtl("quota", "set", "cli-q", "--secgroups", "6", "--ports", "-1", "--routers", "2");
        var shown = _daemon.MustCtl("quota", "show", "cli-q", "-f", "value");
        Assert.Equal("networks 100\nsubnets 100\nports -1\nrouters 2\nfloating-ips 50\nsecgroups 6\nsecgroup-rules 100\n", shown);
        Assert.Equal("cli-q 100 100 -1 2 50 6 100\n", _daemon.MustCtl("quota", "list", "-f", "value"));
        Assert.Contains("secgroups 10\n", _daemon.MustCtl("quota", "show", "cli-q", "--default", "-f", "value"));

        // The daemon acts for its configured project over the socket; its quota applies there.
        var own = _daemon.MustCtl("quota", "show", "-f", "value", "-c", "Resource");
        Assert.Equal("networks\nsubnets\nports\nrouters\nfloating-ips\nsecgroups\nsecgroup-rules\n", own);
        _daemon.MustCtl("network", "create", "q-net");
        var project = (string)Json("network", "show", "q-net")["project_id"]!;
        _daemon.MustCtl("quota", "set", project, "--networks", "1");
        Assert.Matches(@"(?m)^networks\s+1\s+1\s+0$", _daemon.MustCtl("quota", "show", project, "--usage", "-f", "value"));
        AssertFails(1, "vswitchctl: Quota exceeded for resources: ['network']", "network", "create", "q-net2");
        AssertFails(1, "vswitchctl: Invalid input for security_group", "quota", "set", project, "--secgroups", "-5");
        AssertFails(1, "vswitchctl: name at least one of", "quota", "set", project);

        _daemon.MustCtl("quota", "delete", project);
        _daemon.MustCtl("network", "create", "q-net2");
        _daemon.MustCtl("quota", "delete", "cli-q");
        Assert.Equal("", _daemon.MustCtl("quota", "list", "-f", "value"));
    }

    [Fact]
    public void PresetGroups_FromTheConfiguration_OrNone()
    {
        using var none = Vswitchd.Start(config: """{"preset_groups": []}""");
        Assert.Equal("default\n", none.MustCtl("security", "group", "list", "-f", "value", "-c", "Name"));
        using var own = Vswitchd.Start(config: """{"preset_groups": [{"name": "dns", "rules": [{"direction": "ingress", "protocol": "udp", "port_range_min": 53, "port_range_max": 53}]}]}""");
        Assert.Equal("default\ndns\n", string.Concat(own.MustCtl("security", "group", "list", "-f", "value", "-c", "Name").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().Select(n => n + "\n")));
    }

    [Fact]
    public void AddressGroup_CreateSetUnsetAndARuleNamingIt()
    {
        var group = Json("address", "group", "create", "cli-admins", "--address", "198.18.0.0/30", "--address", "2001:db8::1", "--description", "admins");
        Assert.Equal("""["198.18.0.0/30","2001:db8::1/128"]""", group["addresses"]!.ToJsonString());
        _daemon.MustCtl("address", "group", "set", "cli-admins", "--address", "198.18.5.0/24", "--name", "cli-admins2");
        _daemon.MustCtl("address", "group", "unset", "cli-admins2", "--address", "2001:db8::1");
        Assert.Equal("198.18.0.0/30, 198.18.5.0/24\n", _daemon.MustCtl("address", "group", "show", "cli-admins2", "-f", "value", "-c", "addresses"));

        _daemon.MustCtl("security", "group", "create", "cli-ssh");
        var rule = Json("security", "group", "rule", "create", "cli-ssh", "--protocol", "tcp", "--dst-port", "22", "--remote-address-group", "cli-admins2");
        Assert.Equal((string)group["id"]!, (string)rule["remote_address_group_id"]!);
        Assert.Contains($"from address group {group["id"]}", _daemon.MustCtl("security", "group", "show", "cli-ssh", "-f", "value", "-c", "rules"));
        AssertFails(1, "vswitchctl: Address group", "address", "group", "delete", "cli-admins2");
        AssertFails(2, "vswitchctl: --remote-ip, --remote-group and --remote-address-group are mutually exclusive",
            "security", "group", "rule", "create", "cli-ssh", "--remote-ip", "198.18.0.0/15", "--remote-address-group", "cli-admins2");
        _daemon.MustCtl("security", "group", "rule", "delete", (string)rule["id"]!);
        _daemon.MustCtl("address", "group", "delete", "cli-admins2");
        Assert.Equal("", _daemon.MustCtl("address", "group", "list", "-f", "value"));
    }

    [Fact]
    public void Subnet_CreateSetShowDelete_AndPortsAllocatedFromIt()
    {
        _daemon.MustCtl("network", "create", "cli-sub-net");
        var subnet = Json("subnet", "create", "cli-sub", "--network", "cli-sub-net", "--subnet-range", "198.18.20.0/24",
            "--allocation-pool", "start=198.18.20.100,end=198.18.20.199", "--dns-nameserver", "198.18.0.53");
        Assert.Equal(("198.18.20.1", 4), ((string)subnet["gateway_ip"]!, (int)subnet["ip_version"]!));
        Assert.Equal("198.18.20.100-198.18.20.199", (string)subnet["allocation_pools"]![0]!);
        var v6 = Json("subnet", "create", "cli-sub6", "--network", "cli-sub-net", "--subnet-range", "2001:db8:20::/64",
            "--ipv6-ra-mode", "slaac", "--ipv6-address-mode", "slaac", "--gateway", "none");
        Assert.Equal((6, "slaac"), ((int)v6["ip_version"]!, (string)v6["ipv6_address_mode"]!));
        Assert.Null(v6["gateway_ip"]);

        var auto = Json("port", "create", "cli-sub-p1", "--network", "cli-sub-net", "--mac-address", "fa:16:3e:00:20:01");
        Assert.Equal(["198.18.20.100", "2001:db8:20:0:f816:3eff:fe00:2001"], auto["fixed_ips"]!.AsArray().Select(ip => (string)ip!));
        var named = Json("port", "create", "cli-sub-p2", "--network", "cli-sub-net", "--fixed-ip", "subnet=cli-sub,ip-address=198.18.20.50");
        Assert.Equal(["198.18.20.50"], named["fixed_ips"]!.AsArray().Select(ip => (string)ip!));

        _daemon.MustCtl("subnet", "set", "cli-sub", "--name", "cli-sub-renamed", "--no-dhcp", "--dns-nameserver", "198.18.0.54");
        Assert.Equal("198.18.0.53, 198.18.0.54\n", _daemon.MustCtl("subnet", "show", "cli-sub-renamed", "-f", "value", "-c", "dns_nameservers"));
        Assert.Equal("false\n", _daemon.MustCtl("subnet", "show", "cli-sub-renamed", "-f", "value", "-c", "enable_dhcp").ToLowerInvariant());
        Assert.Contains("cli-sub6", _daemon.MustCtl("subnet", "list", "--network", "cli-sub-net", "--ip-version", "6", "-f", "value", "-c", "name"));

        var inUse = _daemon.Ctl("subnet", "delete", "cli-sub-renamed");
        Assert.NotEqual(0, inUse.ExitCode);
        Assert.Contains("One or more ports have an IP allocation from this subnet", inUse.Stderr);
        _daemon.MustCtl("port", "delete", "cli-sub-p1", "cli-sub-p2");
        _daemon.MustCtl("subnet", "delete", "cli-sub-renamed", "cli-sub6");
        Assert.Equal("", _daemon.MustCtl("subnet", "list", "-f", "value"));
    }

    [Fact]
    public void Router_CreateAddSubnetsRoutesShowRemoveDelete()
    {
        _daemon.MustCtl("network", "create", "cli-r-a");
        _daemon.MustCtl("network", "create", "cli-r-b");
        _daemon.MustCtl("subnet", "create", "cli-r-a4", "--network", "cli-r-a", "--subnet-range", "198.18.40.0/24");
        _daemon.MustCtl("subnet", "create", "cli-r-b4", "--network", "cli-r-b", "--subnet-range", "198.18.41.0/24");
        var router = Json("router", "create", "cli-r", "--description", "edge");
        Assert.Equal(("cli-r", "UP"), ((string)router["name"]!, (string)router["admin_state_up"]!));
        _daemon.MustCtl("router", "add", "subnet", "cli-r", "cli-r-a4");
        _daemon.MustCtl("router", "add", "subnet", "cli-r", "cli-r-b4");
        var again = _daemon.Ctl("router", "add", "subnet", "cli-r", "cli-r-a4");
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("already has a port on subnet", again.Stderr);

        _daemon.MustCtl("router", "set", "cli-r", "--route", "destination=198.19.0.0/16,gateway=198.18.41.9", "--disable");
        var shown = Json("router", "show", "cli-r");
        Assert.Equal(["198.18.40.1", "198.18.41.1"], shown["interfaces_info"]!.AsArray().Select(i => (string)i!["ip_address"]!).Order());
        Assert.Equal("""[{"destination":"198.19.0.0/16","gateway":"198.18.41.9"}]""", shown["routes"]!.ToJsonString());
        Assert.Equal("DOWN", (string)shown["admin_state_up"]!);
        var unconnected = _daemon.Ctl("router", "set", "cli-r", "--route", "destination=198.19.0.0/16,gateway=198.18.99.9");
        Assert.NotEqual(0, unconnected.ExitCode);
        Assert.Contains("not connected with router", unconnected.Stderr);
        Assert.Contains("cli-r", _daemon.MustCtl("router", "list", "-f", "value", "-c", "name"));

        var inUse = _daemon.Ctl("router", "remove", "subnet", "cli-r", "cli-r-b4");
        Assert.NotEqual(0, inUse.ExitCode);
        Assert.Contains("required by one or more routes", inUse.Stderr);
        _daemon.MustCtl("router", "unset", "cli-r", "--route", "destination=198.19.0.0/16,gateway=198.18.41.9");
        _daemon.MustCtl("router", "remove", "subnet", "cli-r", "cli-r-b4");
        _daemon.MustCtl("router", "remove", "subnet", "cli-r", "cli-r-a4");
        Assert.Empty(Json("router", "show", "cli-r")["interfaces_info"]!.AsArray());
        _daemon.MustCtl("router", "delete", "cli-r");
        _daemon.MustCtl("subnet", "delete", "cli-r-a4", "cli-r-b4");
        _daemon.MustCtl("network", "delete", "cli-r-a", "cli-r-b");
    }

    [Fact]
    public void FloatingIp_OnAnExternalNetwork_ThroughARoutersGateway()
    {
        _daemon.MustCtl("network", "create", "cli-ext", "--external");
        Assert.Equal("External\n", _daemon.MustCtl("network", "show", "cli-ext", "-f", "value", "-c", "router:external"));
        _daemon.MustCtl("subnet", "create", "cli-ext4", "--network", "cli-ext", "--subnet-range", "198.18.42.0/24");
        _daemon.MustCtl("network", "create", "cli-in");
        _daemon.MustCtl("subnet", "create", "cli-in4", "--network", "cli-in", "--subnet-range", "198.18.43.0/24");
        _daemon.MustCtl("router", "create", "cli-edge");
        _daemon.MustCtl("router", "add", "subnet", "cli-edge", "cli-in4");
        _daemon.MustCtl("router", "set", "cli-edge", "--external-gateway", "cli-ext");
        Assert.True((bool)Json("router", "show", "cli-edge")["external_gateway_info"]!["enable_snat"]!);
        _daemon.MustCtl("router", "set", "cli-edge", "--external-gateway", "cli-ext", "--disable-snat");
        Assert.False((bool)Json("router", "show", "cli-edge")["external_gateway_info"]!["enable_snat"]!);
        Assert.Equal("198.18.42.2", (string)Json("router", "show", "cli-edge")["external_gateway_info"]!["external_fixed_ips"]![0]!["ip_address"]!);
        _daemon.MustCtl("port", "create", "cli-vm", "--network", "cli-in");

        var fip = Json("floating", "ip", "create", "cli-ext", "--port", "cli-vm", "--floating-ip-address", "198.18.42.50");
        Assert.Equal(("198.18.42.50", "198.18.43.2"), ((string)fip["floating_ip_address"]!, (string)fip["fixed_ip_address"]!));
        Assert.Contains("198.18.42.50", _daemon.MustCtl("floating", "ip", "list", "--port", "cli-vm", "-f", "value", "-c", "floating_ip_address"));
        _daemon.MustCtl("floating", "ip", "unset", "198.18.42.50", "--port");
        Assert.Equal("DOWN\n", _daemon.MustCtl("floating", "ip", "show", "198.18.42.50", "-f", "value", "-c", "status"));
        _daemon.MustCtl("floating", "ip", "set", "198.18.42.50", "--port", "cli-vm");
        var inUse = _daemon.Ctl("router", "unset", "cli-edge", "--external-gateway");
        Assert.NotEqual(0, inUse.ExitCode);
        _daemon.MustCtl("floating", "ip", "delete", "198.18.42.50");
        _daemon.MustCtl("router", "unset", "cli-edge", "--external-gateway");
        _daemon.MustCtl("router", "remove", "subnet", "cli-edge", "cli-in4");
        _daemon.MustCtl("router", "delete", "cli-edge");
        _daemon.MustCtl("port", "delete", "cli-vm");
        _daemon.MustCtl("subnet", "delete", "cli-ext4", "cli-in4");
        _daemon.MustCtl("network", "delete", "cli-ext", "cli-in");
    }

    [Fact]
    public void NetworkRbac_SharesAGroup_AndRefusesTakingItBackWhileUsed()
    {
        _daemon.MustCtl("security", "group", "create", "cli-shared");
        var policy = Json("network", "rbac", "create", "cli-shared", "--type", "security_group", "--action", "access_as_shared", "--target-project", "cli-other");
        Assert.Equal("cli-other", (string)policy["target_project_id"]!);
        Assert.Contains((string)policy["id"]!, _daemon.MustCtl("network", "rbac", "list", "-f", "value", "-c", "id"));
        _daemon.MustCtl("network", "rbac", "set", (string)policy["id"]!, "--target-all-projects");
        Assert.Equal("*\n", _daemon.MustCtl("network", "rbac", "show", (string)policy["id"]!, "-f", "value", "-c", "target_project_id"));
        AssertFails(2, "vswitchctl: give exactly one of --target-project and --target-all-projects",
            "network", "rbac", "create", "cli-shared", "--type", "security_group", "--action", "access_as_shared");
        AssertFails(1, "vswitchctl: An RBAC policy already exists",
            "network", "rbac", "create", "cli-shared", "--type", "security_group", "--action", "access_as_shared", "--target-all-projects");
        _daemon.MustCtl("network", "rbac", "delete", (string)policy["id"]!);
        Assert.Equal("", _daemon.MustCtl("network", "rbac", "list", "-f", "value"));
    }

    [Fact]
    public void Failures_AreOneLineWithExitStatus()
    {
        _daemon.MustCtl("network", "create", "err-net");
        _daemon.MustCtl("port", "create", "err-p", "--network", "err-net", "--fixed-ip", "198.18.0.20");

        AssertFails(1, "vswitchctl: No port found for no-such-port", "port", "show", "no-such-port");
        AssertFails(1, "vswitchctl: No network found for nowhere", "port", "create", "p", "--network", "nowhere");
        AssertFails(1, "vswitchctl: Unable to complete operation on network", "network", "delete", "err-net");
        AssertFails(1, "vswitchctl: Unable to complete operation for network", "port", "create", "p2", "--network", "err-net", "--fixed-ip", "198.18.0.20");
        _daemon.MustCtl("security", "group", "create", "web");
        AssertFails(1, "vswitchctl: More than one security group exists with the name 'web'", "security", "group", "show", "web");
        AssertFails(1, "vswitchctl: Invalid input for", "port", "create", "p3", "--network", "err-net", "--mac-address", "not-a-mac");
        AssertFails(2, "vswitchctl: Unrecognized command or argument '--bogus'", "network", "list", "--bogus");
        AssertFails(2, "vswitchctl: --remote-ip and --remote-group are mutually exclusive",
            "security", "group", "rule", "create", "default", "--remote-ip", "198.18.0.0/15", "--remote-group", "default");
        AssertFails(2, "vswitchctl: Required command was not provided.");
        var unreachable = Command.Run(Solution.Executable("admin/VSwitch.Cli", "vswitchctl"), ["--socket", "/nonexistent.sock", "network", "list"]);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.StartsWith("vswitchctl: cannot reach vswitchd at unix:/nonexistent.sock", unreachable.Stderr);
    }

    [Fact]
    public void Tcp_NeedsTheToken_FromFlagsOrEnvironment()
    {
        var ctl = Solution.Executable("admin/VSwitch.Cli", "vswitchctl");
        var noToken = Command.Run(ctl, ["--url", _daemon.Url, "network", "list"], environment: new Dictionary<string, string?> { ["VSWITCH_TOKEN"] = null, ["VSWITCH_URL"] = null });
        Assert.Equal(1, noToken.ExitCode);
        Assert.StartsWith("vswitchctl: Authentication required", noToken.Stderr);
        Assert.Single(noToken.Stderr.TrimEnd('\n').Split('\n'));

        var flags = Command.Run(ctl, ["--url", _daemon.Url, "--token", Vswitchd.Token, "network", "create", "tcp-net", "-f", "value", "-c", "name"]);
        Assert.Equal((0, "tcp-net\n"), (flags.ExitCode, flags.Stdout));
        var env = Command.Run(ctl, ["network", "list", "-f", "value", "-c", "name"],
            environment: new Dictionary<string, string?> { ["VSWITCH_URL"] = _daemon.Url, ["VSWITCH_TOKEN"] = Vswitchd.Token });
        Assert.Equal((0, "tcp-net\n"), (env.ExitCode, env.Stdout));
    }

    private void AssertFails(int exitCode, string messageStart, params string[] args)
    {
        var r = _daemon.Ctl(args);
        Assert.True(r.ExitCode == exitCode, $"vswitchctl {string.Join(' ', args)}: {r}");
        Assert.StartsWith(messageStart, r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal("", r.Stdout);
    }
}
