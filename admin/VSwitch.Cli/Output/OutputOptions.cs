using System.CommandLine;

namespace VSwitch.Cli.Output;

/// <summary>
/// <c>-f table|json|value</c> and <c>-c COLUMN</c> (repeatable), added to every command that prints resources, as
/// the OpenStack CLI's formatter options.
/// </summary>
internal sealed class OutputOptions
{
    private readonly Option<string> _format = new("--format", "-f")
    {
        Description = "Output format",
        DefaultValueFactory = _ => "table",
        HelpName = "table|json|value",
    };

    private readonly Option<string[]> _columns = new("--column", "-c")
    {
        Description = "Show only this column (repeat for more); a field name or a list header",
        HelpName = "COLUMN",
    };

    private OutputOptions(Command command)
    {
        _format.AcceptOnlyFromAmong("table", "json", "value");
        command.Options.Add(_format);
        command.Options.Add(_columns);
    }

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public static OutputOptions AddTo(Command command) => new(command);

    public OutputSettings Read(ParseResult parse) => new(
        parse.GetValue(_format) switch
        {
            "json" => OutputFormat.Json,
            "value" => OutputFormat.Value,
            _ => OutputFormat.Table,
        },
        parse.GetValue(_columns) ?? []);
}

/// <summary>A command's chosen format and columns (empty: the default columns).</summary>
internal sealed record OutputSettings(OutputFormat Format, IReadOnlyList<string> Columns)
{
    public static OutputSettings Default { get; } = new(OutputFormat.Table, []);
}
