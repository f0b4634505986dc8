using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Tables;

namespace VSwitch.Console.Views;

/// <summary>
/// One screen of the console (overview, groups, ports, flows, trace, routers): a title line with the filter box at its
/// right, then the screen's tables and graphs. The window shows one screen at a time and calls <see cref="Update"/>
/// after every refresh and every change.
/// </summary>
/// <remarks>
/// <para><b>Filter.</b> <c>/</c> puts the cursor in the filter box; what is typed narrows the list that had the
/// focus (on the groups screen, the groups or the rules) to rows with the text in some cell. Enter keeps the filter
/// and goes back to the list; Esc clears it and goes back.</para>
/// <para><b>Keys.</b> A screen's own keys (<see cref="OwnKeys"/>: <c>n</c>, <c>a</c>, <c>x</c>, ...) are taken by the
/// window before any view sees them, so they work wherever the focus is, even in an empty screen; but not while the
/// focus is in a text box, so typing in the filter box never runs them.</para>
/// </remarks>
internal abstract class ScreenView : View
{
    private readonly TextLine _title = new() { X = 0, Y = 0, Width = Dim.Fill(29), Height = 1 };
    private readonly TextLine _filterLabel = new() { X = Pos.AnchorEnd(28), Y = 0, Text = "/ filter:" };
    private IFilterable? _filterTarget;
    private IFilterable? _lastList;

    protected ScreenView(Screen id, string keys)
    {
        Kind = id;
        Keys = keys;
        Width = Dim.Fill();
        Height = Dim.Fill();
        CanFocus = true;
        FilterBox = new TextField { X = Pos.AnchorEnd(18), Y = 0, Width = 18 };
        FilterBox.ValueChanged += (_, _) =>
        {
            // Reached with / or with the mouse or Tab: then it narrows the list it last narrowed, or the main one.
            (_filterTarget ??= PrimaryList).Filter = FilterBox.Text;
            ShowTitle();
        };
        FilterBox.Accepting += (_, e) =>
        {
            LeaveFilter();
            e.Handled = true;
        };
        FilterBox.KeyDown += (_, key) =>
        {
            if (key == Key.Esc)
            {
                FilterBox.Text = "";
                LeaveFilter();
                key.Handled = true;
            }
        };
        Add(_title, _filterLabel, FilterBox);
    }

    public Screen Kind { get; }

    /// <summary>The screen's own keys, for the hint line and the help.</summary>
    public string Keys { get; }

    /// <summary>The text box that filters the focused list.</summary>
    public TextField FilterBox { get; }

    /// <summary>The list the filter narrows when nothing else had the focus.</summary>
    protected abstract IFilterable PrimaryList { get; }

    /// <summary>The keys <see cref="HandleKey"/> may take (the window binds them while this screen is shown).</summary>
    public virtual IReadOnlyList<Key> OwnKeys => [];

    /// <summary>Runs the screen's own key; false when the key is not the screen's.</summary>
    public virtual bool HandleKey(Key key) => false;

        /// <summary>Shows <paramref name="state"/> (after a refresh or a change).</summary>
    public abstract void Update(ConsoleState state);

    /// <summary>The words of the title line (left of the filter box).</summary>
    protected abstract string TitleText();

    /// <summary>Moves the cursor to the filter box, to narrow the list that has the focus.</summary>
    public void FocusFilter()
    {
        _filterTarget = Focused as IFilterable ?? _filterTarget ?? PrimaryList;
        FilterBox.Text = _filterTarget.Filter;
        FilterBox.SetFocus();
    }

    /// <summary>Puts the focus back on the list that last had it (at first the main one): a screen shown, a dialog closed.</summary>
    public void FocusList() => (_lastList ?? PrimaryList).View.SetFocus();

    private void LeaveFilter() => (_filterTarget ?? PrimaryList).View.SetFocus();

    /// <summary>Every list of the screen notes when it takes the focus.</summary>
    protected override void OnSubViewAdded(View view)
    {
        base.OnSubViewAdded(view);
        if (view is IFilterable list)
        {
            view.HasFocusChanged += (_, _) =>
            {
                if (view.HasFocus)
                {
                    _lastList = list;
                }
            };
        }
    }

    protected void ShowTitle()
    {
        var target = _filterTarget ?? PrimaryList;
        _title.Show(TitleText() + (target.Filter.Length == 0 ? "" : $"  [{target.ShownCount} of {target.Total} match '{target.Filter}']"));
    }
}
