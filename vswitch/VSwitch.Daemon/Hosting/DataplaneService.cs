using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VSwitch.Control;
using VSwitch.Control.Configuration;
using VSwitch.Control.Model;
using VSwitch.Dataplane;

namespace VSwitch.Daemon.Hosting;

/// <summary>
/// Starts the workers, applies the stored state merged with the configured networks and ports (through
/// <see cref="ModelService"/>), watches port health, and on shutdown detaches
/// every port (removing the TAP devices the switch created) before it stops the workers.
/// </summary>
public sealed partial class DataplaneService(
    Datapath datapath,
    Reconciler reconciler,
    ModelService models,
    SwitchModel initialModel,
    VSwitchOptions options,
    ILogger<DataplaneService> log) : BackgroundService
{
    private PosixSignalRegistration? _hangup;

    /// <summary>How often port health is checked (a vanished interface is reported within this time).</summary>
    private static readonly TimeSpan s_healthInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How often a slice of the connection table is swept for expired entries.</summary>
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Entries examined per sweep slice (a full pass over 1M entries takes about 10 s).</summary>
    private const int SweepBudget = 10_000;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The first packets of the VMs must wait neither for the JIT compiler (PipelineWarmup remarks) nor for the
        // kernel to zero the connection table's first huge pages (ConnTable.Prefault).
        var warmup = VSwitch.Dataplane.Pipeline.PipelineWarmup.Run();
        var prefault = System.Diagnostics.Stopwatch.StartNew();
        datapath.Conntrack.Prefault();
        WarmedUp(log, warmup.Elapsed.TotalMilliseconds, prefault.Elapsed.TotalMilliseconds);
        datapath.Start();
        var cpus = string.Join(",", datapath.Workers.Select(w => w.Cpu));
        Started(log, datapath.Workers.Length, cpus,
            datapath.Options.BusyPollMicroseconds > 0 ? $"busy-poll {datapath.Options.BusyPollMicroseconds} us" : "busy-poll off");
        // The store is authoritative; the configuration file's objects are merged into it (ModelService remarks).
        models.Start(initialModel);
        if (options.ConfigFile is { } path)
        {
            // SIGHUP re-reads the configuration file and applies the difference: ports come and go without a restart.
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                Reload(path);
            });
        }
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Conntrack expiry runs in small slices every 100 ms so that no shard lock is held for long.
        using var timer = new PeriodicTimer(s_sweepInterval);
        var ticks = 0L;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                datapath.Conntrack.Sweep(datapath.NowMs(), SweepBudget);
                if (++ticks % (s_healthInterval.Ticks / s_sweepInterval.Ticks) == 0)
                {
                    reconciler.CheckHealth();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Reload(string path)
    {
        try
        {
            var model = SwitchConfig.Load(path).ToModel(path, DaemonPortTypes.All);
            models.MergeConfig(model);
            Reloaded(log, path);
        }
        catch (Exception ex) when (ex is ConfigException or NeutronException or VSwitch.Control.Persistence.StateStoreException)
        {
            ReloadRejected(log, ex.Message);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // A file the checks let through but the model cannot take: refused, and the daemon keeps running.
            ReloadRejected(log, ex.Message);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _hangup?.Dispose();
        await base.StopAsync(cancellationToken);
        reconciler.Dispose();
        datapath.Stop();
        // A worker that was late to leave the last snapshot has stopped now: close what it might still have used.
        reconciler.CloseRetired();
        Stopped(log);
    }

    [LoggerMessage(100, LogLevel.Information, "data path started: {Workers} workers on CPUs {Cpus}, {BusyPoll}")]
    private static partial void Started(ILogger logger, int workers, string cpus, string busyPoll);

    [LoggerMessage(104, LogLevel.Information, "pipeline warmed up in {Warmup:0} ms, connection table's first pages committed in {Prefault:0} ms")]
    private static partial void WarmedUp(ILogger logger, double warmup, double prefault);

    [LoggerMessage(101, LogLevel.Information, "data path stopped; all ports detached")]
    private static partial void Stopped(ILogger logger);

    [LoggerMessage(102, LogLevel.Information, "configuration {Path} reloaded")]
    private static partial void Reloaded(ILogger logger, string path);

    [LoggerMessage(103, LogLevel.Error, "configuration not reloaded, the running state is unchanged: {Reason}")]
    private static partial void ReloadRejected(ILogger logger, string reason);
}
