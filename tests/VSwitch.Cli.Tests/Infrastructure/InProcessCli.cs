namespace VSwitch.Cli.Tests.Infrastructure;

/// <summary>Runs vswitchctl's <see cref="CliApp"/> in-process against a <see cref="FakeApi"/>, capturing its output.</summary>
internal static class InProcessCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(FakeApi api, string[] args, IReadOnlyDictionary<string, string>? environment = null, Stream? binaryStdout = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var app = new CliApp(stdout, stderr, name => environment?.GetValueOrDefault(name), _ => api, binaryStdout is null ? null : () => binaryStdout);
        var code = app.RunAsync(args).GetAwaiter().GetResult();
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
