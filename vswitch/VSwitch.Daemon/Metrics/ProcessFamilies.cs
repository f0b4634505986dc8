using System.Diagnostics;
using System.Globalization;
using Prometheus;

namespace VSwitch.Daemon.Metrics;

/// <summary>
/// The process and .NET runtime families every prometheus-net exporter has, under the names of its
/// <see cref="DotNetStats"/> (so dashboards made for .NET exporters work): <c>process_cpu_seconds_total</c>,
/// <c>process_start_time_seconds</c>, <c>process_num_threads</c>, <c>process_working_set_bytes</c>,
/// <c>process_virtual_memory_bytes</c>, <c>dotnet_collection_count_total</c> (by GC generation) and
/// <c>dotnet_total_memory_bytes</c>.
/// </summary>
/// <remarks>
/// <para>Read from <c>/proc/self/stat</c> and the runtime at each scrape (~35 µs) rather than with DotNetStats, whose
/// <see cref="Process"/> refresh reads a file per thread and lists the open files (ScrapeBenchmarks).</para>
/// <para><c>process_open_handles</c> is left out: .NET lists <c>/proc/self/fd</c> at ~12 µs per open file (it stats
/// every link), and the daemon holds one or more per port: 15 ms per scrape at 1,000 ports, more than the rest of
/// the scrape. <c>ls /proc/$(pidof vswitchd)/fd | wc -l</c> gives it when needed.</para>
/// </remarks>
internal sealed class ProcessFamilies
{
    private readonly Counter _cpuSeconds;
    private readonly Gauge _threads;
    private readonly Gauge _workingSet;
    private readonly Gauge _virtualMemory;
    private readonly Counter _collections;
    private readonly Gauge _totalMemory;
    private readonly Counter.Child[] _generations;

    public ProcessFamilies(CollectorRegistry registry)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        _cpuSeconds = f.CreateCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
        var startTime = f.CreateGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.");
        _threads = f.CreateGauge("process_num_threads", "Total number of threads");
        _workingSet = f.CreateGauge("process_working_set_bytes", "Process working set");
        _virtualMemory = f.CreateGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
        _collections = f.CreateCounter("dotnet_collection_count_total", "GC collection count", ["generation"]);
        _totalMemory = f.CreateGauge("dotnet_total_memory_bytes", "Total known allocated memory");
        _generations = [.. Enumerable.Range(0, GC.MaxGeneration + 1).Select(g => _collections.WithLabels(g.ToString(CultureInfo.InvariantCulture)))];
        using (var self = Process.GetCurrentProcess())
        {
            startTime.Set((self.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds);
        }
        registry.AddBeforeCollectCallback(Publish);
    }

    private void Publish()
    {
        _cpuSeconds.IncTo(Environment.CpuUsage.TotalTime.TotalSeconds);
        for (var g = 0; g < _generations.Length; g++)
        {
            _generations[g].IncTo(GC.CollectionCount(g));
        }
        _totalMemory.Set(GC.GetTotalMemory(forceFullCollection: false));
        if (ProcStat.Read() is { } stat)
        {
            _threads.Set(stat.Threads);
            _virtualMemory.Set(stat.VirtualBytes);
            _workingSet.Set(stat.ResidentPages * (double)Environment.SystemPageSize);
        }
    }

    /// <summary>The fields of <c>/proc/self/stat</c> read here (proc(5)).</summary>
    internal readonly record struct ProcStat(long Threads, long VirtualBytes, long ResidentPages)
    {
        public static ProcStat? Read()
        {
            string text;
            try
            {
                text = File.ReadAllText("/proc/self/stat");
            }
            catch (IOException)
            {
                return null;
            }
            return Parse(text);
        }

        /// <summary>Parses the line; the command name (field 2) may hold spaces and parentheses, so fields count from its last ')'.</summary>
        public static ProcStat? Parse(string text)
        {
            var close = text.LastIndexOf(')');
            if (close < 0)
            {
                return null;
            }
            // After ") ": field 3 (state) is index 0, so field n is index n - 3.
            var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 21
                && long.TryParse(fields[20 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out var threads)
                && long.TryParse(fields[23 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out var vsize)
                && long.TryParse(fields[24 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out var rss)
                ? new ProcStat(threads, vsize, rss)
                : null;
        }
    }
}
