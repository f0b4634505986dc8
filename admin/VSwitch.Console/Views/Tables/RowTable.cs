using System.Text;
using Terminal.Gui.Drawing;
using Terminal.Gui.Input;
using Terminal.Gui.Text;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace VSwitch.Console.Views.Tables;

/// <summary>
/// A table of rows of <typeparamref name="T"/> (each with a key unique among the rows) that the console refreshes every second: it scrolls, sorts by any
/// column (click the header, or <c>s</c> for the next column and <c>S</c> to reverse), filters by a text any cell
/// contains, and keeps the selected row across refreshes.
/// </summary>
/// <remarks>
/// <para><b>Why not a fresh table each second.</b> Terminal.Gui's <see cref="TableView"/> resets its cursor to the
/// first row whenever its <see cref="TableView.Table"/> is replaced. This table owns one source for its whole life and
/// changes the rows inside it; after a refresh the cursor goes back to the row with the same key (a port id, a group
/// id, a connection's tuple), or stays at the same position when that row is gone, and the scroll offset is kept. Only
/// cells whose text changed are written to the terminal, so nothing flickers.</para>
/// <para><b>Cost.</b> A refresh computes each row's cell texts once (filtering and drawing read them), sorts, and
/// finds the selected key: O(rows × columns) strings, then O(rows log rows). With 1,000 ports or 10,000 connections
/// this is a few milliseconds (<c>ConsoleRefreshBenchmarks</c> in perf/VSwitch.Benchmarks measures a whole refresh,
/// <c>perf/console-refresh.sh</c> the console's process; figures in perf/RESULTS.md).</para>
/// <para><b>Drawing.</b> The rows are drawn here, not by <see cref="TableView"/>: it clears the view, then writes every
/// line three times over (two clears and a row's background) before its cells, and each character written costs
/// Terminal.Gui a grapheme split and a width look-up; a 200×50 flows screen spent ~40 ms a second on it. This table
/// writes each cell once, in the columns <see cref="TableView"/> laid out (read back with
/// <see cref="TableView.ScreenToCell(int, int, out int?, out int?)"/>, so clicks and drawing agree), with the same
/// look: the header in the header colours, a rule under it, the selected row in the focus colours.</para>
/// <para><b>Keys.</b> The table never searches as you type (<see cref="TableView.CollectionNavigator"/> is off), so
/// printable keys reach the screen's and the window's bindings.</para>
/// </remarks>
internal sealed class RowTable<T> : TableView, IFilterable
{
    private readonly Column<T>[] _columns;
    private readonly Func<T, string> _key;
    private readonly Source _source;
    private List<(T Row, string[] Cells)> _all = [];
    private string _filter = "";
    private string? _selectedKey;

    /// <param name="columns">The columns, left to right.</param>
    /// <param name="key">A row's identity across refreshes.</param>
    /// <param name="sortColumn">The column sorted by at first; null keeps the rows in the order given.</param>
    /// <param name="descending">Whether that first sort is largest first.</param>
    public RowTable(Column<T>[] columns, Func<T, string> key, int? sortColumn = null, bool descending = false)
    {
        _columns = columns;
        _key = key;
        SortColumn = sortColumn;
        Descending = descending;
        _source = new Source(this);
        Table = _source;
        FullRowSelect = true;
        MultiSelect = false;
        // Column widths from the rows on screen, not from every row: with 1,000 rows measuring all of them made each
        // draw cost ~60 ms.
        UseAllRowsForContentCalculation = false;
        CollectionNavigator = null;
        Style.ShowHorizontalHeaderOverline = false;
        Style.ShowVerticalCellLines = false;
        Style.ShowVerticalHeaderLines = false;
        Style.ShowHorizontalBottomLine = false;
        Style.ExpandLastColumn = true;
        Style.AlwaysShowHeaders = true;
        for (var i = 0; i < columns.Length; i++)
        {
            if (columns[i].Right)
            {
                Style.GetOrCreateColumnStyle(i).Alignment = Alignment.End;
            }
        }
        ValueChanged += (_, _) => NoteSelection();
    }

