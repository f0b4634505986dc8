using System.Diagnostics;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VSwitch.Cli.Tests.Live;

/// <summary>
/// Issue 5's durability tests on the real daemon: everything survives a clean restart (SIGTERM), and after a SIGKILL in
/// the middle of a stream of changes every change that was answered with success is there and nothing is half-applied.
/// </summary>
[Collection(DaemonCollection.Name)]
public sealed class RestartTests(ITestOutputHelper output)
{
    [Fact]
    public void Sigterm_Restart_RestoresEveryObject()
    {
        using var daemon = Vswitchd.Start();
        daemon.MustCtl("network", "create", "keep-net");
        daemon.MustCtl("security", "group", "create", "keep-sg", "--stateless");
        daemon.MustCtl("security", "group", "rule", "create", "keep-sg", "--protocol", "tcp", "--dst-port", "22", "--remote-ip", "198.18.0.0/15");
        daemon.MustCtl("security", "group", "rule", "create", "keep-sg", "--egress", "--protocol", "udp", "--dst-port", "53");
        daemon.MustCtl("port", "create", "keep-p1", "--network", "keep-net", "--device", "memory:keep-p1", "--fixed-ip", "198.18.0.31",
            "--security-group", "keep-sg", "--allowed-address", "ip-address=198.18.7.0/24");
        daemon.MustCtl("port", "create", "keep-p2", "--network", "keep-net", "--device", "memory:keep-p2", "--disable-port-security", "--no-security-group");
        string[][] views =
        [
            ["network", "list", "-c", "id", "-c", "name", "-c", "status"],
            ["port", "list", "-c", "id", "-c", "name", "-c", "mac_address", "-c", "fixed_ips", "-c", "device", "-c", "status", "-c", "security_group_ids",
                "-c", "allowed_address_pairs", "-c", "port_security_enabled"],
            ["security", "group", "list", "-c", "id", "-c", "name", "-c", "stateful"],
            ["security", "group", "rule", "list"],
        ];
        var before = views.Select(v => daemon.MustCtl([.. v, "-f", "json"])).ToList();
        Assert.Contains("ACTIVE", before[1]);

        daemon.Terminate();
        daemon.Restart();

        var after = views.Select(v => daemon.MustCtl([.. v, "-f", "json"])).ToList();
        Assert.Equal(before, after);
        Assert.Equal("False\n", daemon.MustCtl("security", "group", "show", "keep-sg", "-f", "value", "-c", "stateful"));
    }

    [Fact]
    public async Task Sigkill_DuringAStreamOfChanges_KeepsEveryAnsweredChange()
    {
        const int Changes = 200;
        var seed = Environment.TickCount;
        var random = new Random(seed);
        using var daemon = Vswitchd.Start(config: Vswitchd.UnlimitedQuotas); // 200 changes may exceed Neutron's default quota
        using var client = daemon.Client();
        var network = await client.CreateNetworkAsync(new NetworkRequest { Name = "kill-net" });

        var groups = new Dictionary<string, SecurityGroup>();
        var rules = new List<string>();
        var ports = new HashSet<string>();
        var deleted = new HashSet<string>();
        string? lastPort = null;
        var inFlight = "";
        var answered = 0;
        // Kill at a random point of the stream: once a random number of changes has been answered, after a random
        // few hundred microseconds more, so the kill lands inside a request as often as between two.
        var killAt = random.Next(10, Changes - 10);
        var killDelayTicks = random.Next(0, 5_000);
        var killer = Task.Run(async () =>
        {
            while (Volatile.Read(ref answered) < killAt)
            {
                await Task.Delay(1);
            }
            var wait = Stopwatch.StartNew();
            while (wait.ElapsedTicks * 10_000_000 / Stopwatch.Frequency < killDelayTicks)
            {
                Thread.SpinWait(100);
            }
            daemon.Kill();
        });
        try
        {
            for (var i = 0; i < Changes; i++)
            {
                switch (i % 4)
                {
                    case 0:
                        inFlight = "group";
                        var g = await client.CreateSecurityGroupAsync(new SecurityGroupRequest { Name = $"kill-g{i}" });
                        groups[g.Id] = g;
                        break;
                    case 1:
                        inFlight = "rules";
                        var target = groups.Keys.Last();
                        var created = await client.CreateSecurityGroupRulesAsync(Enumerable.Range(0, 3).Select(k => new SecurityGroupRuleRequest
                        {
                            SecurityGroupId = target,
                            Direction = "ingress",
                            Protocol = "tcp",
                            PortRangeMin = 1000 + i * 3 + k,
                            PortRangeMax = 1000 + i * 3 + k,
                        }));
                        rules.AddRange(created.Select(r => r.Id));
                        break;
                    case 2:
                        inFlight = "port";
                        var p = await client.CreatePortAsync(new PortRequest
                        {
                            Name = $"kill-p{i}",
                            NetworkId = network.Id,
                            FixedIps = [new FixedIp { IpAddress = $"198.18.{i / 200}.{i % 200 + 1}" }],
                            SecurityGroups = [groups.Keys.Last()],
                            BindingProfile = new BindingProfile { Device = $"memory:kill-p{i}" },
                        });
                        ports.Add(p.Id);
                        lastPort = p.Id;
                        break;
                    default:
                        if (i % 8 == 7 && lastPort is not null)
                        {
                            inFlight = "delete " + lastPort;
                            await client.DeletePortAsync(lastPort);
                            ports.Remove(lastPort);
                            deleted.Add(lastPort);
                            lastPort = null;
                        }
                        break;
                }
                inFlight = "";
                Interlocked.Increment(ref answered);
            }
        }
        catch (VSwitchConnectionException)
        {
            // The daemon died under this request: its outcome is unknown.
        }
        await killer.WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"seed {seed}: killed {killDelayTicks / 10} us after change {killAt}; {answered} of {Changes} changes answered, in flight: '{inFlight}'");
        Assert.True(answered < Changes, "the daemon was killed after the stream had ended");

