using System.CommandLine;
using VSwitch.Console;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>console</c>: the operator console (<see cref="OperatorConsole"/>) attached to a running daemon over the same
/// connection options as every verb (<c>--socket</c>, or <c>--url</c> with <c>--token</c>).
/// </summary>
internal static class ConsoleCommand
{
    public static Command Build(CliApp app)
    {
        var command = new Command("console", "Live console: port rates, security groups and rules, ports, top flows, packet trace (q quits)");
        app.SetAction(command, async (_, client, cancellation) =>
        {
            // Fail before taking the screen when the daemon is not there.
            await client.GetStatsAsync(cancellation);
            if (await OperatorConsole.RunAsync(client, cancellation) is { } error)
            {
                throw new CommandException(error);
            }
        });
        return command;
    }
}
