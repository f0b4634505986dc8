using System.Diagnostics;
using VSwitch.Control;
using VSwitch.Control.Model;
using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Benchmarks.Policy;

/// <summary>
/// Issue 3's scale measurement: 10,000 rules in 100 groups over 1,000 ports, compiled by the control plane's
/// <see cref="PolicyCompiler"/>; prints compile time, compiled memory and lookup time per packet beside a linear scan.
/// Run: <c>dotnet run -c Release --project perf/VSwitch.Benchmarks -- scale</c>.
/// </summary>
public static class PolicyScaleReport
{
    public static void Run()
    {
        var rnd = new Random(7);
        var sequence = 0;
        var context = new OperationContext(ProjectId.Parse("admin"), () => new Guid(sequence++, 0, 0, new byte[8]), () => DateTimeOffset.UnixEpoch, ProjectDefaults.ShippedPresets);
        var model = SwitchModel.Empty;
        var network = NetworkOperations.Create(model, new NetworkBody("scale"), context);
        model = network.Model;
        var groups = new List<Guid>();
        for (var g = 0; g < 100; g++)
        {
            var group = SecurityGroupOperations.Create(model, new SecurityGroupBody($"g{g}"), context);
            model = group.Model;
            groups.Add(group.Value.Id);
        }
        var sw = Stopwatch.StartNew();
        for (var g = 0; g < 100; g++)
        {
            var bodies = new List<SecurityGroupRuleBody>();
            for (var r = 0; r < 100; r++)
            {
                var port = 1000 + (g * 100) + r;
                var remoteGroup = r % 10 == 0 ? groups[rnd.Next(groups.Count)] : (Guid?)null;
                bodies.Add(new SecurityGroupRuleBody(groups[g], "ingress", r % 3 == 0 ? "IPv6" : "IPv4", r % 2 == 0 ? "tcp" : "udp",
                    port, port + rnd.Next(3),
                    remoteGroup is null ? (r % 3 == 0 ? $"2001:db8:{g:x}:{r:x}::/64" : $"198.18.{g}.{r}/32") : null, remoteGroup));
            }
            model = SecurityGroupRuleOperations.CreateBulk(model, bodies, context).Model;
        }
        for (var p = 0; p < 1000; p++)
        {
            var ports = new List<Guid> { groups[p % 100], groups[(p * 7) % 100] }.Distinct().ToList();
            model = PortOperations.Create(model, new PortBody($"p{p}", network.Value.Id, "memory", null, true,
                [$"198.19.{p / 250}.{(p % 250) + 1}", $"2001:db8:ffff::{p + 1:x}"], null, ports), context).Model;
        }
        var buildMs = sw.ElapsedMilliseconds;
        var rules = model.SecurityGroups.Values.Sum(g => g.Rules.Count);

        var compiler = new PolicyCompiler(65536);
        sw.Restart();
        compiler.Compile(model);
        var compileMs = sw.Elapsed.TotalMilliseconds;
        var memory = compiler.MemorySize;
        var entries = compiler.IngressEntryCount;
        var policies = model.Ports.Keys.Select(compiler.PolicyOf).ToList();

        // Recompile after one membership change: only the ports whose rules name that group are rebuilt.
        var moved = model.Ports.Values.First();
        var changed = PortOperations.Update(model, moved.Id, new PortBody(SecurityGroups: [groups[99]]), context).Model;
        sw.Restart();
        compiler.Compile(changed);
        var recompileMs = sw.Elapsed.TotalMilliseconds;

        // Lookup cost on the busiest port's ingress classifier: a miss (nothing matches) and a hit.
        var busiest = policies.Where(p => p is not null).MaxBy(p => p!.Ingress.RuleCount)!;
        var miss = new ClassifierQuery { RemoteAddress = IpAddress128.FromIpv4(0x0A00_0001), Protocol = 6, PortKey = 1 };
        var perLookupNs = Time(() => busiest.Ingress.Lookup(in miss));
        var all = model.SecurityGroups.Values.SelectMany(g => g.Rules).ToList();
        var linearNs = Time(() =>
        {
            var found = -1;
            foreach (var r in all)
            {
                if (r.Direction == RuleDirection.Ingress && r.ProtocolNumber == miss.Protocol && r.PortRangeMin <= miss.PortKey
                    && miss.PortKey <= r.PortRangeMax && r.RemoteIpPrefix is { } prefix && prefix.Contains(miss.RemoteAddress))
                {
                    found = 1;
                }
            }
            return found;
        });

        // One rule create on this model, without quotas and with them enforced (limits that never refuse but are limits,
        // so the count runs; -1 would skip it): what quota enforcement adds to a create (issue 16).
        var extra = new SecurityGroupRuleBody(groups[0], "egress", "IPv4", "udp", 53, 53, "198.18.255.0/24");
        var plainUs = Time(() => SecurityGroupRuleOperations.Create(model, extra, context).Value.PortRangeMin ?? 0) / 1000;
        var quotaContext = context with { QuotaDefaults = QuotaLimits.Of([.. QuotaLimits.Resources.Select(r => new KeyValuePair<string, int>(r, int.MaxValue))]) };
        var quotaUs = Time(() => SecurityGroupRuleOperations.Create(model, extra, quotaContext).Value.PortRangeMin ?? 0) / 1000;

        System.Console.WriteLine($"model: {rules} rules in {model.SecurityGroups.Count} groups, {model.Ports.Count} ports (built in {buildMs} ms)");
        System.Console.WriteLine($"compile (all ports, cold): {compileMs:F0} ms; compiled memory: {memory / 1024.0 / 1024.0:F1} MiB; ingress entries: {entries}; shared classifier pairs: {compiler.GroupSetCount}");
        System.Console.WriteLine($"recompile after one port changed groups: {recompileMs:F0} ms");
        System.Console.WriteLine($"busiest port: {busiest.Ingress.RuleCount} ingress rules, mask types v4/v6 {busiest.Ingress.MaskTypeCount}");
        System.Console.WriteLine($"lookup (miss) compiled: {perLookupNs:F1} ns; linear scan of all {rules} rules: {linearNs:F0} ns; ratio {linearNs / perLookupNs:F0}x");
        System.Console.WriteLine($"one rule create on this model: {plainUs:F0} us without quotas, {quotaUs:F0} us with quota enforcement");
    }

    private static double Time(Func<int> lookup)
    {
        var sink = 0;
        for (var i = 0; i < 1000; i++)
        {
            sink += lookup();
        }
        var n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 300)
        {
            for (var i = 0; i < 100; i++)
            {
                sink += lookup();
            }
            n += 100;
        }
        GC.KeepAlive(sink);
        return sw.Elapsed.TotalNanoseconds / n;
    }
}
