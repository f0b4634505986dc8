using Spectre.Console;
using Spectre.Console.Rendering;

namespace VSwitch.Console.Tests;

/// <summary>A view rendered as a monochrome terminal of a given width would show it, as text.</summary>
internal static class PlainText
{
    public static string Of(IRenderable view, int width)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = width;
        console.Write(view);
        return writer.ToString();
    }
}
