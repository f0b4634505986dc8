using System.CommandLine;
using VSwitch.Control.Configuration;
using VSwitch.Daemon;

var configOption = new Option<string?>("--config") { Description = "JSON configuration file (networks, ports, data-path sizes); optional" };
var workersOption = new Option<int?>("--workers") { Description = "Worker threads, one per core (default: the configuration's value, else every allowed CPU)" };
var metricsOption = new Option<string>("--metrics-listen")
{
    Description = "HOST:PORT for the Prometheus /metrics endpoint, or 'none'",
    DefaultValueFactory = _ => "127.0.0.1:9477",
};

var root = new RootCommand("vswitchd: the VSwitch userspace virtual switch daemon")
{
    configOption,
    workersOption,
    metricsOption,
};
root.SetAction(async (parse, cancellation) =>
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
        var metrics = parse.GetValue(metricsOption)!;
        options = new VSwitchOptions
        {
            ConfigFile = parse.GetValue(configOption),
            Workers = workers,
            MetricsListen = metrics == "none" ? null : VSwitchOptions.ParseEndpoint("--metrics-listen", metrics),
        };
        config = options.ConfigFile is null ? new SwitchConfig() : SwitchConfig.Load(options.ConfigFile);
        model = config.ToModel(options.ConfigFile ?? "config");
    }
    catch (Exception ex) when (ex is FormatException or ConfigException)
    {
        Console.Error.WriteLine($"vswitchd: {ex.Message}");
        return 2;
    }
    return await DaemonHost.RunAsync(options, config, model, cancellation);
});
return await root.Parse(args).InvokeAsync();
