using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using VSwitch.Control;
using VSwitch.Control.Model;
using VSwitch.Control.Persistence;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;

namespace VSwitch.Benchmarks.Policy;

/// <summary>
/// Issue 17's scale measurement, through the daemon's own control plane in-process (the model operations the API runs,
/// the SQLite store with its fsync, the reconciler, one running worker and <c>memory</c> ports): 100,000 rules in 100
/// groups over 1,000 ports, every port also in one remote group (1,000 members) that a rule of its own names. Prints the
/// setup time, cold compile, memory, and the latency of a change (answered after the workers switched, commit included):
/// a VM joining the remote group, and a rule added to a group used by 10 ports, while traffic between two untouched ports
/// is counted.
/// Run: <c>dotnet run -c Release --project perf/VSwitch.Benchmarks -- scale-changes [PORTS] [RULES_PER_GROUP]</c>.
/// </summary>
public static class PolicyChangeReport
{
    private sealed class RecordingMemoryPorts : IPortType
    {
        private readonly MemoryPortType _inner = new();

        public Dictionary<string, InMemoryPort> Opened { get; } = [];

        public string Scheme => _inner.Scheme;

        public string Syntax => _inner.Syntax;

        public PortDevice Parse(string device) => _inner.Parse(device) with { Type = this };

        public IPort Open(PortRequest request)
        {
            var port = (InMemoryPort)_inner.Open(request);
            lock (Opened)
            {
                Opened[request.Device] = port;
            }
            return port;
        }
    }

