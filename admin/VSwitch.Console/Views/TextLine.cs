using System.Text;
using Terminal.Gui.Views;

namespace VSwitch.Console.Views;

/// <summary>
/// A label that shows data as it is: Terminal.Gui's <see cref="Label"/> takes the first <c>_</c> as a hot-key mark and
/// hides it, which would turn <c>security_group</c> into <c>securitygroup</c> and <c>io_uring</c> into <c>iouring</c>.
/// </summary>
/// <remarks>With a height above one line, long text wraps at words (errors in dialogs).</remarks>
internal sealed class TextLine : Label
{
    public TextLine()
    {
        HotKeySpecifier = new Rune(0xFFFF);
        TextFormatter.WordWrap = true;
    }

    /// <summary>Shows <paramref name="text"/>; the same text again changes nothing (no layout, no redraw).</summary>
    public void Show(string text)
    {
        if (Text != text)
        {
            Text = text;
        }
    }
}
