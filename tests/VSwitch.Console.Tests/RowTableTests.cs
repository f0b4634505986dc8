using Terminal.Gui.App;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using VSwitch.Console.Views.Tables;
using Xunit.Abstractions;

namespace VSwitch.Console.Tests;

/// <summary>
/// The table's own drawing against TableView's layout: every cell under its title when scrolled both ways, the last
/// column's text whole, numbers right-aligned.
/// </summary>
public sealed class RowTableTests(ITestOutputHelper output) : IDisposable
{
    private readonly IApplication _app = Application.Create();

    private static readonly Column<(string Name, string Address, long Count, string Note)>[] s_columns =
    [
        new("Name", r => r.Name),
        new("Address", r => r.Address),
        Column<(string Name, string Address, long Count, string Note)>.Number("Count", r => r.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), r => r.Count),
        new("Note", r => r.Note),
    ];

    /// <summary>Shows <paramref name="table"/> alone on a screen, gives it its rows as a refresh does (once laid out), then runs <paramref name="then"/>.</summary>
    private string[] Draw(RowTable<(string Name, string Address, long Count, string Note)> table, int rows, int width, int height, Action? then = null)
    {
        _app.Init("ansi");
        _app.Driver!.SetScreenSize(width, height);
        var top = new Window { BorderStyle = Terminal.Gui.Drawing.LineStyle.None, Width = Dim.Fill(), Height = Dim.Fill() };
        table.X = 0;
        table.Y = 0;
        table.Width = Dim.Fill();
        table.Height = Dim.Fill();
        top.Add(table);
        var session = _app.Begin(top);
        _app.LayoutAndDraw();
        table.SetRows(Rows(rows));
        _app.LayoutAndDraw();
        then?.Invoke();
        _app.LayoutAndDraw();
        var lines = _app.Driver.ToString()!.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd()).ToArray();
        output.WriteLine(string.Join('\n', lines));
        _app.End(session!);
        top.Dispose();
        return lines;
    }

    private static IEnumerable<(string, string, long, string)> Rows(int count) =>
        Enumerable.Range(0, count).Select(i => ($"vm{i:00}", $"198.18.0.{i}-and-a-long-tail-{i:00}", (long)i * 1000, $"note {i:00} that is long enough"));

    [Fact]
    public void ScrolledRightAndDown_CellsStayUnderTheirTitles()
    {
        var table = new RowTable<(string Name, string Address, long Count, string Note)>(s_columns, r => r.Name);
        table.Style.ExpandLastColumn = false;

        var lines = Draw(table, 30, 40, 10, () =>
        {
            table.Select("vm20");
            table.ColumnOffset = 1;
        });

        var header = lines[0];
        Assert.StartsWith("Address", header.TrimStart());
        var row = Assert.Single(lines, l => l.Contains("198.18.0.20-", StringComparison.Ordinal));
        Assert.Equal(header.IndexOf("Address", StringComparison.Ordinal), row.IndexOf("198.18.0.20-", StringComparison.Ordinal));
        // Right-aligned: the number ends where its title ends.
        var count = header.IndexOf("Count", StringComparison.Ordinal);
        Assert.True(count > 0, header);
        Assert.Equal("20000", row[count..(count + 5)]);
    }

    [Fact]
    public void LastColumn_ItsTextWhole_AndTheCutOnesEndInAnEllipsis()
    {
        var table = new RowTable<(string Name, string Address, long Count, string Note)>(s_columns, r => r.Name);
        table.Style.GetOrCreateColumnStyle(1).MaxWidth = 12;

        var lines = Draw(table, 3, 100, 8);

        var row = Assert.Single(lines, l => l.StartsWith("vm01 ", StringComparison.Ordinal));
        Assert.EndsWith("note 01 that is long enough", row, StringComparison.Ordinal);
        Assert.Contains("198.18.0.1-…", row);
        Assert.Contains(" 1000 ", row);
    }

    public void Dispose() => _app.Dispose();
}
