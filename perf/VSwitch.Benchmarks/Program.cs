using BenchmarkDotNet.Running;

// dotnet run -c Release --project perf/VSwitch.Benchmarks -- --filter '*'   (BenchmarkDotNet's own arguments)
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
