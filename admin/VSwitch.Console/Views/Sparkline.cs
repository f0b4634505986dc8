using System.Text;
using Terminal.Gui.ViewBase;

namespace VSwitch.Console.Views;

/// <summary>
/// One line: a caption, the last minutes of a rate as bars (▁ to █, scaled to the largest sample shown) and that
/// largest value: <c>rx pps ▁▁▂▅█▇▃  max 1.2k</c>.
/// </summary>
/// <remarks>
/// Terminal.Gui 2.5 has a <c>GraphView</c> (axes, series) but no sparkline; a graph per port needs one line, so this
/// draws the bars itself. The newest sample is at the right; a sample with no rate yet is a blank. The bars are
/// glyphs, not colours, so a monochrome terminal shows the same graph.
/// </remarks>
internal sealed class Sparkline : View
{
    private static readonly string s_bars = "▁▂▃▄▅▆▇█";

    public Sparkline()
    {
        Height = 1;
        CanFocus = false;
    }

    /// <summary>The words before the bars (<c>rx pps</c>).</summary>
    public string Caption { get; private set; } = "";

    /// <summary>The samples, oldest first.</summary>
    public IReadOnlyList<double?> Samples { get; private set; } = [];

    /// <summary>Shows <paramref name="samples"/> under <paramref name="caption"/>.</summary>
    public void Show(string caption, IReadOnlyList<double?> samples)
    {
        Caption = caption;
        Samples = samples;
        SetNeedsDraw();
    }

    /// <summary>The line as it is drawn <paramref name="width"/> characters wide (the view draws exactly this).</summary>
    public static string Render(string caption, IReadOnlyList<double?> samples, int width)
    {
        if (caption.Length == 0 && samples.Count == 0)
        {
            return "";
        }
        var head = caption.Length == 0 ? "" : caption + " ";
        var max = samples.Select(s => s ?? 0).DefaultIfEmpty(0).Max();
        var tail = $"  max {Units.Si(samples.Count == 0 ? null : max)}";
        var room = Math.Max(0, width - head.Length - tail.Length);
        var shown = samples.Skip(Math.Max(0, samples.Count - room)).ToList();
        var bars = new StringBuilder(room);
        foreach (var s in shown)
        {
            bars.Append(s is not { } v ? ' ' : max <= 0 ? s_bars[0] : s_bars[(int)Math.Round(Math.Clamp(v / max, 0, 1) * (s_bars.Length - 1))]);
        }
        var line = head + bars.ToString().PadRight(room) + tail;
        return line.Length <= width ? line : line[..width];
    }

    protected override bool OnDrawingContent(DrawContext? context)
    {
        SetAttributeForRole(Terminal.Gui.Drawing.VisualRole.Normal);
        Move(0, 0);
        AddStr(Render(Caption, Samples, Viewport.Width));
        return true;
    }
}
