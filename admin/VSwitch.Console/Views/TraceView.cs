using Spectre.Console;
using Spectre.Console.Rendering;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>Trace: the last traced packet, its verdict with the rule or reason, and the pipeline's steps.</summary>
public static class TraceView
{
    public static IRenderable Render(ConsoleState state, int width)
    {
        var port = state.TracePortId is null ? "(none yet)" : state.Current.PortName(state.TracePortId);
        var input = new Markup($"Packet [bold]{Markup.Escape(state.TracePacket)}[/] entering port [bold]{Markup.Escape(port)}[/]");
        if (state.Trace is not { } trace)
        {
            return new Rows(input, new Markup("[grey]press t to trace a packet (e.g. tcp 198.18.0.1:40000 > 198.18.0.2:80 syn)[/]"));
        }
        var allowed = trace.Verdict == "allowed";
        var decided = trace.Steps.LastOrDefault(s => s.Detail?.Contains(" rule ", StringComparison.Ordinal) == true)?.Detail;
        var verdict = allowed
            ? $"[green bold]ALLOWED[/]{(decided is null ? "" : " by " + Markup.Escape(decided))}"
            : $"[red bold]DROPPED[/] reason [bold]{Markup.Escape(trace.Reason ?? "?")}[/]";
        var table = new Table().Border(TableBorder.Simple).Expand()
            .AddColumn(new TableColumn("Stage").NoWrap())
            .AddColumn(new TableColumn("Result").NoWrap())
            .AddColumn(new TableColumn("Detail"));
        foreach (var step in trace.Steps)
        {
            table.AddRow(new Text(step.Stage), new Text(step.Result ?? ""), new Text(step.Detail ?? ""));
        }
        return new Rows(input, new Markup(verdict), table);
    }
}
