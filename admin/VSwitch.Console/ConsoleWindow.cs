using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Capture;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views;
using VSwitch.Console.Views.Dialogs;

namespace VSwitch.Console;

/// <summary>
/// The console's main window: menu bar, header (endpoint, conntrack, flow cache, worker load), the row of screens,
/// the current screen, the message line, the screen's keys and the status bar. It refreshes every second and runs
/// the screens' commands (dialogs, each ending in one API request).
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> Everything here runs on Terminal.Gui's UI thread. A refresh timer (1 s) starts a read of the
/// API on the thread pool (<see cref="SnapshotReader"/>); when one is still out, one more follows it (so a change shows
/// at once). The answer comes back through <c>IApplication.Invoke</c> and is shown by <see cref="Apply"/>. Dialogs run modally (their own loop on the UI thread) and
/// send their request off it the same way (<see cref="FormDialog{TOutcome}"/>); the refresh goes on under them.</para>
/// <para><b>Quitting.</b> <c>q</c> (or the menu, or Ctrl+C) quits without asking; Esc does not quit the window (it
/// closes dialogs and leaves the filter box), so a stray Esc never ends a session. <see cref="Stop"/> lets it end from
/// outside (the daemon stopping, a SIGTERM or SIGINT sent by <c>kill</c>).</para>
/// </remarks>
internal sealed class ConsoleWindow : Window, IConsoleCommands
{
    private static readonly TimeSpan s_refreshInterval = TimeSpan.FromSeconds(1);

    private readonly IApplication _app;
    private readonly VSwitchClient _client;
    private readonly GroupActions _actions;
    private readonly SnapshotReader _reader;
    private readonly ConsoleState _state;
    private readonly CancellationTokenSource _closing = new();
    private readonly TextLine _header1 = new() { X = 0, Y = 1, Width = Dim.Fill(), Height = 1 };
    private readonly TextLine _header2 = new() { X = 0, Y = 2, Width = Dim.Fill(), Height = 1 };
    private readonly ScreenTabs _tabs = new() { X = 0, Y = 3, Width = Dim.Fill() };
    private readonly View _body = new() { X = 0, Y = 4, Width = Dim.Fill(), CanFocus = true };
    private readonly TextLine _message = new() { X = 0, Width = Dim.Fill(), Height = 1 };
    private readonly TextLine _keys = new() { X = 0, Width = Dim.Fill(), Height = 1 };
    private readonly Dictionary<Screen, ScreenView> _screens;
    private bool _reading;
    private bool _readAgain;
    private bool _quitting;
    private object? _timer;

    public ConsoleWindow(IApplication app, VSwitchClient client, string endpoint)
    {
        _app = app;
        _client = client;
        _actions = new GroupActions(client);
        _reader = new SnapshotReader(client);
        _state = new ConsoleState { Endpoint = endpoint };
        Title = "VSwitch console";
        BorderStyle = Terminal.Gui.Drawing.LineStyle.None;
        Width = Dim.Fill();
        Height = Dim.Fill();
        _screens = new ScreenView[]
        {
            new OverviewScreen(), new GroupsScreen(this), new PortsScreen(), new FlowsScreen(this), new TraceScreen(this), new RoutersScreen(),
        }.ToDictionary(s => s.Kind);
        var menu = new MenuBar(
        [
            new MenuBarItem("_Console",
            [
                new MenuItem { Title = "Refresh now", Action = StartRead },
                new MenuItem { Title = "Quit", HelpText = "q", Action = Quit },
            ]),
            new MenuBarItem("_View", [.. Enum.GetValues<Screen>().Select(s => new MenuItem { Title = $"{s}", HelpText = $"{(int)s + 1}", Action = () => Show(s) })]),
            new MenuBarItem("_Groups",
            [
                new MenuItem { Title = "New group…", HelpText = "n", Action = () => { Show(Screen.Groups); NewGroup(); } },
                new MenuItem { Title = "Add rule…", HelpText = "a", Action = () => OnGroup(AddRule) },
                new MenuItem { Title = "Ports of the group…", HelpText = "p", Action = () => OnGroup(EditPorts) },
                new MenuItem { Title = "Delete group…", HelpText = "x", Action = () => OnGroup(DeleteGroup) },
            ]),
            new MenuBarItem("_Help", [new MenuItem { Title = "Keys", HelpText = "F1", Action = Help }]),
        ]);
        var status = new StatusBar(
        [
            new Shortcut(new Key('/'), "Filter", () => CurrentScreen.FocusFilter()),
            new Shortcut(Key.F1, "Help", Help),
            new Shortcut(Key.Q, "Quit", Quit),
        ]);
        _keys.Y = Pos.Top(status) - 1;
        _message.Y = Pos.Top(status) - 2;
        _body.Height = Dim.Fill(3);
        _tabs.Chosen += Show;
        foreach (var screen in _screens.Values)
        {
            screen.Visible = false;
            _body.Add(screen);
        }
        Add(menu, _header1, _header2, _tabs, _body, _message, _keys, status);
        Show(Screen.Overview);
        ShowHeader();
        _app.Keyboard.KeyDown += OnAppKey;
        // A view takes the focus only once it is laid out: until then (a new window, a screen just shown) the focus
        // stops at the body, and the screen's list takes it after the next layout.
        SubViewsLaidOut += (_, _) =>
        {
            if (ReferenceEquals(_app.Navigation?.GetFocused(), _body) || !_body.HasFocus && _app.Navigation?.GetFocused() is null)
            {
                CurrentScreen.FocusList();
            }
        };
    }

