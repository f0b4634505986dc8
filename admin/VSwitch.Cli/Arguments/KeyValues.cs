namespace VSwitch.Cli.Arguments;

/// <summary>
/// The OpenStack CLI's <c>KEY=VALUE[,KEY=VALUE]</c> flag values: <c>--fixed-ip ip-address=198.18.0.5</c>,
/// <c>--allowed-address ip-address=198.18.5.0/24,mac-address=fa:16:3e:00:00:01</c>. Keys are checked against the
/// flag's own; a bare value (no <c>=</c>) is taken as the flag's first key, so <c>--fixed-ip 198.18.0.5</c> works too.
/// Any mistake is a usage error naming the flag.
/// </summary>
internal static class KeyValues
{
    public static IReadOnlyDictionary<string, string> Parse(string flag, string text, IReadOnlyList<string> keys, IReadOnlyList<string> required)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!text.Contains('='))
        {
            if (text.Length == 0)
            {
                throw new UsageException($"{flag}: a value is required ({Expected(keys)})");
            }
            result[keys[0]] = text;
            return result;
        }
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1)
            {
                throw new UsageException($"{flag}: '{part}' is not KEY=VALUE ({Expected(keys)})");
            }
            var key = part[..eq];
            if (!keys.Contains(key))
            {
                throw new UsageException($"{flag}: unknown key '{key}' ({Expected(keys)})");
            }
            if (!result.TryAdd(key, part[(eq + 1)..]))
            {
                throw new UsageException($"{flag}: '{key}' given twice");
            }
        }
        foreach (var key in required)
        {
            if (!result.ContainsKey(key))
            {
                throw new UsageException($"{flag}: '{key}' is required ({Expected(keys)})");
            }
        }
        return result;
    }

    private static string Expected(IReadOnlyList<string> keys) => "expected " + string.Join(",", keys.Select(k => $"{k}=..."));
}
