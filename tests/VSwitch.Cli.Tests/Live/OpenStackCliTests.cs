using System.Text.Json.Nodes;
using VSwitch.Cli.Tests.Infrastructure;

namespace VSwitch.Cli.Tests.Live;

/// <summary>
/// The real OpenStack CLI (Debian's python3-openstackclient) against the daemon's TCP listener with
/// <c>--os-auth-type admin_token</c>: networks, security groups and rules, and ports with a
/// <c>--binding-profile device=...</c>, created, listed, shown and deleted (issue 5 item 2).
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class OpenStackCliTests : IDisposable
{
    public const string Executable = "/usr/bin/openstack";

    private readonly Vswitchd _daemon = Vswitchd.Start(tcp: true);

    public void Dispose() => _daemon.Dispose();

    /// <summary>Runs <c>openstack ARGS</c> (bounded to 90 s) with no OS_* variables from the environment.</summary>
    private Command.Result Os(params string[] args) =>
        Command.Run(Executable,
            ["--os-auth-type", "admin_token", "--os-token", Vswitchd.Token, "--os-endpoint", _daemon.Url, .. args],
            TimeSpan.FromSeconds(90), CleanEnvironment());

    /// <summary>No OS_* variables and no clouds.yaml from the environment.</summary>
    private Dictionary<string, string?> CleanEnvironment()
    {
        var env = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("OS_", StringComparison.Ordinal))
            .ToDictionary(k => k, string? (_) => null);
        env["HOME"] = _daemon.StateDir;
        return env;
    }

    private string Must(params string[] args)
    {
        var r = Os(args);
        Assert.True(r.ExitCode == 0, $"openstack {string.Join(' ', args)}: {r}");
        return r.Stdout;
    }

    private JsonNode Json(params string[] args) => JsonNode.Parse(Must([.. args, "-f", "json"]))!;

    [Fact]
    public void OpenStackCli_CreatesListsShowsAndDeletes()
    {
        // A missing tool is a broken set-up, not a reason to skip: scripts/install-deps.sh installs it.
        Assert.True(File.Exists(Executable), $"{Executable} is missing: run scripts/install-deps.sh (python3-openstackclient)");
        var network = Json("network", "create", "osc-net");
        Assert.Equal("ACTIVE", (string)network["status"]!);
        Assert.Contains("osc-net", Must("network", "list", "-f", "value", "-c", "Name"));
        Assert.Equal("osc-net\n", Must("network", "show", "osc-net", "-f", "value", "-c", "name"));

        var group = Json("security", "group", "create", "osc-sg", "--description", "from the openstack cli");
        var groupId = (string)group["id"]!;
        Assert.Contains(groupId, Must("security", "group", "list", "-f", "value", "-c", "ID"));
        Assert.Equal("from the openstack cli\n", Must("security", "group", "show", "osc-sg", "-f", "value", "-c", "description"));

        var rule = Json("security", "group", "rule", "create", "osc-sg", "--protocol", "tcp", "--dst-port", "22", "--remote-ip", "198.18.0.0/15");
        var ruleId = (string)rule["id"]!;
        Assert.Equal(22, (int)rule["port_range_min"]!);
        var rules = Json("security", "group", "rule", "list", "osc-sg").AsArray();
        Assert.Equal(3, rules.Count);
        Assert.Contains(rules, r => (string)r!["ID"]! == ruleId);
        Json("security", "group", "rule", "create", "osc-sg", "--egress", "--protocol", "icmp", "--icmp-type", "8", "--icmp-code", "0");

        var port = Json("port", "create", "--network", "osc-net", "--binding-profile", "device=memory:osc-p1", "--fixed-ip", "ip-address=198.18.0.41",
            "--security-group", "osc-sg", "osc-port");
        var portId = (string)port["id"]!;
        Assert.Equal("ACTIVE", (string)port["status"]!);
        Assert.Contains(portId, Must("port", "list", "-f", "value", "-c", "ID"));
        var shown = Json("port", "show", "osc-port");
        Assert.Equal("memory:osc-p1", (string)shown["binding_profile"]!["device"]!);
        Assert.Equal("198.18.0.41", (string)shown["fixed_ips"]![0]!["ip_address"]!);

        // vswitchctl sees what the OpenStack CLI made, and the other way round.
        Assert.Equal("memory:osc-p1\n", _daemon.MustCtl("port", "show", "osc-port", "-f", "value", "-c", "device"));

        Must("port", "delete", "osc-port");
        Must("security", "group", "rule", "delete", ruleId);
        Assert.Equal(3, Json("security", "group", "rule", "list", "osc-sg").AsArray().Count);
        Must("security", "group", "delete", "osc-sg");
        Must("network", "delete", "osc-net");
        Assert.DoesNotContain("osc-net", Must("network", "list", "-f", "value"));
        Assert.DoesNotContain(portId, Must("port", "list", "-f", "value"));

        var missing = Os("port", "show", "osc-port");
        Assert.NotEqual(0, missing.ExitCode);
    }

    /// <summary>
    /// Subnets through the OpenStack CLI: create with pools, a port whose address the switch allocates from the
    /// subnet (<c>--fixed-ip subnet=</c>), the subnet in use, then gone.
    /// </summary>
    [Fact]
    public void OpenStackCli_SubnetsAndAllocatedFixedIps()
    {
        Json("network", "create", "osc-sub-net");
        var subnet = Json("subnet", "create", "--network", "osc-sub-net", "--subnet-range", "198.18.30.0/24",
            "--allocation-pool", "start=198.18.30.10,end=198.18.30.20", "--dns-nameserver", "198.18.0.53", "osc-sub");
        Assert.Equal(("198.18.30.1", "198.18.30.10-198.18.30.20"), ((string)subnet["gateway_ip"]!, (string)subnet["allocation_pools"]![0]!["start"]! + "-" + (string)subnet["allocation_pools"]![0]!["end"]!));
        var port = Json("port", "create", "--network", "osc-sub-net", "--fixed-ip", "subnet=osc-sub", "osc-sub-port");
        Assert.Equal(("198.18.30.10", (string)subnet["id"]!), ((string)port["fixed_ips"]![0]!["ip_address"]!, (string)port["fixed_ips"]![0]!["subnet_id"]!));
        Assert.Contains("osc-sub", Must("subnet", "list", "--network", "osc-sub-net", "-f", "value", "-c", "Name"));
        Must("subnet", "set", "--name", "osc-sub2", "--no-dhcp", "osc-sub");
        Assert.Equal("False\n", Must("subnet", "show", "osc-sub2", "-f", "value", "-c", "enable_dhcp"));

        var inUse = Os("subnet", "delete", "osc-sub2");
        Assert.NotEqual(0, inUse.ExitCode);
        Must("port", "delete", "osc-sub-port");
        Must("subnet", "delete", "osc-sub2");
        Must("network", "delete", "osc-sub-net");
    }

    /// <summary>The OpenStack CLI's router verbs: create, add subnet (its gateway), routes, show with interfaces, remove, delete.</summary>
    [Fact]
    public void OpenStackCli_RoutersInterfacesAndRoutes()
    {
        Json("network", "create", "osc-r-net");
        Json("subnet", "create", "--network", "osc-r-net", "--subnet-range", "198.18.31.0/24", "osc-r-sub");
        var router = Json("router", "create", "osc-r");
        Assert.Equal("ACTIVE", (string)router["status"]!);
        Must("router", "add", "subnet", "osc-r", "osc-r-sub");
        var port = Json("port", "list", "--router", "osc-r").AsArray().Single()!;
        Assert.Equal("198.18.31.1", (string)port["Fixed IP Addresses"]![0]!["ip_address"]!);
        Must("router", "set", "osc-r", "--route", "destination=198.19.0.0/16,gateway=198.18.31.9");
        var shown = Json("router", "show", "osc-r");
        Assert.Equal("198.18.31.1", (string)shown["interfaces_info"]![0]!["ip_address"]!);
        Assert.Equal("198.19.0.0/16", (string)shown["routes"]![0]!["destination"]!);
        Assert.NotEqual(0, Os("router", "delete", "osc-r").ExitCode);
        Must("router", "unset", "--route", "destination=198.19.0.0/16,gateway=198.18.31.9", "osc-r");
        Must("router", "remove", "subnet", "osc-r", "osc-r-sub");
        Must("router", "delete", "osc-r");
        Must("subnet", "delete", "osc-r-sub");
        Must("network", "delete", "osc-r-net");
    }

    /// <summary>
    /// A port's connection limit through the OpenStack CLI's <c>--binding-profile</c> (which merges keys into the
    /// profile and sends strings) and vswitchctl's <c>--conntrack-limit</c>, each seeing what the other set.
    /// </summary>
    [Fact]
    public void OpenStackCli_PortConntrackLimit_InTheBindingProfile()
    {
        Json("network", "create", "osc-lim-net");
        Json("port", "create", "--network", "osc-lim-net", "--binding-profile", "device=memory:osc-lim", "osc-lim");
        Must("port", "set", "--binding-profile", "conntrack_limit=64", "osc-lim");
        var profile = Json("port", "show", "osc-lim")["binding_profile"]!;
        Assert.Equal(("memory:osc-lim", 64), ((string)profile["device"]!, (int)profile["conntrack_limit"]!));
        Assert.Equal("64\n", _daemon.MustCtl("port", "show", "osc-lim", "-f", "value", "-c", "conntrack_limit"));

        _daemon.MustCtl("port", "set", "osc-lim", "--conntrack-limit", "10");
        profile = Json("port", "show", "osc-lim")["binding_profile"]!;
        Assert.Equal(("memory:osc-lim", 10), ((string)profile["device"]!, (int)profile["conntrack_limit"]!));

        var refused = Os("port", "set", "--binding-profile", "conntrack_limit=-4", "osc-lim");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("conntrack_limit must be from 0", refused.Stderr + refused.Stdout);

        Must("port", "unset", "--binding-profile", "conntrack_limit", "osc-lim");
        Assert.Equal("default\n", _daemon.MustCtl("port", "show", "osc-lim", "-f", "value", "-c", "conntrack_limit"));
        Assert.Equal("memory:osc-lim\n", _daemon.MustCtl("port", "show", "osc-lim", "-f", "value", "-c", "device"));
        _daemon.MustCtl("port", "set", "osc-lim", "--conntrack-limit", "3");
        _daemon.MustCtl("port", "unset", "osc-lim", "--conntrack-limit");
        Assert.Equal("default\n", _daemon.MustCtl("port", "show", "osc-lim", "-f", "value", "-c", "conntrack_limit"));
        Assert.Equal("memory:osc-lim\n", _daemon.MustCtl("port", "show", "osc-lim", "-f", "value", "-c", "device"));
    }

    /// <summary>
    /// The OpenStack SDK (the library under the CLI; the CLI's own quota verbs look the project up in Keystone, which a
    /// switch has not) against the daemon: quota show, details and update, and a list it pages through with
    /// <c>limit</c>, following the <c>next</c> links.
    /// </summary>
    [Fact]
    public void OpenStackSdk_QuotasAndPaging()
    {
        const string Script = """
            import json, sys
            import openstack
            url, token = sys.argv[1], sys.argv[2]
            conn = openstack.connection.Connection(auth_type="admin_token", auth={"token": token, "endpoint": url}, network_endpoint_override=url)
            out = {}
            out["quota"] = conn.network.get_quota("sdk-p").security_groups
            conn.network.update_quota("sdk-p", security_groups=12, ports=-1)
            details = conn.network.get_quota("sdk-p", details=True)
            out["details"] = [details.security_groups["limit"], details.ports["limit"], details.networks["used"]]
            for name in ["sdk-a", "sdk-b", "sdk-c", "sdk-d", "sdk-e"]:
                conn.network.create_network(name=name)
            out["paged"] = sorted(n.name for n in conn.network.networks(limit=2))
            net = conn.network.find_network("sdk-c")
            conn.network.set_tags(net, ["blue", "red"])
            out["tags"] = [sorted(conn.network.get_network(net.id).tags), [n.name for n in conn.network.networks(tags="blue")]]
            first = conn.network.get("/networks", params={"limit": 2}).json()
            out["first"] = [len(first["networks"]), sorted(link["rel"] for link in first["networks_links"])]
            print(json.dumps(out))
            """;
        var script = Path.Combine(_daemon.StateDir, "sdk.py");
        File.WriteAllText(script, Script);
        var result = Command.Run("/usr/bin/python3", [script, _daemon.Url, Vswitchd.Token], TimeSpan.FromSeconds(90), CleanEnvironment());
        Assert.True(result.ExitCode == 0, $"python3 sdk.py: {result}");
        var output = JsonNode.Parse(result.Stdout)!;
        Assert.Equal(10, (int)output["quota"]!);
        Assert.Equal([12, -1, 0], output["details"]!.AsArray().Select(v => (int)v!));
        Assert.Equal(["sdk-a", "sdk-b", "sdk-c", "sdk-d", "sdk-e"], output["paged"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("""[2,["next","previous"]]""", output["first"]!.ToJsonString());
        Assert.Equal("""[["blue","red"],["sdk-c"]]""", output["tags"]!.ToJsonString());
    }

    /// <summary>The OpenStack CLI's address group verbs and a rule naming an address group.</summary>
    [Fact]
    public void OpenStackCli_AddressGroups()
    {
        var group = Json("address", "group", "create", "osc-admins", "--address", "198.18.0.0/30", "--description", "admins");
        Assert.Contains("198.18.0.0/30", group["addresses"]!.ToJsonString());
        Must("address", "group", "set", "osc-admins", "--address", "198.18.5.0/24");
        Must("address", "group", "unset", "osc-admins", "--address", "198.18.0.0/30");
        Assert.Equal("""["198.18.5.0/24"]""", Json("address", "group", "show", "osc-admins")["addresses"]!.ToJsonString());
        Json("security", "group", "create", "osc-ssh");
        var rule = Json("security", "group", "rule", "create", "osc-ssh", "--protocol", "tcp", "--dst-port", "22", "--remote-address-group", "osc-admins");
        Assert.Equal((string)group["id"]!, (string)rule["remote_address_group_id"]!);
        Assert.NotEqual(0, Os("address", "group", "delete", "osc-admins").ExitCode);
        Must("security", "group", "rule", "delete", (string)rule["id"]!);
        Must("address", "group", "delete", "osc-admins");
        Assert.DoesNotContain("osc-admins", Must("address", "group", "list", "-f", "value"));
    }

    /// <summary>The OpenStack CLI shares a security group with every project (its <c>--target-project</c> needs Keystone).</summary>
    [Fact]
    public void OpenStackCli_NetworkRbac()
    {
        var group = Json("security", "group", "create", "osc-shared");
        var policy = Json("network", "rbac", "create", "--type", "security_group", "--action", "access_as_shared", "--target-all-projects", (string)group["id"]!);
        Assert.Equal("*", (string)policy["target_project_id"]!);
        Assert.Contains((string)policy["id"]!, Must("network", "rbac", "list", "-f", "value", "-c", "ID"));
        Assert.Equal("security_group\n", Must("network", "rbac", "show", (string)policy["id"]!, "-f", "value", "-c", "object_type"));
        Must("network", "rbac", "delete", (string)policy["id"]!);
        Assert.DoesNotContain((string)policy["id"]!, Must("network", "rbac", "list", "-f", "value", "-c", "ID"));
    }
}