    internal ConsoleState State => _state;

    internal ScreenView CurrentScreen => _screens[_state.Screen];

    internal T ScreenOf<T>() where T : ScreenView => _screens.Values.OfType<T>().Single();

    /// <summary>Starts the refresh: a read now, then one every second.</summary>
    public void StartRefreshing()
    {
        StartRead();
        _timer = _app.AddTimeout(s_refreshInterval, () =>
        {
            StartRead();
            return true;
        });
    }

    /// <summary>
    /// Lets the window close (its close is no longer refused) and cancels the requests that are out; the caller then
    /// asks the loops to stop. Any thread.
    /// </summary>
    public void Stop()
    {
        _quitting = true;
        _closing.Cancel();
    }

    /// <summary>An unexpected failure inside a view, in the message line (the console goes on).</summary>
    internal void ShowFailure(Exception failure) => Say(Message.Error($"unexpected failure: {failure.GetType().Name}: {failure.Message}"));

    /// <summary>Shows a new snapshot, or why reading one failed (the last one stays on screen).</summary>
    internal void Apply(SwitchSnapshot? snapshot, string? error = null)
    {
        if (snapshot is not null)
        {
            _state.Push(snapshot);
            _state.RefreshError = null;
        }
        else
        {
            _state.RefreshError = error;
        }
        ShowHeader();
        CurrentScreen.Update(_state);
        ShowMessage();
    }

    internal void Show(Screen screen)
    {
        var changed = screen != _state.Screen;
        foreach (var (id, view) in _screens)
        {
            view.Visible = id == screen;
        }
        _state.Screen = screen;
        _tabs.Current = screen;
        _keys.Show(CurrentScreen.Keys + "  / filter  s sort");
        if (changed)
        {
            _state.Message = null;
        }
        CurrentScreen.Update(_state);
        CurrentScreen.FocusList();
        ShowMessage();
        if (changed && screen is Screen.Flows or Screen.Routers && _timer is not null)
        {
            StartRead();
        }
    }

    /// <summary>
    /// The console's own keys, seen before any view: a digit shows its screen, <c>q</c> quits, F1 helps, <c>/</c>
    /// filters, a screen's key (<c>n</c>, <c>t</c>, ...) runs it. Not while a dialog or the menu is open, and not while the focus is in a text box (typing <c>2</c> in
    /// the filter box types it).
    /// </summary>
    private void OnAppKey(object? sender, Key key)
    {
        if (key.Handled || key.IsCtrl || key.IsAlt || !ReferenceEquals(_app.TopRunnableView, this)
            || _app.Popovers?.GetActivePopover() is not null || _app.Navigation?.GetFocused() is TextField)
        {
            return;
        }
        if (key.AsRune.Value is >= '1' and <= '6')
        {
            Show((Screen)(key.AsRune.Value - '1'));
            key.Handled = true;
        }
        else if (key == Key.Q || key == Key.F1 || key == (Key)'/')
        {
            // Also in the status bar (for the mouse); taken here so they work wherever the focus is.
            key.Handled = true;
            (key == Key.Q ? Quit : key == Key.F1 ? Help : (Action)CurrentScreen.FocusFilter)();
        }
        else if (CurrentScreen.OwnKeys.Contains(key) && CurrentScreen.HandleKey(key))
        {
            key.Handled = true;
        }
    }

