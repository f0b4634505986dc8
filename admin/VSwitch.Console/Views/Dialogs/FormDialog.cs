using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace VSwitch.Console.Views.Dialogs;

/// <summary>
/// A dialog whose default button sends one API request and stays open when the API refuses it, with the refusal
/// shown at the field it is about (or at the foot): the base of the console's forms.
/// </summary>
/// <remarks>
/// <para><b>Flow.</b> Enter in any field or the default (last) button calls <see cref="Submit"/> on the UI thread;
/// it reads its fields there and awaits the API off it. When the answer comes, <see cref="Show"/> runs on the UI
/// thread again (through <see cref="Terminal.Gui.App.IApplication.Invoke(Action)"/>): it puts errors in place and
/// says whether the dialog is done. While a request is out, Enter does nothing more, so a rule is never sent twice,
/// and Esc or Cancel wait for the answer, so what was done is always reported. Otherwise Esc or Cancel close the
/// dialog without sending anything.</para>
/// <para><b>Monochrome.</b> Errors begin with "! ", so they read as errors without colour.</para>
/// </remarks>
internal abstract class FormDialog<TOutcome> : FormDialog
{
    private bool _busy;

    protected FormDialog(string title, string action, int width, int height)
    {
        Title = title;
        Width = width;
        Height = height;
        Footer = new TextLine { X = 0, Y = Pos.AnchorEnd(1), Width = Dim.Fill(), Height = 1 };
        Add(Footer);
        AddButton(new Button { Text = "Cancel" });
        AddButton(new Button { Text = action, IsDefault = true });
    }

    /// <summary>The line above the buttons: errors not about one field, and "working…".</summary>
    protected TextLine Footer { get; }

    /// <summary>Whether the dialog ended by its action (not by Esc or Cancel).</summary>
    public bool Done { get; private set; }

    /// <summary>Reads the fields (on the UI thread) and sends the request; must not touch views after its first await.</summary>
    protected abstract Task<TOutcome> Submit();

    /// <summary>Shows the answer (on the UI thread); true closes the dialog.</summary>
    protected abstract bool Show(TOutcome outcome);

    /// <summary>An error under a field (empty text hides it): "! why".</summary>
    protected static string ErrorText(string? error) => error is null ? "" : "! " + error;

    protected override bool OnAccepting(CommandEventArgs args)
    {
        View? source = null;
        args.Context?.Source?.TryGetTarget(out source);
        if (source is Button { IsDefault: false })
        {
            return base.OnAccepting(args);
        }
        if (_busy)
        {
            return true;
        }
        _busy = true;
        Footer.Text = "working…";
        Task<TOutcome> answer;
        try
        {
            answer = Submit();
        }
        catch (Exception ex)
        {
            answer = Task.FromException<TOutcome>(ex);
        }
        if (answer.IsCompleted)
        {
            Finish(answer);
        }
        else
        {
            answer.ContinueWith(t =>
            {
                try
                {
                    App?.Invoke(() => Finish(t));
                }
                catch (Exception)
                {
                    // The console closed while the request was out: nothing is left to show it in.
                }
            }, TaskScheduler.Default);
        }
        return true;
    }

    /// <summary>While a request is out the dialog stays open (Esc and Cancel wait), so its answer is never lost.</summary>
    protected override bool OnIsRunningChanging(bool oldIsRunning, bool newIsRunning) =>
        oldIsRunning && !newIsRunning && _busy && !Abandoned || base.OnIsRunningChanging(oldIsRunning, newIsRunning);

    private void Finish(Task<TOutcome> answer)
    {
        _busy = false;
        Footer.Text = "";
        if (!IsRunning)
        {
            return;
        }
        if (answer.IsCanceled)
        {
            Footer.Text = ErrorText("cancelled: the console is closing");
            return;
        }
        if (answer.IsFaulted)
        {
            Footer.Text = ErrorText(answer.Exception!.InnerException!.Message);
            return;
        }
        if (Show(answer.Result))
        {
            Done = true;
            Result = Buttons.Length - 1;
            RequestStop();
        }
    }
}

/// <summary>What every form dialog has, whatever its answer: it can be abandoned when the console closes.</summary>
internal abstract class FormDialog : Dialog
{
    /// <summary>Set when the whole console is closing: the dialog closes at once, whatever request is out.</summary>
    public bool Abandoned { get; set; }
}