    /// <summary>The selected row's look: the focus colours, and reverse video too without colour (so it can still be seen).</summary>
    private Terminal.Gui.Drawing.Attribute SelectedRow(Scheme scheme)
    {
        var selected = HasFocus ? scheme.Focus : scheme.Active;
        return Monochrome.On ? selected with { Style = selected.Style | TextStyle.Reverse } : selected;
    }

    /// <summary>The column the rows are sorted by (null: the order they were given in).</summary>
    public int? SortColumn { get; private set; }

    public bool Descending { get; private set; }

    /// <summary>Raised when the selected row becomes another row (not when the same row moves or is refreshed).</summary>
    public event Action? SelectedChanged;

    /// <summary>The rows shown, after the filter and the sort, in display order.</summary>
    public IReadOnlyList<T> Shown => _source.Rows;

    /// <summary>How many rows there are before the filter.</summary>
    public int Total => _all.Count;

    public int ShownCount => _source.Rows.Count;

    /// <summary>The selected row, or the default when the table is empty.</summary>
    public T? Selected => SelectedIndex is int i ? _source.Rows[i] : default;

    private int? SelectedIndex => _source.Rows.Count == 0 ? null : Math.Clamp(Value?.SelectedCell.Y ?? 0, 0, _source.Rows.Count - 1);

    /// <summary>Rows must contain this text in some cell, ignoring case; empty shows every row.</summary>
    public string Filter
    {
        get => _filter;
        set
        {
            if (value != _filter)
            {
                _filter = value;
                Rebuild();
            }
        }
    }

    /// <summary>Replaces the rows (a refresh), keeping the selection on the same key.</summary>
    public void SetRows(IEnumerable<T> rows)
    {
        _all = [.. rows.Select(r => (r, _columns.Select(c => c.Text(r)).ToArray()))];
        Rebuild();
    }

    /// <summary>Selects the row with <paramref name="key"/>, if it is shown.</summary>
    public bool Select(string key)
    {
        var at = _source.Keys.IndexOf(key);
        if (at < 0)
        {
            return false;
        }
        SetSelection(0, at, false);
        EnsureCursorIsVisible();
        NoteSelection();
        return true;
    }

    /// <summary>Sorts by <paramref name="column"/>; again on the same column reverses the order. Numbers start largest first.</summary>
    public void SortBy(int column)
    {
        if (column < 0 || column >= _columns.Length)
        {
            return;
        }
        if (SortColumn == column)
        {
            Descending = !Descending;
        }
        else
        {
            SortColumn = column;
            Descending = _columns[column].Right;
        }
        Rebuild();
    }

    protected override bool OnKeyDown(Key key)
    {
        if (key == Key.S)
        {
            SortBy(((SortColumn ?? -1) + 1) % _columns.Length);
            return true;
        }
        if (key == Key.S.WithShift && SortColumn is { } column)
        {
            SortBy(column);
            return true;
        }
        return base.OnKeyDown(key);
    }

    protected override bool OnMouseEvent(Terminal.Gui.Input.Mouse mouse)
    {
        if (mouse.Flags.HasFlag(MouseFlags.LeftButtonClicked) && mouse.Position is { } at)
        {
            ScreenToCell(at, out int? header);
            if (header is { } column)
            {
                SortBy(column);
                return true;
            }
        }
        return base.OnMouseEvent(mouse);
    }

    private void Rebuild()
    {
        var keep = _selectedKey;
        var position = SelectedIndex ?? 0;
        IEnumerable<(T Row, string[] Cells)> rows = _filter.Length == 0
            ? _all
            : _all.Where(r => r.Cells.Any(c => c.Contains(_filter, StringComparison.OrdinalIgnoreCase)));
        if (SortColumn is { } column)
        {
            var by = _columns[column];
            var keyed = rows.Select(r => (r.Row, r.Cells, Key: by.SortKey is null ? r.Cells[column] : by.SortKey(r.Row))).ToList();
            var comparer = Comparer<IComparable?>.Create((a, b) =>
                a is null ? (b is null ? 0 : 1) : b is null ? -1 : Descending ? Compare(b, a) : Compare(a, b));
            rows = keyed.OrderBy(r => r.Key, comparer).ThenBy(r => _key(r.Row), StringComparer.Ordinal).Select(r => (r.Row, r.Cells));
        }
        _source.Set([.. rows], _key, Titles());
        Update();
        if (_source.Rows.Count == 0)
        {
            return;
        }
        var at = keep is null ? -1 : _source.Keys.IndexOf(keep);
        var row = at >= 0 ? at : Math.Min(position, _source.Rows.Count - 1);
        if (Value?.SelectedCell.Y != row)
        {
            SetSelection(0, row, false);
            EnsureCursorIsVisible();
        }
        NoteSelection();
    }

