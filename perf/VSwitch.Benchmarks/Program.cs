using BenchmarkDotNet.Running;
using VSwitch.Benchmarks.Policy;

// dotnet run -c Release --project perf/VSwitch.Benchmarks -- --filter '*'   (BenchmarkDotNet's own arguments)
// dotnet run -c Release --project perf/VSwitch.Benchmarks -- scale       (issue 3's policy scale report)
if (args is ["scale", ..])
{
    PolicyScaleReport.Run();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
