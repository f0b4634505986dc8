namespace VSwitch.Console.Views;

/// <summary>
/// Whether the terminal shows no colour: <c>NO_COLOR</c> set (https://no-color.org) or <c>TERM=dumb</c>. Then what
/// colour would say is said another way: the selected row in reverse video, errors with "! ", the current screen in
/// brackets, sort order with ▲/▼.
/// </summary>
internal static class Monochrome
{
    public static bool On =>
        Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 } || Environment.GetEnvironmentVariable("TERM") == "dumb";
}
