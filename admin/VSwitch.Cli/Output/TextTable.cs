namespace VSwitch.Cli.Output;

/// <summary>
/// Plain aligned text: a header line and rows, columns padded to their widest cell and separated by two spaces, no
/// borders. A cell may hold several lines (a port's fixed IPs); its row then takes that many lines. Trailing blanks are
/// trimmed so the output diffs cleanly.
/// </summary>
internal static class TextTable
{
    private const string Gap = "  ";

    public static void Write(TextWriter writer, IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var widths = headers.Select(h => h.Length).ToArray();
        var split = rows.Select(r => r.Select(cell => cell.Split('\n')).ToArray()).ToList();
        foreach (var row in split)
        {
            for (var c = 0; c < widths.Length && c < row.Length; c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Max(line => line.Length));
            }
        }
        WriteLine(writer, headers, widths);
        foreach (var row in split)
        {
            var height = row.Length == 0 ? 1 : row.Max(cell => cell.Length);
            for (var line = 0; line < height; line++)
            {
                WriteLine(writer, [.. row.Select(cell => line < cell.Length ? cell[line] : "")], widths);
            }
        }
    }

    private static void WriteLine(TextWriter writer, IReadOnlyList<string> cells, int[] widths)
    {
        var parts = cells.Select((cell, c) => c == cells.Count - 1 ? cell : cell.PadRight(widths[c]));
        writer.WriteLine(string.Join(Gap, parts).TrimEnd());
    }
}
