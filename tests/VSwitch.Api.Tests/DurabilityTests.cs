using System.Net;
using System.Text.Json.Nodes;
using VSwitch.Control.Model;

namespace VSwitch.Api.Tests;

public sealed class DurabilityTests
{
    [Fact]
    public async Task Restart_SecondHostOverTheSameStateDir_SeesEverything()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-restart-").FullName;
        try
        {
            string portId, ruleId, groupId;
            await using (var first = await ApiHost.StartAsync(dir))
            {
                using var client = first.Client();
                var net = await client.CreateAsync("networks", "network", """{"network": {"name": "n"}}""");
                var group = await client.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "g"}}""");
                groupId = (string)group["id"]!;
                ruleId = (string)(await client.CreateAsync("security-group-rules", "security_group_rule",
                    $$$"""{"security_group_rule": {"security_group_id": "{{{groupId}}}", "direction": "ingress", "protocol": "icmp"}}"""))["id"]!;
                portId = (string)(await client.CreateAsync("ports", "port",
                    $$$"""{"port": {"network_id": "{{{net["id"]}}}", "binding:profile": {"device": "memory:r", "conntrack_limit": 5}, "security_groups": ["{{{groupId}}}"], "fixed_ips": [{"ip_address": "198.18.0.40"}]}}"""))["id"]!;
            }
            await using var second = await ApiHost.StartAsync(dir);
            using var again = second.Client();
            var port = await again.GetJson($"v2.0/ports/{portId}");
            Assert.Equal(HttpStatusCode.OK, port.Status);
            Assert.Equal("ACTIVE", (string)port.Body!["port"]!["status"]!);
            Assert.Equal(groupId, (string)port.Body["port"]!["security_groups"]![0]!);
            Assert.Equal(5, (int)port.Body["port"]!["binding:profile"]!["conntrack_limit"]!);
            Assert.Equal(HttpStatusCode.OK, (await again.GetJson($"v2.0/security-group-rules/{ruleId}")).Status);
            Assert.True(second.Reconciler.SlotOf(Guid.Parse(portId)) >= 0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ConfigurationObjects_CarryRealTimestamps_KeptUntilTheFileChangesThem()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-api-config-").FullName;
        try
        {
            static SwitchModel File(int mtu) => VSwitch.Control.Configuration.SwitchConfig.Parse(
                $$$"""{"networks": [{"name": "cfg", "mtu": {{{mtu}}}}], "security_groups": [{"name": "cfg-web", "rules": [{"direction": "ingress", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80}]}]}""").ToModel();
            var start = DateTimeOffset.UtcNow.AddSeconds(-1);
            JsonNode first;
            await using (var host = await ApiHost.StartAsync(dir, fileModel: File(1500)))
            {
                using var client = host.Client();
                first = (await client.GetJson("v2.0/networks?name=cfg")).Body!["networks"]![0]!;
                var created = DateTimeOffset.Parse((string)first["created_at"]!, System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(created, start, DateTimeOffset.UtcNow.AddSeconds(1));
                var rule = (await client.GetJson("v2.0/security-group-rules?port_range_min=80")).Body!["security_group_rules"]![0]!;
                Assert.StartsWith(DateTimeOffset.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture), (string)rule["created_at"]!);
            }
            await Task.Delay(1100); // timestamps have whole seconds
            await using (var host = await ApiHost.StartAsync(dir, fileModel: File(1500)))
            {
                using var client = host.Client();
                var again = (await client.GetJson("v2.0/networks?name=cfg")).Body!["networks"]![0]!;
                Assert.Equal((string)first["created_at"]!, (string)again["created_at"]!);
                Assert.Equal((string)first["updated_at"]!, (string)again["updated_at"]!);
            }
            await using (var host = await ApiHost.StartAsync(dir, fileModel: File(1400)))
            {
                using var client = host.Client();
                var changed = (await client.GetJson("v2.0/networks?name=cfg")).Body!["networks"]![0]!;
                Assert.Equal(1400, (int)changed["mtu"]!);
                Assert.Equal((string)first["created_at"]!, (string)changed["created_at"]!);
                Assert.NotEqual((string)first["updated_at"]!, (string)changed["updated_at"]!);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task ConcurrentClients_LoseNothingAndCreateNoDuplicates()
    {
        // 450 rules in one project: beyond Neutron's default quota of 100, which is not what this test is about.
        await using var host = await ApiHost.StartAsync(quotas: QuotaLimits.Unlimited);
        using var setup = host.Client();
        var group = (string)(await setup.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "busy"}}"""))["id"]!;
        const int Clients = 8, RulesEach = 50;
        var created = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var client = host.Client();
            for (var i = 0; i < RulesEach; i++)
            {
                // Every client also tries one rule that another client creates: exactly one of them must win.
                var port = 1000 + (c * RulesEach) + i;
                var shared = 60000 + i;
                foreach (var p in new[] { port, shared })
                {
                    var answer = await client.PostJson("v2.0/security-group-rules",
                        $$$"""{"security_group_rule": {"security_group_id": "{{{group}}}", "direction": "ingress", "protocol": "tcp", "port_range_min": {{{p}}}, "port_range_max": {{{p}}}}}""");
                    if (answer.Status == HttpStatusCode.Created)
                    {
                        created.Add((string)answer.Body!["security_group_rule"]!["id"]!);
                    }
                    else
                    {
                        Assert.Equal(HttpStatusCode.Conflict, answer.Status);
                        Assert.Equal(shared, p);
                    }
                }
            }
        })));
        var rules = host.Models.Current.SecurityGroups[Guid.Parse(group)].Rules;
        Assert.Equal(2 + (Clients * RulesEach) + RulesEach, rules.Count);
        Assert.Equal(created.Order(), rules.Skip(2).Select(r => r.Id.ToString()).Order());
        Assert.Equal(rules.Count, rules.Select(r => r.PortRangeMin).Distinct().Count() + 1);
    }
}
