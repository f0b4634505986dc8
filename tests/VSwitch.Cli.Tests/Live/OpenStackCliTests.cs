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
    private Command.Result Os(params string[] args)
    {
        var env = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("OS_", StringComparison.Ordinal))
            .ToDictionary(k => k, string? (_) => null);
        env["HOME"] = _daemon.StateDir;
        return Command.Run(Executable,
            ["--os-auth-type", "admin_token", "--os-token", Vswitchd.Token, "--os-endpoint", _daemon.Url, .. args],
            TimeSpan.FromSeconds(90), env);
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
}
