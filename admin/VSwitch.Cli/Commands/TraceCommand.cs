using System.CommandLine;
using System.Text.Json;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>trace --port P PACKET...</c>: asks the daemon what its pipeline would do with a packet entering port P, and why
/// (<c>POST /v2.0/vswitch/trace</c>). The packet is given in words, e.g.
/// <c>vswitchctl trace --port web tcp 198.18.0.1:40000 '&gt;' 198.18.0.2:80 syn</c> (quote the <c>&gt;</c> from the shell,
/// or the whole packet); the words are joined with spaces and parsed by the daemon.
/// </summary>
/// <remarks>
/// Table format prints the verdict and reason, then one row per pipeline stage; <c>-f value</c> prints the verdict and the
/// reason on two lines; <c>-f json</c> the trace document. A dropped packet is still exit status 0: the trace itself worked.
/// </remarks>
internal static class TraceCommand
{
    private static readonly Column<TraceStep>[] s_steps =
    [
        new("stage", "Stage", s => Str(s.Stage)),
        new("result", "Result", s => Str(s.Result)),
        new("detail", "Detail", s => Str(s.Detail)),
    ];

    public static Command Build(CliApp app)
    {
        var port = new Option<string>("--port") { Description = "Port the packet enters (name or ID)", Required = true, HelpName = "PORT" };
        var packet = new Argument<string[]>("PACKET") { Description = "The packet, e.g. tcp 198.18.0.1:40000 > 198.18.0.2:80 syn", Arity = ArgumentArity.OneOrMore };
        var command = new Command("trace", "Trace a packet through the pipeline: the verdict and the rule or reason") { port, packet };
        var output = OutputOptions.AddTo(command);
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            var settings = output.Read(parse);
            var portId = (await client.FindPortAsync(parse.GetValue(port)!, cancellation)).Id;
            var trace = await client.TraceAsync(portId, string.Join(' ', parse.GetValue(packet)!), cancellation);
            switch (settings.Format)
            {
                case OutputFormat.Json:
                    app.Out.WriteLine(JsonSerializer.Serialize(trace, ClientJsonContext.Default.PacketTrace));
                    break;
                case OutputFormat.Value:
                    app.Out.WriteLine(trace.Verdict);
                    app.Out.WriteLine(trace.Reason ?? "");
                    break;
                default:
                    app.Out.WriteLine($"Verdict: {trace.Verdict}");
                    app.Out.WriteLine($"Reason:  {trace.Reason}");
                    app.Out.WriteLine();
                    List(app.Out, settings, s_steps, trace.Steps);
                    break;
            }
        });
        return command;
    }
}