    public static void Run(string[] args)
    {
        var portCount = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000;
        var rulesPerGroup = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1000;
        var dir = Directory.CreateTempSubdirectory("vswitch-scale-").FullName;
        try
        {
            Measure(dir, portCount, rulesPerGroup);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Measure(string dir, int portCount, int rulesPerGroup)
    {
        var ports = new RecordingMemoryPorts();
        var portTypes = new PortTypes(ports);
        using var datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = portCount + 64, BufferSize = 2048, MaxRules = 262144 });
        datapath.Start();
        var reconciler = new Reconciler(datapath, portTypes, NullLogger<Reconciler>.Instance);
        using var store = StateStore.Open(dir);
        var models = new ModelService(store, reconciler, NullLogger<ModelService>.Instance);
        models.Start(SwitchModel.Empty);
        var context = new OperationContext(ProjectId.Parse("admin"), Guid.NewGuid, () => DateTimeOffset.UtcNow, ProjectDefaults.ShippedPresets) { PortTypes = portTypes };
        var rnd = new Random(7);

        var network = models.Execute(m => NetworkOperations.Create(m, new NetworkBody("scale"), context));
        var members = models.Execute(m => SecurityGroupOperations.Create(m, new SecurityGroupBody("members"), context));
        models.Execute(m => SecurityGroupRuleOperations.Create(m, new SecurityGroupRuleBody(members.Id, "ingress", "IPv4", RemoteGroupId: members.Id), context));
        var groups = new List<Guid>();
        for (var g = 0; g < 100; g++)
        {
            groups.Add(models.Execute(m => SecurityGroupOperations.Create(m, new SecurityGroupBody($"g{g}"), context)).Id);
        }

        var sw = Stopwatch.StartNew();
        for (var g = 0; g < 100; g++)
        {
            var bodies = new List<SecurityGroupRuleBody>();
            for (var r = 0; r < rulesPerGroup; r++)
            {
                var port = 1000 + (g * rulesPerGroup) + r;
                var remoteGroup = r % 10 == 0 ? groups[rnd.Next(groups.Count)] : (Guid?)null;
                bodies.Add(new SecurityGroupRuleBody(groups[g], "ingress", r % 3 == 0 ? "IPv6" : "IPv4", r % 2 == 0 ? "tcp" : "udp",
                    1 + (port % 64000), 1 + (port % 64000) + rnd.Next(3),
                    remoteGroup is null ? (r % 3 == 0 ? $"2001:db8:{g:x}:{r:x}::/64" : $"198.18.{g}.{r % 256}/32") : null, remoteGroup));
            }
            models.Execute(m => SecurityGroupRuleOperations.CreateBulk(m, bodies, context));
        }
        var rulesMs = sw.ElapsedMilliseconds;
        sw.Restart();
        var portCreates = new List<double>();
        for (var p = 0; p < portCount; p++)
        {
            var start = Stopwatch.GetTimestamp();
            models.Execute(m => PortOperations.Create(m, new PortBody($"p{p}", network.Id, $"memory:p{p}", null, true,
                [$"198.19.{p / 250}.{(p % 250) + 1}", $"2001:db8:ffff::{p + 1:x}"], null,
                new List<Guid> { groups[p % 100], groups[(p * 7) % 100] }.Distinct().Append(members.Id).ToList()), context));
            portCreates.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        var portsMs = sw.ElapsedMilliseconds;
        var model = models.Current;
        var rules = model.SecurityGroups.Values.Sum(g => g.Rules.Count);
        System.Console.WriteLine($"model: {rules} rules in {model.SecurityGroups.Count} groups, {model.Ports.Count} ports; remote group 'members' has {model.Ports.Count} members");
        System.Console.WriteLine($"setup through the control plane: rules in bulk {rulesMs} ms, {portCount} port creates one at a time {portsMs} ms (total {(rulesMs + portsMs) / 1000.0:F1} s); " +
            $"port create p50 {Percentile(portCreates, 50):F1} ms, p99 {Percentile(portCreates, 99):F1} ms, last 100 mean {portCreates.TakeLast(100).Average():F1} ms");

        var compiler = new PolicyCompiler(262144);
        sw.Restart();
        compiler.Compile(model);
        System.Console.WriteLine($"cold compile of this model: {sw.ElapsedMilliseconds} ms; compiled memory {compiler.MemorySize / 1024.0 / 1024.0:F1} MiB in {compiler.GroupSetCount} shared classifier pairs and {compiler.AddressSets.Count(s => s is not null)} address sets");
        compiler = null;
        System.Console.WriteLine($"process RSS after setup (GC'd): {Rss() / 1024.0 / 1024.0:F0} MiB");

        // Traffic between two untouched ports of a stateless group, through the flow cache, during the changes below.
        var stateless = models.Execute(m => SecurityGroupOperations.Create(m, new SecurityGroupBody("stateless", Stateful: false), context));
        models.Execute(m => SecurityGroupRuleOperations.Create(m, new SecurityGroupRuleBody(stateless.Id, "ingress", "IPv4", "udp"), context));
        var x = models.Execute(m => PortOperations.Create(m, new PortBody("x", network.Id, "memory:x", null, true, ["198.19.10.1"], null, [stateless.Id]), context));
        var y = models.Execute(m => PortOperations.Create(m, new PortBody("y", network.Id, "memory:y", null, true, ["198.19.10.2"], null, [stateless.Id]), context));
        var frame = BenchmarkFrames.Udp64(x.Mac!.Value, y.Mac!.Value, 1);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(14 + 12), 0xC613_0A01);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(14 + 16), 0xC613_0A02);
        var sender = ports.Opened["memory:x"];
        var receiver = ports.Opened["memory:y"];
        using var stop = new CancellationTokenSource();
        var traffic = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                for (var i = 0; i < 16; i++)
                {
                    sender.Inject(frame);
                }
                // About 16 frames per millisecond: steady traffic for the counters without taking a core from the
                // worker and the control plane being measured on this 2-core machine.
                Thread.Sleep(1);
            }
        });
        // Let the first frames through (the flow cache's first misses) before the counters are read.
        Thread.Sleep(500);

        // A VM joining (and leaving) the 1,000-member remote group: with its other groups as another port has them (the
        // classifiers exist; the set changes), and with a combination no port had (its classifiers are compiled too).
        var joiner = models.Execute(m => PortOperations.Create(m, new PortBody("joiner", network.Id, "memory:joiner", null, true, ["198.19.9.1"], null, [groups[1], groups[7]]), context));
        var (hits, misses, revalidated, received) = Counters(datapath, receiver);
        var joins = new List<double>();
        var leaves = new List<double>();
        var joinPhases = new List<ChangeTimings>();
        for (var i = 0; i < 200; i++)
        {
            var groupsNow = i % 2 == 0 ? new List<Guid> { groups[1], groups[7], members.Id } : [groups[1], groups[7]];
            var start = Stopwatch.GetTimestamp();
            models.Execute(m => PortOperations.Update(m, joiner.Id, new PortBody(SecurityGroups: groupsNow), context));
            (i % 2 == 0 ? joins : leaves).Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (i % 2 == 0)
            {
                joinPhases.Add(models.LastChange);
            }
        }
        var (hits2, misses2, revalidated2, received2) = Counters(datapath, receiver);
        System.Console.WriteLine($"a VM joining the {portCount}-member remote group (100 joins and 100 leaves, commit and worker switch included): " +
            $"join p50 {Percentile(joins, 50):F2} ms, p99 {Percentile(joins, 99):F2} ms, max {joins.Max():F2} ms; leave p50 {Percentile(leaves, 50):F2} ms, p99 {Percentile(leaves, 99):F2} ms");
        System.Console.WriteLine($"  meanwhile between two untouched ports: {received2 - received} frames delivered, flow-cache hit ratio {Ratio(hits2 - hits, misses2 - misses)}, connections re-checked {revalidated2 - revalidated}");
        System.Console.WriteLine($"  where a join's time goes: {Phases(joinPhases)}");
        var fresh = new List<double>();
        for (var i = 0; i < 100; i++)
        {
            // (g(50 + i % 50), g(i / 2 + 1), members): a group list no port has had.
            var groupsNow = new List<Guid> { groups[50 + (i % 50)], groups[(i / 2) + 1], members.Id };
            var start = Stopwatch.GetTimestamp();
            models.Execute(m => PortOperations.Update(m, joiner.Id, new PortBody(SecurityGroups: groupsNow), context));
            fresh.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        System.Console.WriteLine($"a VM joining with a group list no port had ({rulesPerGroup * 2} rules compiled): p50 {Percentile(fresh, 50):F2} ms, p99 {Percentile(fresh, 99):F2} ms");

        // A rule added to (and removed from) a group used by 10 ports, at about 100 changes per second.
        var ten = models.Execute(m => SecurityGroupOperations.Create(m, new SecurityGroupBody("ten"), context));
        for (var p = 0; p < 10; p++)
        {
            var index = p;
            models.Execute(m => PortOperations.Create(m, new PortBody($"ten{index}", network.Id, $"memory:ten{index}", null, true, [$"198.19.11.{index + 1}"], null, [ten.Id, members.Id]), context));
        }
        (hits, misses, revalidated, received) = Counters(datapath, receiver);
        var adds = new List<double>();
        var deletes = new List<double>();
        var addPhases = new List<ChangeTimings>();
        var storm = Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var rule = models.Execute(m => SecurityGroupRuleOperations.Create(m, new SecurityGroupRuleBody(ten.Id, "ingress", "IPv4", "tcp", 7000 + i, 7000 + i), context));
            adds.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            addPhases.Add(models.LastChange);
            // Paces the storm at one change per 5 ms (the issue's 100+ changes per second), not as fast as possible.
            Thread.Sleep(Math.Max(0, (int)((i * 2 + 1) * 5 - storm.ElapsedMilliseconds)));
            start = Stopwatch.GetTimestamp();
            models.Execute(m => SecurityGroupRuleOperations.Delete(m, rule.Id, context));
            deletes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            // As above: the next change starts on the 5 ms grid.
            Thread.Sleep(Math.Max(0, (int)((i * 2 + 2) * 5 - storm.ElapsedMilliseconds)));
        }
        (hits2, misses2, revalidated2, received2) = Counters(datapath, receiver);
        System.Console.WriteLine($"a rule added to a group used by 10 ports: p50 {Percentile(adds, 50):F2} ms, p99 {Percentile(adds, 99):F2} ms; removed: p50 {Percentile(deletes, 50):F2} ms, p99 {Percentile(deletes, 99):F2} ms " +
            $"({400 / storm.Elapsed.TotalSeconds:F0} changes/s)");
        System.Console.WriteLine($"  meanwhile between two untouched ports: {received2 - received} frames delivered, flow-cache hit ratio {Ratio(hits2 - hits, misses2 - misses)}, connections re-checked {revalidated2 - revalidated}");
        System.Console.WriteLine($"  where a rule add's time goes: {Phases(addPhases)}");

        stop.Cancel();
        traffic.Wait();

        // Memory returns when the rules go: delete every group's rules (the groups stay, so do the ports).
        sw.Restart();
        foreach (var g in groups)
        {
            var ids = models.Current.SecurityGroups[g].Rules.Select(r => r.Id).ToHashSet();
            models.Execute(m => m with { SecurityGroups = m.SecurityGroups.SetItem(g, m.SecurityGroups[g] with { Rules = m.SecurityGroups[g].Rules.Where(r => !ids.Contains(r.Id)).ToEquatableArray() }) });
        }
        System.Console.WriteLine($"deleted the {rules - 1} rules of the 100 groups in {sw.ElapsedMilliseconds} ms; process RSS after (GC'd): {Rss() / 1024.0 / 1024.0:F0} MiB");
        reconciler.Dispose();
        datapath.Stop();
        reconciler.CloseRetired();
    }

    private static (long Hits, long Misses, long Revalidated, long Received) Counters(Datapath datapath, InMemoryPort receiver)
    {
        // The worker counts a batch after forwarding it: let the frames in flight be counted before reading.
        Thread.Sleep(100);
        return (datapath.Read(WorkerCounter.FlowCacheHits), datapath.Read(WorkerCounter.FlowCacheMisses), datapath.Read(WorkerCounter.ConntrackRevalidated), receiver.TransmittedCount);
    }

    /// <summary>p50 and p99 of each phase of a change (ModelService.LastChange): operation, commit, apply (compile inside it).</summary>
    private static string Phases(List<ChangeTimings> phases)
    {
        string Of(string name, Func<ChangeTimings, TimeSpan> pick)
        {
            var values = phases.Select(p => pick(p).TotalMilliseconds).ToList();
            return $"{name} p50 {Percentile(values, 50):F2} / p99 {Percentile(values, 99):F2} ms";
        }
        return $"{Of("operation", p => p.Operation)}; {Of("commit (SQLite, fsync)", p => p.Commit)}; " +
            $"{Of("apply", p => p.Apply)}, of which {Of("policy compile", p => p.Compile)}, {Of("the workers' switch", p => p.Publish)}, " +
            $"{Of("the reconciler's passes over the ports", p => p.Apply - p.Compile - p.Publish)}";
    }

    private static string Ratio(long hits, long misses) => hits + misses == 0 ? "-" : $"{100.0 * hits / (hits + misses):F2} % ({hits} hits, {misses} misses)";

    private static long Rss()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
    }
}
