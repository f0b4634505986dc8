using System.Globalization;

namespace VSwitch.Cli.Arguments;

/// <summary><c>--dst-port N[:M]</c>, as the OpenStack CLI: one port is <c>N:N</c>. Range limits are the API's to check.</summary>
internal readonly record struct PortRange(int Min, int Max)
{
    public static PortRange Parse(string text)
    {
        var colon = text.IndexOf(':');
        var first = colon < 0 ? text : text[..colon];
        var second = colon < 0 ? text : text[(colon + 1)..];
        if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var min)
            || !int.TryParse(second, NumberStyles.None, CultureInfo.InvariantCulture, out var max))
        {
            throw new UsageException($"--dst-port: '{text}' is not PORT or MIN:MAX");
        }
        return new PortRange(min, max);
    }
}
