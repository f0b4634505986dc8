using VSwitch.Cli;

// vswitchctl: see CliApp for the verbs, the connection options and the exit codes.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
return await new CliApp(Console.Out, Console.Error, Environment.GetEnvironmentVariable).RunAsync(args, cancellation.Token);
