namespace VSwitch.Console.Views.Tables;

/// <summary>
/// One column of a <see cref="RowTable{T}"/>: its title, the text of a row's cell, and what the column sorts by.
/// </summary>
/// <remarks>
/// SortKey: the value the column sorts by (a number for number columns, so 1.2k sorts above 950); null sorts last in
/// either direction. Without one the column sorts by its text, ordinally. Right: numbers are right-aligned.
/// </remarks>
internal sealed record Column<T>(string Title, Func<T, string> Text, Func<T, IComparable?>? SortKey = null, bool Right = false)
{
    /// <summary>A number column: right-aligned, sorted by <paramref name="value"/> (largest first when a sort starts on it).</summary>
    public static Column<T> Number(string title, Func<T, string> text, Func<T, IComparable?> value) => new(title, text, value, Right: true);
}
