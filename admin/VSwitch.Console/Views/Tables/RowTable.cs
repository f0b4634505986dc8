using Terminal.Gui.Input;
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
/// this is a few milliseconds (<c>perf/console-refresh.sh</c> measures a whole refresh; figures in perf/RESULTS.md).</para>
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
        if (Monochrome.On)
        {
            // Without colour the selected row is drawn in reverse video, so it can still be seen.
            Style.RowColorGetter = row => row.RowIndex == (Value?.SelectedCell.Y ?? -1) ? Reversed(GetScheme()) : null;
        }
    }

    private static Terminal.Gui.Drawing.Scheme Reversed(Terminal.Gui.Drawing.Scheme scheme)
    {
        static Terminal.Gui.Drawing.Attribute Reverse(Terminal.Gui.Drawing.Attribute a) =>
            a with { Style = a.Style | Terminal.Gui.Drawing.TextStyle.Reverse };
        return new Terminal.Gui.Drawing.Scheme(scheme)
        {
            Normal = Reverse(scheme.Normal),
            Focus = Reverse(scheme.Focus),
            Active = Reverse(scheme.Active),
            Highlight = Reverse(scheme.Highlight),
        };
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

        public void Set(List<(T Row, string[] Cells)> rows, Func<T, string> key, string[] titles)
        {
            Rows = [.. rows.Select(r => r.Row)];
            Keys = [.. Rows.Select(key)];
            _cells = [.. rows.Select(r => r.Cells)];
            ColumnNames = titles;
        }
    }
}
