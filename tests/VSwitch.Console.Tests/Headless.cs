using System.Runtime.CompilerServices;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Terminal.Gui.Views;
using VSwitch.Admin.Client;

// Terminal.Gui's applications are instances, but its drivers and key defaults have process-wide parts: one
// headless terminal at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace VSwitch.Console.Tests;

/// <summary>
/// The console in Terminal.Gui's headless mode: the ANSI driver with its terminal I/O switched off
/// (<c>DisableRealDriverIO</c>), a screen of a chosen size, keys and mouse clicks injected as a terminal would send
/// them, and the screen read back as text.
/// </summary>
internal sealed class Headless : IDisposable
{
    [ModuleInitializer]
    internal static void NoTerminal() => Environment.SetEnvironmentVariable("DisableRealDriverIO", "1");

    private readonly SessionToken? _session;

    /// <param name="width">The terminal's columns.</param>
    /// <param name="height">The terminal's rows.</param>
    /// <param name="api">What answers the console's requests (none: every request fails).</param>
    /// <param name="begin">Whether the window is begun (drawn, driven by hand); false leaves it to <see cref="RunModal"/>.</param>
    public Headless(int width = 80, int height = 24, HttpMessageHandler? api = null, bool begin = true)
    {
        App = Application.Create();
        App.Init("ansi");
        App.Driver!.SetScreenSize(width, height);
        Client = new VSwitchClient(new HttpClient(api ?? new Unreachable()) { BaseAddress = new Uri("http://vswitch/") });
        Window = new ConsoleWindow(App, Client, "test");
        if (begin)
        {
            _session = App.Begin(Window);
            App.LayoutAndDraw();
        }
    }

    public IApplication App { get; }

    public VSwitchClient Client { get; }

    public ConsoleWindow Window { get; }

    /// <summary>The screen as text, one line per row, trailing blanks cut.</summary>
    public string Screen()
    {
        App.LayoutAndDraw();
        return string.Join('\n', App.Driver!.ToString()!.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd()));
    }

    /// <summary>The screen's lines.</summary>
    public string[] Lines() => Screen().Split('\n');

    public void Press(params Key[] keys)
    {
        foreach (var key in keys)
        {
            App.InjectKey(key);
        }
    }

    public void Type(string text)
    {
        foreach (var c in text)
        {
            App.InjectKey(new Key(c));
        }
    }

    public void Click(int x, int y) => App.InjectSequence(InputInjectionExtensions.LeftButtonClick(new System.Drawing.Point(x, y)));

    /// <summary>
    /// Runs <paramref name="dialog"/> modally while <paramref name="script"/> drives it: the script is called at each
    /// iteration of the loop (the dialog's, or of one it opened: <see cref="IApplication.TopRunnableView"/> says which)
    /// with the iteration's number (from 1) until it returns false or the dialog closes; after 200 it is stopped.
    /// </summary>
    public void RunModal(Runnable dialog, Func<int, bool> script)
    {
        var step = 0;
        void Drive(object? sender, Terminal.Gui.App.EventArgs<IApplication?> e)
        {
            if (!dialog.IsRunning)
            {
                return;
            }
            if (++step > 200 || !script(step))
            {
                // The console's window refuses to close unless told to quit.
                (dialog as ConsoleWindow)?.Stop();
                App.RequestStop(dialog);
            }
        }
        App.Iteration += Drive;
        try
        {
            App.Run(dialog);
        }
        finally
        {
            App.Iteration -= Drive;
        }
    }

    public void Dispose()
    {
        if (_session is not null)
        {
            App.End(_session);
        }
        Window.Dispose();
        App.Dispose();
    }

    /// <summary>An API that is never there (the window's own reads are not started in these tests).</summary>
    private sealed class Unreachable : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("no daemon in this test");
    }
}