        daemon.Restart();
        using var restarted = daemon.Client();
        var deleting = inFlight.StartsWith("delete ", StringComparison.Ordinal) ? inFlight["delete ".Length..] : null;
        if (deleting is not null)
        {
            ports.Remove(deleting);
        }
        var model = await restarted.ListSecurityGroupsAsync();
        var storedPorts = (await restarted.ListPortsAsync()).ToDictionary(p => p.Id);
        var storedGroups = model.Where(g => g.Name.StartsWith("kill-g", StringComparison.Ordinal)).ToDictionary(g => g.Id);

        // Every answered change is there.
        Assert.All(groups.Keys, id => Assert.True(storedGroups.ContainsKey(id), $"group {id} was answered but is missing"));
        var storedRules = storedGroups.Values.SelectMany(g => g.Rules).ToDictionary(r => r.Id);
        Assert.All(rules, id => Assert.True(storedRules.ContainsKey(id), $"rule {id} was answered but is missing"));
        Assert.All(ports, id => Assert.True(storedPorts.ContainsKey(id), $"port {id} was answered but is missing"));
        Assert.All(deleted, id => Assert.False(storedPorts.ContainsKey(id), $"port {id} was deleted but is back"));
        Assert.All(ports, id => Assert.Equal("ACTIVE", storedPorts[id].Status));

        // Nothing beyond them but the one request in flight, and that one whole or not at all.
        var extraGroups = storedGroups.Keys.Except(groups.Keys).ToList();
        var defaultRules = storedGroups.Values.SelectMany(g => g.Rules).Where(r => r.Protocol is null && r.Direction == "egress").Select(r => r.Id);
        var extraRules = storedRules.Keys.Except(rules).Except(defaultRules).ToList();
        var extraPorts = storedPorts.Keys.Except(ports).Where(id => id != deleting).ToList();
        Assert.True(extraGroups.Count == 0 || (inFlight == "group" && extraGroups.Count == 1), $"unexpected groups {string.Join(", ", extraGroups)}");
        Assert.True(extraRules.Count == 0 || (inFlight == "rules" && extraRules.Count == 3), $"unexpected rules {string.Join(", ", extraRules)} (in flight: {inFlight})");
        Assert.True(extraPorts.Count == 0 || (inFlight == "port" && extraPorts.Count == 1), $"unexpected ports {string.Join(", ", extraPorts)}");
        Assert.All(storedGroups.Values, g => Assert.Equal(2, g.Rules.Count(r => r.Protocol is null && r.Direction == "egress")));

        // The restored daemon still takes changes.
        var after = await restarted.CreateSecurityGroupAsync(new SecurityGroupRequest { Name = "after-kill" });
        Assert.Equal("after-kill", after.Name);
    }
}