    /// <summary>Nothing to clear first: <see cref="OnDrawingContent"/> writes every cell of the viewport.</summary>
    protected override bool OnClearingViewport() => true;

    protected override bool OnDrawingContent(DrawContext? context)
    {
        var width = Viewport.Width;
        var normal = GetAttributeForRole(VisualRole.Normal);
        var columns = ColumnsOnScreen(width);
        var line = 0;
        if (line < Viewport.Height)
        {
            // The titles in the header's colours, the gaps between them in the normal ones (as TableView draws them).
            var header = Style.HeaderScheme ?? GetScheme();
            var titles = _source.ColumnNames;
            DrawLine(line++, columns, width, normal, c => titles[c], HasFocus ? header.Focus : header.Normal, normal);
        }
        if (line < Viewport.Height)
        {
            Move(0, line++);
            SetAttribute(normal);
            AddStr(Rule(width));
        }
        var headerLines = line;
        for (; line < Viewport.Height; line++)
        {
            var row = Viewport.Y + line - headerLines;
            if (row < 0 || row >= _source.Rows.Count)
            {
                Move(0, line);
                SetAttribute(normal);
                AddStr(Blank(width));
                continue;
            }
            var scheme = GetScheme();
            var look = IsSelected(0, row) ? SelectedRow(scheme) : Enabled ? scheme.Normal : scheme.Disabled;
            var cells = _source.CellsOf(row);
            DrawLine(line, columns, width, look, c => cells[c], look, look);
        }
        return true;
    }

    /// <summary>One line of the table: each column's text in <paramref name="text"/>, the gaps and the rest in <paramref name="rest"/>.</summary>
    private void DrawLine(int line, List<Placed> columns, int width, Terminal.Gui.Drawing.Attribute rest, Func<int, string> cell,
        Terminal.Gui.Drawing.Attribute text, Terminal.Gui.Drawing.Attribute gap)
    {
        SetAttribute(rest);
        if (columns.Count == 0 || columns[0].Start > 0)
        {
            Move(0, line);
            AddStr(Blank(columns.Count == 0 ? width : columns[0].Start));
        }
        foreach (var (column, start, space, hasGap) in columns)
        {
            Move(start, line);
            SetAttribute(text);
            AddStr(Fit(cell(column), space, _columns[column].Right, Style.GetColumnStyleIfAny(column)?.TruncationIndicator));
            if (hasGap)
            {
                SetAttribute(gap);
                AddStr(" ");
            }
        }
        var end = columns.Count == 0 ? width : columns[^1].Start + columns[^1].Space + (columns[^1].Gap ? 1 : 0);
        if (end < width)
        {
            SetAttribute(rest);
            Move(Math.Max(end, 0), line);
            AddStr(Blank(width - Math.Max(end, 0)));
        }
    }

    /// <summary>A column as TableView laid it out: where it starts in the viewport (negative when scrolled partly off
    /// the left), the screen columns its text has, and whether a one-column gap follows it (all but the last).</summary>
    private readonly record struct Placed(int Column, int Start, int Space, bool Gap);

