using System.CommandLine;
using Microsoft.Win32.SafeHandles;
using VSwitch.Admin.Client;
using VSwitch.Cli.Commands;

namespace VSwitch.Cli;

/// <summary>
/// vswitchctl: the command line of VSwitch, verbs and flags as the OpenStack CLI's (ARCHITECTURE §3), talking to
/// vswitchd's REST API through <see cref="VSwitchClient"/>.
/// </summary>
/// <remarks>
/// <para><b>Verbs.</b> <c>network</c>, <c>port</c>, <c>security group</c>, <c>security group rule</c> (create, list,
/// show, set/unset where the API allows, delete), and the switch's own <c>flow list</c>, <c>stats</c> and
/// <c>trace</c>, and <c>console</c> (the live operator console). One file per verb group under <c>Commands/</c>. Every argument naming a resource takes its name or
/// its id.</para>
/// <para><b>Failures</b> are one line on stderr, <c>vswitchctl: MESSAGE</c>, and an exit status a script can act on
/// (<see cref="ExitCodes"/>): 2 for a command line the parser or a flag check refuses, 1 for everything the request
/// met (the API's NeutronError message, an unknown or ambiguous name, an unreachable daemon). No exception escapes as
/// a stack trace.</para>
/// <para><b>Testing.</b> Output, error and environment are injected, and so may be the HTTP handler, so the whole
/// command line runs in-process against a fake API (<c>VSwitch.Cli.Tests</c>) as well as against the real daemon.</para>
/// </remarks>
internal sealed class CliApp(TextWriter output, TextWriter error, Func<string, string?> environment,
    Func<VSwitchEndpoint, HttpMessageHandler>? handlers = null, Func<Stream>? standardOutput = null)
{
    public Connection Connection { get; } = new();

    /// <summary>Where results go (stdout).</summary>
    public TextWriter Out => output;

    /// <summary>Where messages that are not results go (stderr).</summary>
    public TextWriter Error => error;

    /// <summary>
    /// stdout as bytes, for binary output (<c>capture -w -</c>); what was written to <see cref="Out"/> is flushed first.
    /// A pipe whose reader quit fails the write with EPIPE (.NET's console streams would pretend it worked, and a
    /// capture into <c>| head</c> would never end).
    /// </summary>
    public Stream OpenStandardOutput()
    {
        output.Flush();
        return standardOutput?.Invoke() ?? new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
    }

    /// <summary>stdout for text that must notice a closed pipe (<c>capture | head</c>): the real stdout's file when <see cref="Out"/> is the console's, else <see cref="Out"/>.</summary>
    public TextWriter OpenTextOutput() =>
        ReferenceEquals(output, System.Console.Out) && standardOutput is null
            ? new StreamWriter(OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { AutoFlush = false }
            : output;

    public RootCommand BuildRoot()
    {
        var root = new RootCommand("vswitchctl: manage VSwitch networks, ports and security groups, and inspect the data path");
        Connection.AddTo(root);
        root.Subcommands.Add(NetworkCommands.Build(this));
        root.Subcommands.Add(SubnetCommands.Build(this));
        root.Subcommands.Add(RouterCommands.Build(this));
        root.Subcommands.Add(FloatingIpCommands.Build(this));
        root.Subcommands.Add(PortCommands.Build(this));
        root.Subcommands.Add(SecurityGroupCommands.Build(this));
        root.Subcommands.Add(AddressGroupCommands.Build(this));
        root.Subcommands.Add(QuotaCommands.Build(this));
        root.Subcommands.Add(FlowCommands.Build(this));
        root.Subcommands.Add(NeighborCommands.Build(this));
        root.Subcommands.Add(StatsCommand.Build(this));
        root.Subcommands.Add(TraceCommand.Build(this));
        root.Subcommands.Add(CaptureCommand.Build(this));
        root.Subcommands.Add(ConsoleCommand.Build(this));
        return root;
    }

    public async Task<int> RunAsync(string[] args, CancellationToken cancellation = default)
    {
        ParseResult parse;
        try
        {
            parse = BuildRoot().Parse(args);
        }
        catch (Exception ex)
        {
            return Fail(ExitCodes.Usage, ex.Message);
        }
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            return Fail(ExitCodes.Usage, parse.Errors[0].Message);
        }
        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(invocation, cancellation);
        }
        catch (Exception ex)
        {
            // The actions catch their own failures; this is for the parser's (a help or a custom parser's throw).
            return Fail(ExitCodes.Failure, ex.Message);
        }
    }

    /// <summary>
    /// Makes <paramref name="body"/> the command's action: connect as the command line says, run, and turn every
    /// failure into one line and an exit status.
    /// </summary>
    public void SetAction(Command command, Func<ParseResult, VSwitchClient, CancellationToken, Task> body) =>
        command.SetAction(async (parse, cancellation) =>
        {
            try
            {
                var endpoint = Connection.Resolve(parse, environment);
                using var client = new VSwitchClient(endpoint, handlers?.Invoke(endpoint));
                await body(parse, client, cancellation);
                return ExitCodes.Success;
            }
            catch (UsageException ex)
            {
                return Fail(ExitCodes.Usage, ex.Message);
            }
            catch (Exception ex) when (ex is VSwitchClientException or CommandException)
            {
                return Fail(ExitCodes.Failure, ex.Message);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return Fail(ExitCodes.Interrupted, "interrupted");
            }
            catch (Exception ex)
            {
                return Fail(ExitCodes.Failure, $"unexpected {ex.GetType().Name}: {ex.Message}");
            }
        });

    private int Fail(int code, string message)
    {
        error.WriteLine($"vswitchctl: {message.ReplaceLineEndings(" ").Trim()}");
        return code;
    }
}
