using Spectre.Console;
using Spectre.Console.Rendering;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>
/// The whole screen: a header (connection, conntrack, flow cache, workers), the tabs, the current view, the status
/// message and the keys. Rendered exactly one line shorter than the terminal, so the live display never scrolls.
/// </summary>
public static class Frame
{
    /// <summary>Keys of each screen, shown in the footer after the screen keys.</summary>
    private static string Keys(Screen screen) => screen switch
    {
        Screen.Groups => "↑↓ select  n new  d delete  a add rule  x del rule  + attach  - detach",
        Screen.Flows => "f filter by port",
        Screen.Trace => "t trace a packet",
        _ => "",
    };

    public static IRenderable Render(ConsoleState state, int width, int height)
    {
        var body = state.Screen switch
        {
            Screen.Overview => OverviewView.Render(state, width),
            Screen.Groups => GroupsView.Render(state, width),
            Screen.Ports => PortsView.Render(state, width),
            Screen.Flows => FlowsView.Render(state, width, Math.Max(1, height - 8)),
            Screen.Trace => TraceView.Render(state, width),
            Screen.Routers => RoutersView.Render(state, width),
            _ => new Text(""),
        };
        var layout = new Layout("root").SplitRows(
            new Layout("header").Size(2),
            new Layout("body"),
            new Layout("message").Size(1),
            new Layout("footer").Size(2));
        layout["header"].Update(Header(state, width));
        layout["body"].Update(body);
        layout["message"].Update(MessageLine(state, width));
        layout["footer"].Update(Footer(state));
        return new FixedHeight(layout, Math.Max(8, height - 1));
    }

    private static IRenderable Header(ConsoleState state, int width)
    {
        var o = Overview.Build(state.Previous, state.Current);
        var workers = string.Join(' ', o.Workers.Select(w => $"w{w.Id} {Units.Percent(w.Busy)}"));
        var line1 = $"[bold]VSwitch console[/] [grey]{Markup.Escape(state.Endpoint)}[/]  {DateTime.Now:HH:mm:ss}";
        var line2 = $"conntrack {o.ConntrackEntries}/{o.ConntrackMaxEntries} ({Units.Si(o.ConntrackCreatedPerSecond)} new/s)  " +
            $"flow cache hit {Units.Percent(o.FlowCacheHitRatio)}  load {Markup.Escape(workers)}";
        return new Rows(new Markup(line1).Overflow(Overflow.Ellipsis), new Markup(line2).Overflow(Overflow.Ellipsis));
    }

    private static IRenderable MessageLine(ConsoleState state, int width)
    {
        if (state.RefreshError is { } error)
        {
            return new Markup($"[red]{Markup.Escape(Model.Message.Error(error).Fit(width))}[/]");
        }
        if (state.Message is { } m)
        {
            return new Markup($"[{(m.IsError ? "red" : "green")}]{Markup.Escape(m.Fit(width))}[/]");
        }
        return new Text("");
    }

    private static IRenderable Footer(ConsoleState state)
    {
        var tabs = Enum.GetValues<Screen>().Select((s, i) =>
            s == state.Screen ? $"[black on white] {i + 1} {s} [/]" : $" [bold]{i + 1}[/] {s} ");
        var keys = Keys(state.Screen);
        return new Rows(
            new Markup(string.Concat(tabs) + "  [bold]q[/] quit").Overflow(Overflow.Ellipsis),
            new Markup($"[grey]{Markup.Escape(keys)}[/]").Overflow(Overflow.Ellipsis));
    }

    /// <summary>Renders its content at a fixed height (Spectre's <see cref="Layout"/> otherwise takes the whole terminal).</summary>
    private sealed class FixedHeight(IRenderable inner, int height) : IRenderable
    {
        public Measurement Measure(RenderOptions options, int maxWidth) => inner.Measure(options, maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) =>
            inner.Render(options with { Height = height }, maxWidth);
    }

    /// <summary>A text cell that never wraps (long values end in an ellipsis), so every row is one screen line.</summary>
    internal static IRenderable Cell(string text, Style? style = null) => new Line(text, style ?? Style.Plain, false);

    /// <summary>Numbers take at least this much, so their column keeps a short header ("Rules", "Hits") whole.</summary>
    internal const int NumberWidth = 5;

