using Terminal.Gui.App;
using Terminal.Gui.Input;
using VSwitch.Admin.Client;

namespace VSwitch.Console;

/// <summary>
/// The operator console: live port rates and graphs, security groups and rules with their hits, ports, top flows,
/// packet trace, routers and floating IPs, in the terminal, over the public API only (<see cref="VSwitchClient"/>).
/// Hosted by <c>vswitchctl console</c> and by <c>vswitchd --console</c>. Built on Terminal.Gui v2.
/// </summary>
/// <remarks>
/// <para><b>Thread.</b> Terminal.Gui binds its application to the thread that initialises it and runs its loop
/// there until the window closes. The console gives it a thread of its own: under <c>vswitchd --console</c> the caller
/// is a thread of the daemon's host, which must not be blocked for the session; for <c>vswitchctl</c> it costs
/// nothing. <see cref="RunAsync"/> completes when that thread is done and the terminal is restored.</para>
/// <para><b>Terminal.</b> Terminal.Gui takes the alternate screen and raw mode and gives both back when the
/// application is disposed (also on an exception). Raw mode means Ctrl+C arrives as a key, not as SIGINT: the console
/// binds it to quit. Ctrl+Z would stop the whole process group (under <c>vswitchd --console</c>, the switch), so it is
/// unbound. A SIGTERM or SIGINT sent from outside ends the console through the cancellation token.</para>
/// </remarks>
public static class OperatorConsole
{
    /// <summary>
    /// Runs the console on this process' terminal until <c>q</c> or <paramref name="cancellation"/>. Returns null, or
    /// why it could not run (no interactive terminal) or stopped (an unexpected failure), in one line.
    /// </summary>
    public static Task<string?> RunAsync(VSwitchClient client, CancellationToken cancellation)
    {
        if (System.Console.IsInputRedirected || System.Console.IsOutputRedirected)
        {
            return Task.FromResult<string?>("the console needs an interactive terminal");
        }
        var done = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(client, cancellation);
                done.SetResult(null);
            }
            catch (Exception ex)
            {
                done.SetResult($"the console stopped: {ex.GetType().Name}: {ex.Message}");
            }
        })
        {
            Name = "console",
            IsBackground = true,
        };
        thread.Start();
        return done.Task;
    }

    private static void Run(VSwitchClient client, CancellationToken cancellation)
    {
        using var app = Application.Create();
        app.Init();
        using var window = new ConsoleWindow(app, client, client.Where);
        BindKeys(app, window);
        using var stop = cancellation.Register(() =>
        {
            try
            {
                app.Invoke(() => StopAll(app, window));
            }
            catch (Exception)
            {
                // The console has already ended.
            }
        });
        window.Initialized += (_, _) => window.StartRefreshing();
        // A failure inside a view is shown and the console goes on: under vswitchd --console it must not stop the switch.
        app.Run(window, ex =>
        {
            window.ShowFailure(ex);
            return true;
        });
    }

    /// <summary>The application's own keys: Ctrl+Z unbound (it would stop the process group), Ctrl+C ends everything, dialogs too.</summary>
    internal static void BindKeys(IApplication app, ConsoleWindow window)
    {
        app.Keyboard.KeyBindings.Remove(Key.Z.WithCtrl);
        app.Keyboard.KeyDown += (_, key) =>
        {
            if (key == Key.C.WithCtrl)
            {
                StopAll(app, window);
                key.Handled = true;
            }
        };
    }

    /// <summary>Ends the console: every open dialog, then the window (each modal loop ends on its own request).</summary>
    private static void StopAll(IApplication app, ConsoleWindow window)
    {
        window.Stop();
        foreach (var session in app.SessionStack ?? [])
        {
            if (session.Runnable is { } runnable)
            {
                if (runnable is Views.Dialogs.FormDialog form)
                {
                    form.Abandoned = true;
                }
                app.RequestStop(runnable);
            }
        }
    }
}
