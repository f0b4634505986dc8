using System.Collections.ObjectModel;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace VSwitch.Console.Views.Dialogs;

/// <summary>
/// A dialog's list with its filter box on the line above: what is typed in the box narrows the list to the items that
/// contain it (any case), as the screens' <c>/</c> does for their tables. <c>/</c> in the list puts the cursor in the
/// box; Enter there keeps the filter and goes back to the list; Esc clears it and goes back (it does not close the
/// dialog). With checkboxes, an item hidden by the filter keeps its mark.
/// </summary>
/// <remarks>
/// The items are fixed when the list is made; callers speak of them by their index in that list
/// (<see cref="Selected"/>, <see cref="IsMarked"/>), never by their row on screen, which the filter moves.
/// </remarks>
internal sealed class FilteredList : View
{
    private readonly IReadOnlyList<string> _items;
    private readonly bool[] _marked;
    private readonly int _pinned;
    private readonly TextLine _count = new() { X = Pos.AnchorEnd(14), Y = 0, Width = 14, Height = 1 };
    private List<int> _shown;

    /// <param name="items">The items' text, in the order shown.</param>
    /// <param name="marked">With checkboxes: whether each item starts checked (null: no checkboxes, one item is picked).</param>
    /// <param name="pinned">The first items are always shown and never matched (a choice such as "all ports"); while a
    /// filter is typed, the selection goes to the first item it matches.</param>
    public FilteredList(IReadOnlyList<string> items, IReadOnlyList<bool>? marked = null, int pinned = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pinned);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pinned, items.Count);
        _items = items;
        _pinned = pinned;
        _marked = marked is null ? new bool[items.Count] : [.. marked];
        if (_marked.Length != items.Count)
        {
            throw new ArgumentException("one mark per item", nameof(marked));
        }
        _shown = [.. Enumerable.Range(0, items.Count)];
        CanFocus = true;
        FilterBox = new TextField { X = 10, Y = 0, Width = Dim.Fill(15) };
        List = new Rows(() => FilterBox.SetFocus()) { X = 0, Y = 1, Width = Dim.Fill(), Height = Dim.Fill(), ShowMarks = marked is not null, MarkMultiple = marked is not null };
        Show(keep: items.Count == 0 ? null : 0);
        FilterBox.ValueChanged += (_, _) => Show(Selected);
        FilterBox.Accepting += (_, e) =>
        {
            List.SetFocus();
            e.Handled = true;
        };
        FilterBox.KeyDown += (_, key) =>
        {
            if (key == Key.Esc)
            {
                FilterBox.Text = "";
                List.SetFocus();
                key.Handled = true;
            }
        };
        Add(new Label { X = 0, Y = 0, Text = "/ filter:" }, FilterBox, _count, List);
        List.SetFocus();
    }

    public TextField FilterBox { get; }

    public ListView List { get; }

    public string Filter
    {
        get => FilterBox.Text;
        set => FilterBox.Text = value;
    }

    /// <summary>How many items the filter leaves (the pinned ones not counted).</summary>
    public int ShownCount => _shown.Count - _pinned;

    /// <summary>The selected item's index among all the items (null when the filter leaves none).</summary>
    public int? Selected => List.SelectedItem is int row && row >= 0 && row < _shown.Count ? _shown[row] : null;

    /// <summary>Selects item <paramref name="index"/> (clearing the filter if it hides it).</summary>
    public void Select(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _items.Count);
        if (!_shown.Contains(index) || (index < _pinned && Filter.Length > 0))
        {
            Filter = "";
        }
        List.SelectedItem = _shown.IndexOf(index);
    }

    /// <summary>Whether item <paramref name="index"/> is checked, shown or not.</summary>
    public bool IsMarked(int index)
    {
        KeepMarks();
        return _marked[index];
    }

    /// <summary>
    /// The list: <c>/</c> goes to the filter box. (ListView jumps to the next item starting with a typed character
    /// before its KeyDown event is raised, so the key is taken here, first.)
    /// </summary>
    private sealed class Rows(Action slash) : ListView
    {
        protected override bool OnKeyDown(Key key)
        {
            if (key == (Key)'/')
            {
                slash();
                return true;
            }
            return base.OnKeyDown(key);
        }
    }

    /// <summary>Takes the marks of the rows on screen (Space and clicks change them there) into the items' marks.</summary>
    private void KeepMarks()
    {
        if (List.Source is not { } rows || rows.Count != _shown.Count)
        {
            return;
        }
        for (var row = 0; row < _shown.Count; row++)
        {
            _marked[_shown[row]] = rows.IsMarked(row);
        }
    }

    private void Show(int? keep)
    {
        KeepMarks();
        var filter = FilterBox.Text;
        _shown = [.. Enumerable.Range(0, _items.Count)
            .Where(i => i < _pinned || filter.Length == 0 || _items[i].Contains(filter, StringComparison.OrdinalIgnoreCase))];
        List.SetSource(new ObservableCollection<string>(_shown.Select(i => _items[i])));
        for (var row = 0; row < _shown.Count; row++)
        {
            List.Source!.SetMark(row, _marked[_shown[row]]);
        }
        var at = keep is { } k ? _shown.IndexOf(k) : -1;
        if (filter.Length > 0 && at < _pinned && _shown.Count > _pinned)
        {
            // The selection was on a pinned item, or the filter hid it: the first item the filter matches.
            at = _pinned;
        }
        List.SelectedItem = _shown.Count == 0 ? null : Math.Max(0, at);
        _count.Text = filter.Length == 0 ? "" : $"{ShownCount} of {_items.Count - _pinned}";
    }
}