    /// <summary>A right-aligned cell (numbers): never cut, padded on the left.</summary>
    internal static IRenderable Number(string text, Style? style = null) => new Line(text, style ?? Style.Plain, true);

    /// <summary>One line of text cut to the width it is given (Spectre's <see cref="Text"/> wraps at spaces).</summary>
    private sealed class Line(string text, Style style, bool right) : IRenderable
    {
        /// <summary>Narrowest a text cell gets before the table shrinks others: enough for a short name.</summary>
        private const int MinWidth = 8;

        public Measurement Measure(RenderOptions options, int maxWidth) => right
            ? new(Math.Min(Math.Max(text.Length, NumberWidth), maxWidth), Math.Min(Math.Max(text.Length, NumberWidth), maxWidth))
            : new(Math.Min(Math.Min(text.Length, MinWidth), maxWidth), Math.Min(Math.Max(text.Length, 1), maxWidth));

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            var fitted = text.Length <= maxWidth ? text : maxWidth <= 1 ? "…" : string.Concat(text.AsSpan(0, maxWidth - 1), "…");
            return right && fitted.Length < maxWidth ? [new Segment(new string(' ', maxWidth - fitted.Length)), new Segment(fitted, style)] : [new Segment(fitted, style)];
        }
    }

    /// <summary>A table in the screens' style: no outer border, header underlined, full width.</summary>
    /// <remarks>A column with a width gets exactly that many characters (numbers); the others share the rest.</remarks>
    internal static Table Table(params (string Title, bool Right, int? Width)[] columns)
    {
        var table = new Table().Border(TableBorder.Simple).Expand();
        foreach (var (title, right, width) in columns)
        {
            var column = new TableColumn($"[bold]{Markup.Escape(title)}[/]").NoWrap();
            if (width is { } w)
            {
                column.Width(w);
            }
            table.AddColumn(right ? column.RightAligned() : column);
        }
        return table;
    }

    /// <summary>
    /// The widths of a table's text columns (the first ones) at a terminal <paramref name="width"/>, when its number
    /// columns (the last ones) keep their whole values: every column is one line that Spectre would cut evenly (or
    /// collapse) when the table is too wide, so the text is cut here to what the numbers leave: each text column gets
    /// its whole text or an equal share of the rest, never less than its title.
    /// </summary>
    internal static int[] TextWidths(int width, string[] textTitles, IEnumerable<string[]> textRows, string[] numberTitles, IEnumerable<string[]> numberRows)
    {
        // Simple border: a separator between columns, an edge on each side, one space of padding each side of a cell.
        var columns = textTitles.Length + numberTitles.Length;
        var numbers = numberTitles.Select((t, i) => Math.Max(Math.Max(t.Length, NumberWidth), numberRows.Select(r => r[i].Length).DefaultIfEmpty().Max())).Sum();
        return Share(width - (3 * columns) - 1 - numbers,
            textTitles.Select((t, i) => Math.Max(t.Length, textRows.Select(r => r[i].Length).DefaultIfEmpty().Max())).ToArray(),
            textTitles.Select(t => t.Length).ToArray());
    }

    /// <summary>
    /// Widths for columns that want <paramref name="wanted"/> characters and need at least <paramref name="least"/>,
    /// out of <paramref name="available"/>: the columns that want least get all they want, the others equal shares.
    /// </summary>
    internal static int[] Share(int available, int[] wanted, int[] least)
    {
        var widths = least.ToArray();
        var left = available - widths.Sum();
        var order = Enumerable.Range(0, wanted.Length).OrderBy(i => wanted[i] - least[i]).ToArray();
        for (var k = 0; k < order.Length; k++)
        {
            var i = order[k];
            var more = Math.Min(wanted[i] - least[i], Math.Max(0, left) / (order.Length - k));
            widths[i] += more;
            left -= more;
        }
        return widths;
    }

    /// <summary>The text cut to <paramref name="width"/> characters, ending in an ellipsis when cut.</summary>
    internal static string Fit(string text, int width) =>
        text.Length <= width ? text : string.Concat(text.AsSpan(0, Math.Max(0, width - 1)), "…");
}
