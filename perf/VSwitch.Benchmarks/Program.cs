using BenchmarkDotNet.Running;
using VSwitch.Benchmarks;
using VSwitch.Benchmarks.Policy;

// dotnet run -c Release --project perf/VSwitch.Benchmarks -- --filter '*'   (BenchmarkDotNet's own arguments)
// dotnet run -c Release --project perf/VSwitch.Benchmarks -- scale       (issue 3's policy scale report)
// dotnet run -c Release --project perf/VSwitch.Benchmarks -- scale-changes [PORTS] [RULES_PER_GROUP]   (issue 17's change latency report)
// dotnet run -c Release --project perf/VSwitch.Benchmarks -- profile established|new FLOWS SECONDS   (a loop for perf record)
if (args is ["profile", ..])
{
    ProfileLoop.Run(args);
    return;
}
if (args is ["scale-changes", ..])
{
    PolicyChangeReport.Run(args);
    return;
}
if (args is ["scale", ..])
{
    PolicyScaleReport.Run();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(PolicyScaleReport).Assembly).Run(args);
