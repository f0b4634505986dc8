using System.CommandLine;
using VSwitch.Control.Configuration;
using VSwitch.Daemon;

var configOption = new Option<string?>("--config") { Description = "JSON configuration file (networks, ports, data-path sizes); optional" };
var workersOption = new Option<int?>("--workers") { Description = "Worker threads, one per core (default: the configuration's value, else every allowed CPU)" };
var busyPollOption = new Option<int?>("--busy-poll")
{
    Description = "Busy-poll window in microseconds: after traffic, workers poll without sleeping this long before they block (lower latency, burns the cores; default: the configuration's busy_poll_us, else 0 = off)",
};
var metricsOption = new Option<string>("--metrics-listen")
{
    Description = "HOST:PORT for the Prometheus /metrics endpoint, or 'none'",
    DefaultValueFactory = _ => "127.0.0.1:9477",
};
var stateDirOption = new Option<string>("--state-dir")
{
    Description = "Directory of the state database (every API change is stored there before it is answered)",
    DefaultValueFactory = _ => "/var/lib/vswitch",
};
var apiSocketOption = new Option<string>("--api-socket")
{
    Description = "Unix socket of the REST API (mode 0660), or 'none'",
    DefaultValueFactory = _ => "/run/vswitch/api.sock",
};
var apiListenOption = new Option<string?>("--api-listen") { Description = "HOST:PORT for the REST API over TCP (needs --api-token-file)" };
var consoleOption = new Option<bool>("--console") { Description = "Run the operator console on this terminal (the log goes to STATE_DIR/vswitchd.log; q quits and stops the daemon)" };
var apiTokenFileOption = new Option<string?>("--api-token-file") { Description = "File holding the X-Auth-Token TCP clients must send" };

var root = new RootCommand("vswitchd: the VSwitch userspace virtual switch daemon")
{
    configOption,
    workersOption,
    busyPollOption,
    metricsOption,
    stateDirOption,
    apiSocketOption,
    apiListenOption,
    apiTokenFileOption,
    consoleOption,
};
root.SetAction(async (parse, cancellation) =>
{
    try
    {
        return await RunAsync(parse, cancellation);
    }
    catch (Exception ex)
    {
        // Every expected failure is reported where it happens; this keeps an unexpected one to one line too.
        Console.Error.WriteLine($"vswitchd: {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
        return 1;
    }
});

// Parse errors are one line too (System.CommandLine would add the help text), as every start-up error is.
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0 && parsed.Action is not { ClearsParseErrors: true })
{
    Console.Error.WriteLine($"vswitchd: {parsed.Errors[0].Message} (vswitchd --help lists the options)");
    return 2;
}
return await parsed.InvokeAsync();

async Task<int> RunAsync(ParseResult parse, CancellationToken cancellation)
{
    VSwitchOptions options;
    SwitchConfig config;
    VSwitch.Control.Model.SwitchModel model;
    try
    {
        var workers = parse.GetValue(workersOption);
        if (workers is < 1 or > 256)
        {
            throw new FormatException($"--workers: must be between 1 and 256, not {workers}");
        }
        var busyPoll = parse.GetValue(busyPollOption);
        if (busyPoll is < 0 or > VSwitch.Dataplane.DatapathOptions.MaxBusyPollMicroseconds)
        {
            throw new FormatException($"--busy-poll: must be between 0 and {VSwitch.Dataplane.DatapathOptions.MaxBusyPollMicroseconds} microseconds, not {busyPoll}");
        }
        var metrics = parse.GetValue(metricsOption)!;
        var apiListen = parse.GetValue(apiListenOption);
        var tokenFile = parse.GetValue(apiTokenFileOption);
        if (apiListen is not null && tokenFile is null)
        {
            throw new FormatException("--api-listen: requires --api-token-file (every TCP request must carry X-Auth-Token)");
        }
        var apiSocket = parse.GetValue(apiSocketOption)!;
        var console = parse.GetValue(consoleOption);
        if (console && apiSocket == "none")
        {
            throw new FormatException("--console: needs the API socket (the console talks to the daemon through its API)");
        }
        options = new VSwitchOptions
        {
            ConfigFile = parse.GetValue(configOption),
            Workers = workers,
            BusyPollMicroseconds = busyPoll,
            MetricsListen = metrics == "none" ? null : VSwitchOptions.ParseEndpoint("--metrics-listen", metrics),
            StateDir = VSwitchOptions.ParsePath("--state-dir", parse.GetValue(stateDirOption)!),
            ApiSocket = apiSocket == "none" ? null : VSwitchOptions.ParsePath("--api-socket", apiSocket),
            ApiListen = apiListen is null ? null : VSwitchOptions.ParseEndpoint("--api-listen", apiListen),
            Console = console,
            ApiToken = tokenFile is null ? null : VSwitch.Daemon.Api.ApiOptions.ReadTokenFile(tokenFile),
        };
        config = options.ConfigFile is null ? new SwitchConfig() : SwitchConfig.Load(options.ConfigFile);
        model = config.ToModel(options.ConfigFile ?? "config", VSwitch.Daemon.Hosting.DaemonPortTypes.All);
    }
    catch (Exception ex) when (ex is FormatException or ConfigException)
    {
        Console.Error.WriteLine($"vswitchd: {ex.Message}");
        return 2;
    }
    return await DaemonHost.RunAsync(options, config, model, cancellation);
}
