using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VSwitch.Control;
using VSwitch.Control.Configuration;
using VSwitch.Control.Model;
using VSwitch.Control.Persistence;
using VSwitch.Daemon.Api;
using VSwitch.Daemon.Hosting;
using VSwitch.Daemon.Metrics;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Ports;

namespace VSwitch.Daemon;

/// <summary>Wires the daemon together on Microsoft.Extensions.Hosting and runs it until SIGTERM/SIGINT.</summary>
public static partial class DaemonHost
{
    /// <summary>
    /// Runs the daemon until SIGTERM/SIGINT (or until the console quits); 0 on a clean stop, non-zero after printing one
    /// line on stderr when it cannot start.
    /// </summary>
    /// <remarks>
    /// The order is the point: the state directory's lock comes first, so a second daemon on the same directory stops
    /// before it reads the state or touches a port; then every listening socket is bound, so an API socket another
    /// process serves or an address in use stops the start before a port is opened; the store is opened only then.
    /// Everything is released in reverse order, the lock last, after the ports are detached.
    /// </remarks>
    public static async Task<int> RunAsync(VSwitchOptions options, SwitchConfig config, SwitchModel initialModel, CancellationToken cancellation)
    {
        try
        {
            using var stateLock = StateDirLock.Acquire(options.StateDir, options.ApiSocket);
            using var listeners = ListeningSockets.Bind(options.ApiSocket, options.ApiListen, options.MetricsListen);
            using var store = StateStore.Open(options.StateDir);
            using var host = BuildHost(options, config, initialModel, store, listeners);
            AnnounceReadiness(host, options);
            if (options.Console)
            {
                return await RunWithConsoleAsync(host, options, cancellation);
            }
            await host.RunAsync(cancellation);
            return 0;
        }
        catch (Exception ex) when (ex is StartupException or IOException or InvalidOperationException or PortException or StateStoreException or NeutronException)
        {
            System.Console.Error.WriteLine($"vswitchd: {ex.Message}");
            return 1;
        }
    }

    /// <summary>
    /// Logs "vswitchd ready" once every service has started (the ports are applied, and the API and the metrics
    /// endpoint accept requests): the line a supervisor, a script or a test waits for.
    /// </summary>
    private static void AnnounceReadiness(IHost host, VSwitchOptions options)
    {
        var log = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DaemonHost).FullName!);
        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() => Ready(log, Environment.ProcessId,
            options.StateDir, options.ApiSocket ?? "none", options.ApiListen?.ToString() ?? "none", options.MetricsListen?.ToString() ?? "none"));
    }

    /// <summary>The host with every service of the daemon; nothing runs until it is started.</summary>
    private static IHost BuildHost(VSwitchOptions options, SwitchConfig config, SwitchModel initialModel, StateStore store, ListeningSockets listeners)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (options.Console)
        {
            // The operator console owns the terminal: the log goes to a file beside the state.
            builder.Logging.AddProvider(new FileLoggerProvider(Path.Combine(options.StateDir, "vswitchd.log")));
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(initialModel);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new Datapath(
            new DatapathOptions
            {
                Workers = options.Workers ?? config.Workers ?? Environment.ProcessorCount,
                Pin = config.PinWorkers,
                BusyPollMicroseconds = options.BusyPollMicroseconds ?? config.BusyPollMicroseconds,
                MaxPorts = config.MaxPorts,
                MacAgingSeconds = config.MacAgingSeconds,
                MacTableCapacity = config.MacTableSize,
                ConntrackMaxEntries = config.ConntrackMaxEntries,
                ConntrackPortLimit = config.ConntrackPortLimit,
                FragmentMaxDatagrams = config.FragmentMaxDatagrams,
                FragmentTimeoutMs = config.FragmentTimeoutMs,
                ConntrackTimeouts = config.ConntrackTimeouts.ToTimeouts(options.ConfigFile ?? "config"),
            },
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(DaemonPortTypes.All);
        builder.Services.AddSingleton<Reconciler>();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(listeners);
        builder.Services.AddSingleton<ModelService>();
        builder.Services.AddHostedService<DataplaneService>();
        builder.Services.AddSingleton(sp => new SecurityGroupLogWriter(
            sp.GetRequiredService<Reconciler>(),
            Path.Combine(options.StateDir, SecurityGroupLogWriter.FileName),
            config.Log.RateLimit,
            config.Log.BurstLimit,
            sp.GetRequiredService<ILogger<SecurityGroupLogWriter>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SecurityGroupLogWriter>());
        if (options.ApiSocket is not null || options.ApiListen is not null)
        {
            builder.Services.AddSingleton(new ApiOptions(options.ApiSocket, options.ApiListen, options.ApiToken));
            builder.Services.AddSingleton(sp => new ApiContext(
                sp.GetRequiredService<ModelService>(), sp.GetRequiredService<Reconciler>(), sp.GetRequiredService<TimeProvider>(),
                ProjectId.Parse(config.Project), DaemonPortTypes.All, config.Quotas.ToLimits(), config.Presets()));
            builder.Services.AddHostedService<ApiServer>();
        }
        if (options.MetricsListen is not null)
        {
            builder.Services.AddSingleton<MetricsExporter>();
            builder.Services.AddHostedService<MetricsServer>();
        }
        return builder.Build();
    }

    /// <summary>
    /// <c>--console</c>: starts the daemon, runs the operator console on this terminal against the daemon's own API
    /// socket (the same public API <c>vswitchctl console</c> uses), and stops the daemon when the console quits or the
    /// daemon is stopped (SIGTERM/SIGINT end the console too).
    /// </summary>
    private static async Task<int> RunWithConsoleAsync(IHost host, VSwitchOptions options, CancellationToken cancellation)
    {
        await host.StartAsync(cancellation);
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        string? error;
        using (var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellation, lifetime.ApplicationStopping))
        using (var client = new VSwitch.Admin.Client.VSwitchClient(VSwitch.Admin.Client.VSwitchEndpoint.Socket(options.ApiSocket!)))
        {
            error = await VSwitch.Console.OperatorConsole.RunAsync(client, stopping.Token);
        }
        await host.StopAsync(CancellationToken.None);
        if (error is not null)
        {
            System.Console.Error.WriteLine($"vswitchd: {error}");
            return 1;
        }
        return 0;
    }

    [LoggerMessage(1, LogLevel.Information, "vswitchd ready: pid {Pid}, state dir {StateDir}, API socket {ApiSocket}, API TCP {ApiListen}, metrics {Metrics}")]
    private static partial void Ready(ILogger logger, int pid, string stateDir, string apiSocket, string apiListen, string metrics);
}
