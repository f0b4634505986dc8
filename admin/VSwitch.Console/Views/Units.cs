using System.Globalization;

namespace VSwitch.Console.Views;

/// <summary>Numbers as the screens print them: short SI forms that fit narrow columns at 80 columns.</summary>
public static class Units
{
    /// <summary><c>950</c>, <c>1.23k</c>, <c>45.6M</c>; "-" for an unknown rate.</summary>
    public static string Si(double? value)
    {
        if (value is not { } v)
        {
            return "-";
        }
        var (scaled, suffix) = Math.Abs(v) switch
        {
            >= 1e12 => (v / 1e12, "T"),
            >= 1e9 => (v / 1e9, "G"),
            >= 1e6 => (v / 1e6, "M"),
            >= 1e3 => (v / 1e3, "k"),
            _ => (v, ""),
        };
        var format = suffix.Length == 0 ? (scaled == Math.Floor(scaled) ? "0" : "0.0") : Math.Abs(scaled) >= 100 ? "0" : Math.Abs(scaled) >= 10 ? "0.0" : "0.00";
        return scaled.ToString(format, CultureInfo.InvariantCulture) + suffix;
    }

    /// <summary>A cumulative count, exact up to 9,999,999, then SI.</summary>
    public static string Count(long value) =>
        value < 10_000_000 ? value.ToString("N0", CultureInfo.InvariantCulture) : Si(value);

    /// <summary>A ratio as a percentage (<c>97.5%</c>), "-" when unknown.</summary>
    public static string Percent(double? ratio) =>
        ratio is { } r ? (r * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "-";

    /// <summary>An age: <c>45s</c>, <c>12m</c>, <c>3h</c>.</summary>
    public static string Age(double seconds) => seconds switch
    {
        < 120 => $"{seconds:0}s",
        < 7200 => $"{seconds / 60:0}m",
        _ => $"{seconds / 3600:0}h",
    };

    /// <summary>Drop reasons as short words for the overview (<c>security_group</c> is <c>sg</c>).</summary>
    public static string Reason(string reason) => reason switch
    {
        "security_group" => "sg",
        "spoofing" => "spoof",
        "conntrack_invalid" => "ct-inv",
        "conntrack_full" => "ct-full",
        "malformed" => "malf",
        "port_down" => "down",
        "tx_failed" => "tx-fail",
        "fragment" => "frag",
        _ => reason,
    };
}