    /// <summary>
    /// The columns on screen, left to right, where TableView put them: read back with <see cref="TableView.ScreenToCell(int, int, out int?, out int?)"/>
    /// on the header line (a column starts where the column under x changes); a column that goes on past the right
    /// edge is followed beyond it, so its text is cut by the edge as TableView's is, not fitted to what shows.
    /// </summary>
    private List<Placed> ColumnsOnScreen(int width)
    {
        var starts = new List<(int Column, int Start)>();
        for (var x = 0; x < width; x++)
        {
            ScreenToCell(x, 0, out var header, out _);
            if (header is { } column && (starts.Count == 0 || starts[^1].Column != column))
            {
                starts.Add((column, x));
            }
        }
        var placed = new List<Placed>(starts.Count);
        if (starts.Count == 0)
        {
            return placed;
        }
        if (starts[0].Start == 0)
        {
            // How far the first column is scrolled off the left. Asked on a line past the last row: there TableView
            // gives the offset within the column counting the scroll (on the header line it does not, once scrolled down).
            ScreenToCell(0, CurrentHeaderHeightVisible() + _source.Rows.Count, out _, out var offset);
            starts[0] = (starts[0].Column, -(offset ?? 0));
        }
        var contentEnd = GetContentSize().Width - Viewport.X;
        for (var i = 0; i < starts.Count; i++)
        {
            var (column, start) = starts[i];
            if (column == _columns.Length - 1)
            {
                // The last column has no gap after it: its text runs to the end of the content.
                placed.Add(new Placed(column, start, Math.Max(0, contentEnd - start), Gap: false));
                continue;
            }
            var next = i + 1 < starts.Count ? starts[i + 1].Start : NextColumnStart(column, width, contentEnd);
            placed.Add(new Placed(column, start, Math.Max(0, next - start - 1), Gap: true));
        }
        return placed;
    }

    /// <summary>Where the column after <paramref name="column"/> starts, looking right of the screen's edge.</summary>
    private int NextColumnStart(int column, int from, int contentEnd)
    {
        for (var x = from; x < contentEnd; x++)
        {
            ScreenToCell(x, 0, out var header, out _);
            if (header != column)
            {
                return x;
            }
        }
        return contentEnd + 1;
    }

    /// <summary>
    /// <paramref name="text"/> in exactly <paramref name="space"/> screen columns: padded (to the right of it, or to
    /// the left for numbers), or cut as TableView cuts it (ending in the column style's <paramref name="indicator"/>,
    /// an ellipsis, when there is room for it).
    /// </summary>
    private static string Fit(string text, int space, bool right, string? indicator)
    {
        if (space <= 0)
        {
            return "";
        }
        var used = Ascii.IsValid(text) ? text.Length : text.GetColumns();
        if (used <= space)
        {
            return right ? text.PadLeft(text.Length + space - used) : text.PadRight(text.Length + space - used);
        }
        var mark = indicator is { Length: > 0 } i && i.GetColumns() < space ? i : "";
        var cut = new StringBuilder();
        var room = space - mark.GetColumns();
        foreach (var grapheme in GraphemeHelper.GetGraphemes(text))
        {
            var columns = grapheme.GetColumns();
            if (columns > room)
            {
                break;
            }
            cut.Append(grapheme);
            room -= columns;
        }
        return cut.Append(mark).Append(' ', room).ToString();
    }

    private static string Blank(int width) => width <= 0 ? "" : new string(' ', width);

    private static string Rule(int width) => width <= 0 ? "" : new string('─', width);

    private static int Compare(IComparable a, IComparable b) =>
        a is string x && b is string y ? string.CompareOrdinal(x, y) : a.CompareTo(b);

    private string[] Titles() => [.. _columns.Select((c, i) =>
        i != SortColumn ? c.Title : c.Title + (Descending ? "▼" : "▲"))];

    private void NoteSelection()
    {
        var key = SelectedIndex is int i ? _source.Keys[i] : null;
        if (key != _selectedKey)
        {
            _selectedKey = key;
            SelectedChanged?.Invoke();
        }
    }

    /// <summary>The one source the table shows for its whole life; a refresh changes its rows in place.</summary>
    private sealed class Source(RowTable<T> owner) : ITableSource
    {
        private string[][] _cells = [];

        public List<T> Rows { get; private set; } = [];

        public List<string> Keys { get; private set; } = [];

        public string[] ColumnNames { get; private set; } = [.. owner._columns.Select(c => c.Title)];

        public int Columns => ColumnNames.Length;

        int ITableSource.Rows => _cells.Length;

        public object this[int row, int col] => row < _cells.Length ? _cells[row][col] : "";

        public string[] CellsOf(int row) => _cells[row];

        public void Set(List<(T Row, string[] Cells)> rows, Func<T, string> key, string[] titles)
        {
            Rows = [.. rows.Select(r => r.Row)];
            Keys = [.. Rows.Select(key)];
            _cells = [.. rows.Select(r => r.Cells)];
            ColumnNames = titles;
        }
    }
}
