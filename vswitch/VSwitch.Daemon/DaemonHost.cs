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
using VSwitch.Ports.Linux;

namespace VSwitch.Daemon;

/// <summary>Wires the daemon together on Microsoft.Extensions.Hosting and runs it until SIGTERM/SIGINT.</summary>
public static class DaemonHost
{
    public static async Task<int> RunAsync(VSwitchOptions options, SwitchConfig config, SwitchModel initialModel, CancellationToken cancellation)
    {
        StateStore store;
        try
        {
            store = StateStore.Open(options.StateDir);
        }
        catch (StateStoreException ex)
        {
            System.Console.Error.WriteLine($"vswitchd: {ex.Message}");
            return 1;
        }
        using var ownedStore = store;
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
                FragmentMaxDatagrams = config.FragmentMaxDatagrams,
                FragmentTimeoutMs = config.FragmentTimeoutMs,
                ConntrackTimeouts = config.ConntrackTimeouts.ToTimeouts(options.ConfigFile ?? "config"),
            },
            sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<IPortFactory, LinuxPortFactory>();
        builder.Services.AddSingleton<IPortFactory, MemoryPortFactory>();
        builder.Services.AddSingleton<Reconciler>();
        builder.Services.AddSingleton(store);
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
                ProjectId.Parse(config.Project)));
            builder.Services.AddHostedService<ApiServer>();
        }
        if (options.MetricsListen is not null)
        {
            builder.Services.AddSingleton<MetricsWriter>();
            builder.Services.AddHostedService<MetricsServer>();
        }
        using var host = builder.Build();
        try
        {
            if (options.Console)
            {
                return await RunWithConsoleAsync(host, options, cancellation);
            }
            await host.RunAsync(cancellation);
            return 0;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or PortException or StateStoreException or NeutronException)
        {
            System.Console.Error.WriteLine($"vswitchd: {ex.Message}");
            return 1;
        }
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
}