    protected override bool OnIsRunningChanging(bool oldIsRunning, bool newIsRunning) =>
        oldIsRunning && !newIsRunning && !_quitting || base.OnIsRunningChanging(oldIsRunning, newIsRunning);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _app.Keyboard.KeyDown -= OnAppKey;
            _closing.Cancel();
            if (_timer is not null)
            {
                _app.RemoveTimeout(_timer);
            }
        }
        base.Dispose(disposing);
    }

    private void Quit()
    {
        _quitting = true;
        RequestStop();
    }

    private void StartRead()
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }
        if (_reading)
        {
            // The read out may have left before a change: one more follows it, so the change shows at once.
            _readAgain = true;
            return;
        }
        _reading = true;
        var screen = _state.Screen;
        var activeFlowsOnly = _state.ActiveFlowsOnly;
        var flowPortId = _state.FlowPortId;
        _ = Task.Run(async () =>
        {
            SwitchSnapshot? snapshot = null;
            string? error = null;
            try
            {
                snapshot = await _reader.ReadAsync(screen, activeFlowsOnly, flowPortId, _closing.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!_closing.IsCancellationRequested)
            {
                // Whatever failed (the daemon refused, went away, timed out), the next tick tries again.
                error = ex is VSwitchClientException ? ex.Message : $"refresh failed: {ex.GetType().Name}: {ex.Message}";
            }
            catch (Exception)
            {
                return;
            }
            OnUi(() =>
            {
                _reading = false;
                if (snapshot is not null && (flowPortId != _state.FlowPortId || activeFlowsOnly != _state.ActiveFlowsOnly))
                {
                    // Asked before the flows screen's port or mode changed: its connections are not the ones now wanted
                    // (the read queued by that change brings them).
                    snapshot = snapshot with { Flows = null };
                }
                Apply(snapshot, error);
                if (_readAgain)
                {
                    _readAgain = false;
                    StartRead();
                }
            });
        });
    }

    /// <summary>Runs <paramref name="action"/> on the UI thread, unless the console has closed.</summary>
    private void OnUi(Action action)
    {
        if (_closing.IsCancellationRequested)
        {
            return;
        }
        try
        {
            _app.Invoke(action);
        }
        catch (Exception) when (_closing.IsCancellationRequested || App is null)
        {
        }
    }

    private void ShowHeader()
    {
        var o = _state.Overview;
        _header1.Show($"VSwitch console  {_state.Endpoint}  {DateTime.Now:HH:mm:ss}");
        var workers = string.Join(' ', o.Workers.Select(w => $"w{w.Id} {Units.Percent(w.Busy)}"));
        _header2.Show($"conntrack {o.ConntrackEntries}/{o.ConntrackMaxEntries} ({Units.Si(o.ConntrackCreatedPerSecond)} new/s)  " +
            $"flow cache hit {Units.Percent(o.FlowCacheHitRatio)}  load {workers}");
    }

    private void ShowMessage()
    {
        _message.Show((_state.RefreshError is { } error ? $"! {error}"
            : _state.Message is { } m ? (m.IsError ? "! " : "") + m.Text
            : "").ReplaceLineEndings(" "));
    }

    private void Say(Message message)
    {
        _state.Message = message;
        ShowMessage();
    }

    private void OnGroup(Action<SecurityGroup> action)
    {
        Show(Screen.Groups);
        if (ScreenOf<GroupsScreen>().SelectedGroup is { } group)
        {
            action(group);
        }
        else
        {
            Say(Message.Error("no group selected"));
        }
    }

    /// <summary>Runs <paramref name="dialog"/> modally, then refreshes when it changed something.</summary>
    private void RunDialog(Dialog dialog, Func<bool> changed) => Modal(() =>
    {
        using (dialog)
        {
            _app.Run(dialog);
            if (changed())
            {
                StartRead();
            }
        }
    });

    /// <summary>Runs a modal step (a dialog, a question), then gives the focus back to the list that had it.</summary>
    private void Modal(Action step)
    {
        var focused = _app.Navigation?.GetFocused();
        step();
        if (focused is { Visible: true } && View.IsInHierarchy(CurrentScreen, focused, false))
        {
            focused.SetFocus();
        }
        else
        {
            CurrentScreen.FocusList();
        }
    }

    public void NewGroup()
    {
        var dialog = new NewGroupDialog((name, stateful) => _actions.CreateGroupAsync(name, stateful, _closing.Token));
        RunDialog(dialog, () =>
        {
            if (!dialog.Done)
            {
                return false;
            }
            Say(dialog.Outcome.Message);
            _state.Groups.SelectedId = _state.Groups.PendingId = dialog.Outcome.Created;
            return true;
        });
    }

    public void AddRule(SecurityGroup group)
    {
        // The snapshot the dialog opened on: the request's answer is read off the UI thread, which must not see a newer one.
        var snapshot = _state.Current;
        var dialog = new AddRuleDialog(group, snapshot.Groups,
            async () => await _client.ListAddressGroupsAsync(cancellation: _closing.Token).ConfigureAwait(false),
            request => _actions.CreateRuleAsync(snapshot, group, request, _closing.Token));
        RunDialog(dialog, () =>
        {
            if (dialog.Created is not { } created)
            {
                return false;
            }
            Say(created);
            return true;
        });
    }

    public void DeleteGroup(SecurityGroup group) =>
        Confirm($"Delete group {group.Name}", $"Delete {group.Name} and its {group.Rules.Count} rules?",
            () => _actions.DeleteGroupAsync(group, _closing.Token));

    public void DeleteRule(SecurityGroup group, RuleRow rule) =>
        Confirm($"Delete a rule of {group.Name}", $"Delete rule {rule.Number}: {rule.Text}?",
            () => _actions.DeleteRuleAsync(group, rule, _closing.Token));

    /// <summary>Asks, then runs <paramref name="delete"/> and shows its message.</summary>
    private void Confirm(string title, string question, Func<Task<Message>> delete)
    {
        int? answer = null;
        Modal(() => answer = MessageBox.Query(_app, title, question, "_Cancel", "_Delete"));
        if (answer != 1)
        {
            Say(Message.Info("cancelled"));
            return;
        }
        Say(Message.Info("deleting…"));
        delete().ContinueWith(t => OnUi(() =>
        {
            Say(t.IsCompletedSuccessfully ? t.Result : Message.Error(t.Exception?.InnerException?.Message ?? "cancelled"));
            StartRead();
        }), TaskScheduler.Default);
    }

    public void EditPorts(SecurityGroup group)
    {
        if (_state.Current.Ports.Count == 0)
        {
            Say(Message.Error("no ports to attach the group to"));
            return;
        }
        var dialog = new PortsDialog(group, _state.Current.Ports,
            (port, attach) => _actions.SetAttachedAsync(group, port, attach, _closing.Token));
        RunDialog(dialog, () =>
        {
            if (!dialog.Done)
            {
                return false;
            }
            Say(dialog.Applied.Count == 1 ? dialog.Applied[0] : Message.Info(string.Join("; ", dialog.Applied.Select(m => m.Text))));
            return true;
        });
    }

    public void Trace()
    {
        var dialog = new TraceDialog(_state.Current.Ports, _state.TraceFields, async fields =>
        {
            try
            {
                return (await _client.TraceAsync(fields.PortId, fields.ToPacket(), _closing.Token).ConfigureAwait(false), null);
            }
            catch (VSwitchClientException ex)
            {
                return (null, Message.From("trace", ex).Text);
            }
        });
        RunDialog(dialog, () =>
        {
            if (dialog.Last is not { } last)
            {
                return false;
            }
            _state.TraceFields = last.Fields;
            _state.Trace = last.Trace;
            _state.Traced = (last.Fields.PortId, last.Fields.ToPacket());
            _state.Captured = null;
            _state.Message = null;
            CurrentScreen.Update(_state);
            return false;
        });
    }

    public void CapturePacket()
    {
        var dialog = new CaptureDialog(_state.Current.Ports, _state.Captured?.PortId ?? _state.Traced?.PortId, async (portId, direction, dropsOnly, cancellation) =>
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _closing.Token);
            CapturedFrame? first = null;
            CaptureSummary? summary = null;
            try
            {
                var request = new CaptureRequest(portId, direction, dropsOnly, Count: 1, DurationSeconds: CaptureDialog.WaitSeconds);
                summary = await _client.CaptureAsync(request, null, frame => first ??= frame, both.Token).ConfigureAwait(false);
            }
            catch (VSwitchClientException ex)
            {
                return (null, Message.From("capture", ex).Text);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                // Stopped before the daemon answered: as a stop after.
            }
            return first is not null ? (first, null)
                : cancellation.IsCancellationRequested ? (null, "stopped waiting: no frame yet")
                : summary?.EndReason is "port deleted" ? (null, "the port was deleted")
                : summary?.EndReason is "daemon stopping" ? (null, "the daemon is stopping")
                : (null, $"no frame in {CaptureDialog.WaitSeconds} s");
        });
        RunDialog(dialog, () =>
        {
            if (dialog.Captured is not { } captured)
            {
                return false;
            }
            var packet = new CapturedPacket(captured.Port.Id, string.IsNullOrEmpty(captured.Port.Name) ? captured.Port.Id : captured.Port.Name, captured.Frame);
            _state.Captured = packet;
            _state.Trace = null;
            _state.Traced = null;
            _state.Message = null;
            if (packet.TracePacket is { } text)
            {
                TraceCaptured(packet, text);
            }
            CurrentScreen.Update(_state);
            return false;
        });
    }

    /// <summary>Traces a captured frame the port received, off the UI thread; the trace screen shows it when it answers.</summary>
    private void TraceCaptured(CapturedPacket captured, string packet) => _ = Task.Run(async () =>
    {
        Message? failed = null;
        PacketTrace? trace = null;
        try
        {
            trace = await _client.TraceAsync(captured.PortId, packet, _closing.Token).ConfigureAwait(false);
        }
        catch (VSwitchClientException ex)
        {
            failed = Message.From("trace the captured packet", ex);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            _app.Invoke(() =>
            {
                // A later capture, or a trace asked for since, is what the screen shows now.
                if (!ReferenceEquals(_state.Captured, captured))
                {
                    return;
                }
                _state.Trace = trace;
                _state.Traced = trace is null ? null : (captured.PortId, packet);
                _state.Message = failed;
                CurrentScreen.Update(_state);
            });
        }
        catch (Exception)
        {
            // The console closed while the trace was out: nothing is left to show it in.
        }
    });

    public void PickFlowPort()
    {
        var dialog = new FlowPortDialog(_state.Current.Ports, _state.FlowPortId);
        RunDialog(dialog, () =>
        {
            if (!dialog.Done || dialog.Picked == _state.FlowPortId)
            {
                return false;
            }
            _state.FlowPortId = dialog.Picked;
            CurrentScreen.Update(_state);
            return true;
        });
    }

    public void ToggleActiveFlows()
    {
        _state.ActiveFlowsOnly = !_state.ActiveFlowsOnly;
        CurrentScreen.Update(_state);
        StartRead();
    }

    private void Help()
    {
        Modal(() => MessageBox.Query(_app, "Keys", HelpText, "_OK"));
    }

    /// <summary>Every key of the console, for F1.</summary>
    internal static string HelpText =>
        """
        1-6     show a screen: overview, groups, ports, flows, trace, routers
        /       filter the list (Enter keeps the filter, Esc clears it)
        s  S    sort by the next column, reverse the sort (or click a title)
        ↑↓ PgUp PgDn Home End   move in a list;  Tab   next list
        Groups: n new group  a add rule  x/Del delete  p ports (checkboxes)
        Flows:  f only the connections through one port (a list to pick from)
                a the active connections only, or all (the first 5,000)
        Trace:  t trace a packet through the pipeline
                c capture a frame from a port: decoded, and traced if the port received it
        F10     the menu;   q   quit (Ctrl+C too)
        """;
}
