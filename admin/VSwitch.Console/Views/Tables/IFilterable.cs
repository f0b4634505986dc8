using Terminal.Gui.ViewBase;

namespace VSwitch.Console.Views.Tables;

/// <summary>A list the screen's filter box (<c>/</c>) narrows: any <see cref="RowTable{T}"/>, whatever its rows.</summary>
internal interface IFilterable
{
    string Filter { get; set; }

    int Total { get; }

    int ShownCount { get; }

    /// <summary>The table as a view (to focus it again when the filter box is left).</summary>
    View View => (View)this;
}
