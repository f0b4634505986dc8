using System.Diagnostics;
using VSwitch.Benchmarks.Pipeline;

namespace VSwitch.Benchmarks;

/// <summary>
/// Runs one pipeline benchmark in a plain loop for a while, for a sampling profiler:
/// <c>DOTNET_PerfMapEnabled=1 perf record -g dotnet perf/VSwitch.Benchmarks/bin/Release/net10.0/VSwitch.Benchmarks.dll profile established 4096 10</c>
/// then <c>perf report --no-children</c>. Loops: <c>established</c>, <c>new</c> (StatefulPipelineBenchmarks, the flows
/// argument applies) and <c>switched</c>, <c>routed</c>, <c>floating</c>, <c>snat-out</c>, <c>snat-reply</c>
/// (RoutedPipelineBenchmarks, 4,096 flows); <c>ratios [SECONDS]</c> prints the routed ones' cost relative to the
/// switched one, measured in alternation (for a noisy machine). BenchmarkDotNet's own runs fork a process per benchmark, which is awkward to
/// attach to; this loop is what the profile of issue 8's note was taken from.
/// </summary>
internal static class ProfileLoop
{
    public static void Run(string[] args)
    {
        var which = args.Length > 1 ? args[1] : "established";
        if (which == "ratios")
        {
            Ratios(args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20);
            return;
        }
        var flows = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 4096;
        var seconds = args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 10;
        var bench = new StatefulPipelineBenchmarks { ActiveFlows = flows };
        var routed = new RoutedPipelineBenchmarks();
        Action step;
        Action cleanup;
        if (which is "established" or "new")
        {
            bench.Setup();
            step = which == "established" ? bench.EstablishedBatch : bench.NewConnectionsBatch;
            cleanup = bench.Cleanup;
        }
        else
        {
            flows = 4096;
            step = which switch
            {
                "switched" => routed.SwitchedBatch,
                "routed" => routed.RoutedBatch,
                "floating" => routed.FloatingIpBatch,
                "snat-out" => routed.SnatOutBatch,
                "snat-reply" => routed.SnatReplyBatch,
                _ => throw new ArgumentException($"unknown loop '{which}': established, new, switched, routed, floating, snat-out, snat-reply or ratios"),
            };
            routed.Setup();
            cleanup = routed.Cleanup;
        }
        var watch = Stopwatch.StartNew();
        long batches = 0;
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            for (var i = 0; i < 1000; i++)
            {
                step();
            }
            batches += 1000;
        }
        var ns = watch.Elapsed.TotalNanoseconds / (batches * 32);
        System.Console.WriteLine($"{which} ActiveFlows={flows}: {batches} batches of 32 in {watch.Elapsed.TotalSeconds:0.0} s, {ns:0.0} ns/packet");
        cleanup();
    }

    /// <summary>
    /// The routed benchmarks' costs relative to the switched one, measured in alternation within one process (200 ms
    /// of each per round), so that a neighbour's load on a shared machine moves both sides of each ratio alike: the
    /// median ratio over the rounds.
    /// </summary>
    private static void Ratios(double seconds)
    {
        var bench = new RoutedPipelineBenchmarks();
        bench.Setup();
        (string Name, Action Step)[] loops =
        [
            ("switched", bench.SwitchedBatch), ("routed", bench.RoutedBatch), ("floating", bench.FloatingIpBatch),
            ("snat-out", bench.SnatOutBatch), ("snat-reply", bench.SnatReplyBatch),
        ];
        var samples = loops.Select(_ => new List<double>()).ToArray();
        var total = Stopwatch.StartNew();
        for (var round = 0; round == 0 || total.Elapsed.TotalSeconds < seconds; round++)
        {
            // Each round starts with another loop, so that none always follows the same one.
            for (var j = 0; j < loops.Length; j++)
            {
                var k = (round + j) % loops.Length;
                var watch = Stopwatch.StartNew();
                long batches = 0;
                while (watch.ElapsedMilliseconds < 200)
                {
                    for (var i = 0; i < 100; i++)
                    {
                        loops[k].Step();
                    }
                    batches += 100;
                }
                samples[k].Add(watch.Elapsed.TotalNanoseconds / (batches * 32));
            }
        }
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted[sorted.Length / 2];
        }
        System.Console.WriteLine($"{samples[0].Count} rounds; switched median {Median(samples[0]):0.0} ns/packet");
        for (var k = 1; k < loops.Length; k++)
        {
            var ratios = samples[k].Select((ns, round) => ns / samples[0][round]);
            System.Console.WriteLine($"{loops[k].Name}: median {Median(samples[k]):0.0} ns/packet, {Median(ratios):0.00}x switched (median of per-round ratios)");
        }
        bench.Cleanup();
    }
}
