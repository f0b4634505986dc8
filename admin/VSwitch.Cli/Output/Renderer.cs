using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VSwitch.Cli.Output;

/// <summary>
/// Prints resources in the chosen <see cref="OutputFormat"/>, the OpenStack CLI's way: a list is a table with one
/// row per resource under the columns' headers; one resource (<c>show</c>, <c>create</c>) is a two-column
/// <c>Field</c>/<c>Value</c> table keyed by attribute name. In JSON a list is an array of objects keyed by header and
/// a resource is an object keyed by attribute, with native JSON values (lists stay arrays, numbers stay numbers).
/// </summary>
/// <remarks>
/// <para><b>Text of a value.</b> null is empty, booleans are <c>True</c>/<c>False</c>, lists are joined (", " in a row,
/// one element per line in a <c>show</c> table), objects are <c>key='value'</c> pairs.</para>
/// </remarks>
internal static class Renderer
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void List<T>(TextWriter writer, OutputSettings output, IReadOnlyList<Column<T>> columns, IEnumerable<T> items)
    {
        var chosen = Choose(columns, output.Columns, listed: true);
        var rows = items.Select(item => chosen.Select(c => c.Value(item)).ToList()).ToList();
        switch (output.Format)
        {
            case OutputFormat.Json:
                var array = new JsonArray();
                foreach (var row in rows)
                {
                    var obj = new JsonObject();
                    for (var i = 0; i < chosen.Count; i++)
                    {
                        obj[chosen[i].Header] = row[i]?.DeepClone();
                    }
                    array.Add(obj);
                }
                writer.WriteLine(array.ToJsonString(s_json));
                break;
            case OutputFormat.Value:
                foreach (var row in rows)
                {
                    writer.WriteLine(string.Join(' ', row.Select(v => Text(v, ", "))));
                }
                break;
            default:
                TextTable.Write(writer, [.. chosen.Select(c => c.Header)], [.. rows.Select(r => (IReadOnlyList<string>)[.. r.Select(v => Text(v, ", "))])]);
                break;
        }
    }

    public static void Show<T>(TextWriter writer, OutputSettings output, IReadOnlyList<Column<T>> columns, T item)
    {
        var chosen = Choose(columns, output.Columns, listed: false);
        var values = chosen.Select(c => (c.Key, Value: c.Value(item))).ToList();
        switch (output.Format)
        {
            case OutputFormat.Json:
                var obj = new JsonObject();
                foreach (var (key, value) in values)
                {
                    obj[key] = value?.DeepClone();
                }
                writer.WriteLine(obj.ToJsonString(s_json));
                break;
            case OutputFormat.Value:
                foreach (var (_, value) in values)
                {
                    writer.WriteLine(Text(value, ", "));
                }
                break;
            default:
                TextTable.Write(writer, ["Field", "Value"], [.. values.Select(v => (IReadOnlyList<string>)[v.Key, Text(v.Value, "\n")])]);
                break;
        }
    }

    /// <summary>The columns to print: <paramref name="requested"/> in the given order, else the defaults.</summary>
    public static List<Column<T>> Choose<T>(IReadOnlyList<Column<T>> columns, IReadOnlyList<string> requested, bool listed)
    {
        if (requested.Count == 0)
        {
            return [.. columns.Where(c => !listed || c.Listed)];
        }
        return [.. requested.Select(name => columns.FirstOrDefault(c => c.Matches(name))
            ?? throw new UsageException($"-c: no column '{name}' (choose from {string.Join(", ", columns.Select(c => listed ? c.Header : c.Key))})"))];
    }

    /// <summary>A value as text (see remarks).</summary>
    public static string Text(JsonNode? value, string listSeparator) => value switch
    {
        null => "",
        JsonArray array => string.Join(listSeparator, array.Select(e => Text(e, ", "))),
        JsonObject obj => string.Join(", ", obj.Select(p => $"{p.Key}='{Text(p.Value, ", ")}'")),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => "True",
            JsonValueKind.False => "False",
            JsonValueKind.Number => v.ToJsonString(),
            _ => "",
        },
        _ => value.ToJsonString(),
    };

    /// <summary>A JSON string node, or null.</summary>
    public static JsonNode? Str(string? text) => text is null ? null : JsonValue.Create(text);

    public static JsonNode Num(long n) => JsonValue.Create(n);

    public static JsonNode Num(double n) => JsonValue.Create(Math.Round(n, 3));

    public static JsonNode? NumOrNull(int? n) => n is { } v ? JsonValue.Create(v) : null;

    public static JsonNode Bool(bool b) => JsonValue.Create(b);

    public static JsonArray Strings(IEnumerable<string> items) => new([.. items.Select(i => (JsonNode?)JsonValue.Create(i))]);

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
