using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views;

/// <summary>
/// The row of screens under the header: <c> 1 Overview  [2 Groups]  3 Ports …</c>, the current one in brackets (so it
/// reads without colour). A click on a screen's name shows it; the digit keys do the same.
/// </summary>
internal sealed class ScreenTabs : View
{
    private Screen _current;

    public ScreenTabs()
    {
        Height = 1;
        CanFocus = false;
        Text = Render(_current);
    }

    /// <summary>Raised when a screen's name is clicked.</summary>
    public event Action<Screen>? Chosen;

    public Screen Current
    {
        get => _current;
        set
        {
            _current = value;
            Text = Render(value);
        }
    }

    /// <summary>The row's text with <paramref name="current"/> in brackets.</summary>
    internal static string Render(Screen current) =>
        string.Concat(Enum.GetValues<Screen>().Select(s => Tab(s, s == current)));

    private static string Tab(Screen s, bool current) => current ? $"[{(int)s + 1} {s}] " : $" {(int)s + 1} {s}  ";

    /// <summary>The screen whose name is at column <paramref name="x"/>, if any.</summary>
    internal static Screen? At(int x, Screen current)
    {
        var start = 0;
        foreach (var s in Enum.GetValues<Screen>())
        {
            var width = Tab(s, s == current).Length;
            if (x >= start && x < start + width)
            {
                return s;
            }
            start += width;
        }
        return null;
    }

    protected override bool OnMouseEvent(Terminal.Gui.Input.Mouse mouse)
    {
        if (mouse.Flags.HasFlag(MouseFlags.LeftButtonClicked) && mouse.Position is { } p && At(p.X, _current) is { } screen)
        {
            Chosen?.Invoke(screen);
            return true;
        }
        return base.OnMouseEvent(mouse);
    }
}
