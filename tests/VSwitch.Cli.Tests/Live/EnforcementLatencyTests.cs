using System.Diagnostics;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VSwitch.Cli.Tests.Live;

/// <summary>
/// Issue 5 item 3: the time from an API change to its enforcement, with 10,000 rules and 100 ports loaded.
/// </summary>
/// <remarks>
/// <para><b>What is measured.</b> <c>ModelService.Execute</c> commits the change to SQLite, recompiles the policy and
/// publishes the new data-path snapshot (one <c>Volatile.Write</c> the workers read at their next batch) before the
/// API answers. The round trip of a rule create or delete over the Unix socket, measured by the client, is therefore
/// an upper bound of "request sent → new snapshot published": enforcement starts no later than the answer, and the
/// time after the answer is zero by construction.</para>
/// <para><b>Load.</b> 10 security groups of 1,000 TCP rules each (distinct ports, so nothing is merged), 100 ports
/// with a fixed IP spread over the groups on one network, one worker. Then 200 rounds of create-one-rule and
/// delete-it on a group used by 10 ports; p50/p99/max are printed (run <c>perf/api-latency.sh</c> to see them).</para>
/// </remarks>
[Collection(DaemonCollection.Name)]
[Trait("Category", "Perf")]
public sealed class EnforcementLatencyTests(ITestOutputHelper output)
{
    private const int Groups = 10;
    private const int RulesPerGroup = 1000;
    private const int Ports = 100;
    private const int Rounds = 200;

    [Fact]
    public async Task RuleCreateAndDelete_With10kRulesAnd100Ports_AnswerAfterPublishing()
    {
        using var daemon = Vswitchd.Start(config: Vswitchd.UnlimitedQuotas); // 10,000 rules: beyond Neutron's default quota
        using var client = daemon.Client();
        var setup = Stopwatch.StartNew();
        var network = await client.CreateNetworkAsync(new NetworkRequest { Name = "lat-net" });
        var groupIds = new List<string>();
        for (var g = 0; g < Groups; g++)
        {
            var group = await client.CreateSecurityGroupAsync(new SecurityGroupRequest { Name = $"lat-g{g}" });
            groupIds.Add(group.Id);
            await client.CreateSecurityGroupRulesAsync(Enumerable.Range(0, RulesPerGroup).Select(r => new SecurityGroupRuleRequest
            {
                SecurityGroupId = group.Id,
                Direction = "ingress",
                Protocol = r % 2 == 0 ? "tcp" : "udp",
                PortRangeMin = 1024 + r,
                PortRangeMax = 1024 + r,
                RemoteIpPrefix = $"198.18.{r % 250}.0/24",
            }));
        }
        for (var p = 0; p < Ports; p++)
        {
            await client.CreatePortAsync(new PortRequest
            {
                Name = $"lat-p{p}",
                NetworkId = network.Id,
                FixedIps = [new FixedIp { IpAddress = $"198.19.0.{p + 1}" }],
                SecurityGroups = [groupIds[p % Groups]],
                BindingProfile = new BindingProfile { Device = $"memory:lat-p{p}" },
            });
        }
        var loaded = (await client.ListSecurityGroupRulesAsync()).Count;
        Assert.True(loaded >= Groups * RulesPerGroup, $"{loaded} rules loaded");
        output.WriteLine($"setup: {loaded} rules, {Ports} ports in {setup.Elapsed.TotalSeconds:F1} s");

        var creates = new List<double>();
        var deletes = new List<double>();
        for (var i = 0; i < Rounds; i++)
        {
            var sw = Stopwatch.StartNew();
            var rule = await client.CreateSecurityGroupRuleAsync(new SecurityGroupRuleRequest
            {
                SecurityGroupId = groupIds[0],
                Direction = "ingress",
                Protocol = "tcp",
                PortRangeMin = 40000 + i,
                PortRangeMax = 40000 + i,
            });
            creates.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            await client.DeleteSecurityGroupRuleAsync(rule.Id);
            deletes.Add(sw.Elapsed.TotalMilliseconds);
        }
        output.WriteLine(Summary("rule create", creates));
        output.WriteLine(Summary("rule delete", deletes));
        Assert.True(Percentile(creates, 0.99) < 5000 && Percentile(deletes, 0.99) < 5000, "p99 above 5 s");
    }

    private static string Summary(string what, List<double> samples) =>
        $"{what}: n={samples.Count} p50={Percentile(samples, 0.50):F1} ms p99={Percentile(samples, 0.99):F1} ms max={samples.Max():F1} ms";

    private static double Percentile(List<double> samples, double p)
    {
        var sorted = samples.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
