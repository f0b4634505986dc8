using System.Globalization;
using System.Text;

namespace VSwitch.Api.Tests.Metrics;

/// <summary>One sample of a scrape: its family, labels (unescaped) and value.</summary>
internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels[name];
}

/// <summary>One metric family: its help, type and samples.</summary>
internal sealed record Family(string Name, string Help, string Type, List<Sample> Samples);

/// <summary>
/// A strict reader of the Prometheus text format 0.0.4, line by line: it fails (with the line) on anything the
/// format does not allow, and on families without <c># HELP</c> and <c># TYPE</c> before their samples, repeated or
/// interleaved families, invalid escapes and duplicate series.
/// </summary>
internal static class Exposition
{
    public static Dictionary<string, Family> Parse(string text)
    {
        Assert.EndsWith("\n", text);
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        string? helpOf = null;
        string? help = null;
        Family? current = null;
        var lines = text[..^1].Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n];
            var where = $"line {n + 1}: '{line}'";
            Assert.False(line.Length == 0, $"{where}: empty line");
            Assert.False(line.EndsWith(' ') || line.Contains('\r') || line.Contains('\t'), $"{where}: stray whitespace");
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var rest = line["# HELP ".Length..];
                var space = rest.IndexOf(' ');
                Assert.True(space > 0, where);
                helpOf = rest[..space];
                AssertName(helpOf, where);
                Assert.False(families.ContainsKey(helpOf), $"{where}: family repeated");
                help = UnescapeHelp(rest[(space + 1)..], where);
                Assert.False(string.IsNullOrWhiteSpace(help), $"{where}: empty help");
                current = null;
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.True(parts.Length == 4, where);
                Assert.True(parts[2] == helpOf, $"{where}: TYPE not right after the family's HELP");
                Assert.Contains(parts[3], (string[])["counter", "gauge"]);
                current = new Family(parts[2], help!, parts[3], []);
                families.Add(current.Name, current);
                helpOf = null;
                continue;
            }
            Assert.False(line.StartsWith('#'), $"{where}: unexpected comment");
            var sample = ParseSample(line, where);
            Assert.True(current is not null && sample.Name == current.Name, $"{where}: sample outside its family's block (no HELP/TYPE before it)");
            Assert.True(series.Add(line[..line.LastIndexOf(' ')]), $"{where}: duplicate series");
            if (current.Type == "counter")
            {
                Assert.EndsWith("_total", sample.Name);
                Assert.True(sample.Value >= 0, $"{where}: negative counter");
            }
            current.Samples.Add(sample);
        }
        Assert.Null(helpOf);
        return families;
    }

    private static Sample ParseSample(string line, string where)
    {
        var i = 0;
        while (i < line.Length && (char.IsAsciiLetterOrDigit(line[i]) || line[i] is '_' or ':'))
        {
            i++;
        }
        var name = line[..i];
        AssertName(name, where);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var start = i;
                while (char.IsAsciiLetterOrDigit(line[i]) || line[i] == '_')
                {
                    i++;
                }
                var label = line[start..i];
                Assert.True(label.Length > 0 && !char.IsAsciiDigit(label[0]) && !label.StartsWith("__", StringComparison.Ordinal), $"{where}: bad label name");
                Assert.True(line[i] == '=' && line[i + 1] == '"', $"{where}: expected =\" after {label}");
                i += 2;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        value.Append(line[i + 1] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            var c => throw new Xunit.Sdk.XunitException($"{where}: invalid escape \\{c}"),
                        });
                        i += 2;
                    }
                    else
                    {
                        value.Append(line[i++]);
                    }
                }
                i++;
                Assert.True(labels.TryAdd(label, value.ToString()), $"{where}: label {label} repeated");
                if (line[i] == ',')
                {
                    i++;
                }
            }
            i++;
        }
        Assert.True(i < line.Length && line[i] == ' ', $"{where}: expected one space before the value");
        var text = line[(i + 1)..];
        Assert.True(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !text.Contains(' '), $"{where}: bad value");
        return new Sample(name, labels, v);
    }

    private static string UnescapeHelp(string text, string where)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                sb.Append(text[++i] switch { '\\' => '\\', 'n' => '\n', var c => throw new Xunit.Sdk.XunitException($"{where}: invalid help escape \\{c}") });
            }
            else
            {
                sb.Append(text[i]);
            }
        }
        return sb.ToString();
    }

    private static void AssertName(string name, string where) =>
        Assert.True(name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':'), $"{where}: bad metric name");
}
