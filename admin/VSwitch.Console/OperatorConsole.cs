using System.Diagnostics;
using Spectre.Console;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views;

namespace VSwitch.Console;

/// <summary>
/// The operator console: live port rates, security groups and rules, ports, top flows and packet trace, in the
/// terminal, over the public API only (<see cref="VSwitchClient"/>). Hosted by <c>vswitchctl console</c> and by
/// <c>vswitchd --console</c>.
/// </summary>
/// <remarks>
/// <para><b>Shape.</b> The console owns the terminal's alternate screen (Spectre's <c>AlternateScreen</c>, so the
/// shell's screen comes back on exit). Inside it, one Spectre <c>Live</c> display redraws the frame in place (no
/// flicker: lines are overwritten, never cleared) after every key and every refresh. A <see cref="KeyReader"/> thread
/// feeds keys to the loop. A key that needs input (a group name, a rule, a confirmation) ends the Live display, the
/// prompt runs on a cleared screen with Spectre's prompts, the action runs, and the Live display starts again.</para>
/// <para><b>Refresh.</b> Once a second: stats, ports and groups (and connections on the flows screen), read
/// concurrently; rates are deltas between consecutive refreshes (<see cref="Rates"/>). A failed refresh keeps the
/// last data on screen and shows why in the status line; the next one retries.</para>
/// <para><b>Size.</b> The frame is drawn one line shorter than the terminal and re-measured at every redraw; a resize
/// restarts the Live display on a cleared screen, so nothing of the old size is left behind. Tables cut long cells
/// with an ellipsis; 80x24 shows every column.</para>
/// <para><b>Thread-safety.</b> State lives on the loop; the key thread only reads keys.</para>
/// </remarks>
public sealed class OperatorConsole
{
    private static readonly TimeSpan s_refreshInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_resizePoll = TimeSpan.FromMilliseconds(200);

    private readonly VSwitchClient _client;
    private readonly IAnsiConsole _console;
    private readonly ConsoleState _state;
    private readonly GroupActions _actions;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private OperatorConsole(VSwitchClient client, IAnsiConsole console, string endpoint)
    {
        _client = client;
        _console = console;
        _state = new ConsoleState { Endpoint = endpoint };
        _actions = new GroupActions(client);
    }

    /// <summary>
    /// Runs the console on this process' terminal until <c>q</c> or <paramref name="cancellation"/>. Returns null, or
    /// why it could not run (no interactive terminal) or stopped (an unexpected failure), in one line.
    /// </summary>
    public static Task<string?> RunAsync(VSwitchClient client, CancellationToken cancellation)
    {
        var console = AnsiConsole.Console;
        if (System.Console.IsInputRedirected || System.Console.IsOutputRedirected || !console.Profile.Capabilities.Ansi
            || !console.Profile.Capabilities.AlternateBuffer)
        {
            return Task.FromResult<string?>("the console needs an interactive terminal that supports ANSI and the alternate screen");
        }
        var app = new OperatorConsole(client, console, client.Where);
        Exception? failure = null;
        console.AlternateScreen(() =>
        {
            try
            {
                app.LoopAsync(cancellation).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        return Task.FromResult(failure is null ? null : $"the console stopped: {failure.GetType().Name}: {failure.Message}");
    }

    /// <summary>What the Live display ended for.</summary>
    private enum Exit
    {
        Quit,
        Prompt,
        Resize,
    }

    private async Task LoopAsync(CancellationToken cancellation)
    {
        using var keys = new KeyReader();
        await RefreshAsync(cancellation);
        var nextRefresh = _clock.Elapsed + s_refreshInterval;
        while (!cancellation.IsCancellationRequested)
        {
            var exit = Exit.Quit;
            Func<Task>? prompt = null;
            _console.Clear(true);
            var size = (_console.Profile.Width, _console.Profile.Height);
            await _console.Live(Frame.Render(_state, size.Width, size.Height))
                .AutoClear(false)
                .Overflow(VerticalOverflow.Crop)
                .Cropping(VerticalOverflowCropping.Bottom)
                .StartAsync(async live =>
                {
                    while (!cancellation.IsCancellationRequested)
                    {
                        var wait = nextRefresh - _clock.Elapsed;
                        var key = await keys.ReadAsync(wait < s_resizePoll ? (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) : s_resizePoll, cancellation);
                        if (key is { } k)
                        {
                            var action = Handle(k);
                            if (action.Exit is { } e)
                            {
                                exit = e;
                                prompt = action.Prompt;
                                return;
                            }
                            keys.Next();
                        }
                        if (_clock.Elapsed >= nextRefresh)
                        {
                            await RefreshAsync(cancellation);
                            nextRefresh = _clock.Elapsed + s_refreshInterval;
                        }
                        if ((_console.Profile.Width, _console.Profile.Height) != size)
                        {
                            exit = Exit.Resize;
                            return;
                        }
                        live.UpdateTarget(Frame.Render(_state, size.Width, size.Height));
                        live.Refresh();
                    }
                });
            if (exit == Exit.Quit || cancellation.IsCancellationRequested)
            {
                return;
            }
            if (prompt is not null)
            {
                _console.Clear(true);
                await prompt();
                await RefreshAsync(cancellation);
                keys.Next();
            }
        }
    }

    /// <summary>What a key does: nothing more (redraw), or end the Live display to quit or to prompt.</summary>
    private readonly record struct KeyAction(Exit? Exit, Func<Task>? Prompt = null)
    {
        public static KeyAction Redraw => new(null);

        public static KeyAction Ask(Func<Task> prompt) => new(Console.OperatorConsole.Exit.Prompt, prompt);
    }

    private KeyAction Handle(ConsoleKeyInfo key)
    {
        var c = char.ToLowerInvariant(key.KeyChar);
        if (c == 'q')
        {
            return new KeyAction(Exit.Quit);
        }
        if (c is >= '1' and <= '6')
        {
            _state.Screen = (Screen)(c - '1');
            _state.Message = null;
            return KeyAction.Redraw;
        }
        return _state.Screen switch
        {
            Screen.Groups => GroupsKey(key, c),
            Screen.Flows when c == 'f' => Do(() => _state.NextFlowPort()),
            Screen.Trace when c == 't' => KeyAction.Ask(TracePromptAsync),
            _ => KeyAction.Redraw,
        };
    }

    private static KeyAction Do(Action action)
    {
        action();
        return KeyAction.Redraw;
    }

    private KeyAction GroupsKey(ConsoleKeyInfo key, char c)
    {
        var s = _state.Current;
        var group = _state.Groups.Selected(s);
        switch (key.Key)
        {
            case ConsoleKey.UpArrow:
                return Do(() => _state.Groups.Move(s, -1));
            case ConsoleKey.DownArrow:
                return Do(() => _state.Groups.Move(s, +1));
        }
        if (c == 'n')
        {
            return KeyAction.Ask(CreateGroupPromptAsync);
        }
        if (c is 'd' or 'a' or 'x' or '+' or '-' && group is null)
        {
            return Do(() => _state.Message = Message.Error("no group selected"));
        }
        return c switch
        {
            'd' => KeyAction.Ask(() => DeleteGroupPromptAsync(group!)),
            'a' => KeyAction.Ask(() => AddRulePromptAsync(group!)),
            'x' => KeyAction.Ask(() => DeleteRulePromptAsync(group!)),
            '+' => KeyAction.Ask(() => AttachPromptAsync(group!, attach: true)),
            '-' => KeyAction.Ask(() => AttachPromptAsync(group!, attach: false)),
            _ => KeyAction.Redraw,
        };
    }

    private async Task RefreshAsync(CancellationToken cancellation)
    {
        try
        {
            var stats = _client.GetStatsAsync(cancellation);
            var ports = _client.ListPortsAsync(cancellation: cancellation);
            var groups = _client.ListSecurityGroupsAsync(cancellation: cancellation);
            var flows = _state.Screen == Screen.Flows ? _client.ListFlowsAsync(limit: 5000, cancellation: cancellation) : null;
            var routing = _state.Screen == Screen.Routers ? ReadRoutingAsync(cancellation) : null;
            await Task.WhenAll(stats, ports, groups, flows ?? Task.CompletedTask, routing ?? Task.CompletedTask);
            _state.Push(new SwitchSnapshot(_clock.Elapsed, stats.Result, ports.Result, groups.Result, flows?.Result, routing?.Result));
            _state.RefreshError = null;
        }
        catch (VSwitchClientException ex)
        {
            _state.RefreshError = ex.Message;
        }
    }

    private async Task<RoutingInventory> ReadRoutingAsync(CancellationToken cancellation)
    {
        var routers = _client.ListRoutersAsync(cancellation: cancellation);
        var floatingIps = _client.ListFloatingIpsAsync(cancellation: cancellation);
        var subnets = _client.ListSubnetsAsync(cancellation: cancellation);
        var networks = _client.ListNetworksAsync(cancellation: cancellation);
        await Task.WhenAll(routers, floatingIps, subnets, networks);
        return new RoutingInventory(routers.Result, floatingIps.Result, subnets.Result, networks.Result);
    }

    // ---- prompts (run outside the Live display) ----

    private Task<T> Ask<T>(IPrompt<T> prompt) => prompt.ShowAsync(_console, CancellationToken.None);

    private void Title(string text) => _console.Write(new Rule($"[bold]{Markup.Escape(text)}[/]").LeftJustified());

    private async Task CreateGroupPromptAsync()
    {
        Title("Create a security group (empty name cancels)");
        var name = await Ask(new TextPrompt<string>("Name:").AllowEmpty());
        if (string.IsNullOrWhiteSpace(name))
        {
            _state.Message = Message.Info("cancelled");
            return;
        }
        var stateful = await Ask(new ConfirmationPrompt("Stateful (return traffic allowed)?") { DefaultValue = true });
        var (message, created) = await _actions.CreateGroupAsync(name.Trim(), stateful, CancellationToken.None);
        _state.Message = message;
        if (created is not null)
        {
            _state.Groups.SelectedId = created;
        }
    }

    private async Task DeleteGroupPromptAsync(SecurityGroup group)
    {
        Title($"Delete security group {group.Name}");
        if (await Ask(new ConfirmationPrompt($"Delete {group.Name} and its {group.Rules.Count} rules?") { DefaultValue = false }))
        {
            _state.Message = await _actions.DeleteGroupAsync(group, CancellationToken.None);
        }
        else
        {
            _state.Message = Message.Info("cancelled");
        }
    }

    private async Task AddRulePromptAsync(SecurityGroup group)
    {
        Title($"Add a rule to {group.Name} (empty cancels)");
        _console.MarkupLine($"[grey]{Markup.Escape(RuleSpec.Syntax)}[/]");
        _console.MarkupLine("[grey]e.g. ingress tcp 80 · ingress tcp 8000:8080 198.18.0.0/24 · egress udp 53 · ingress icmp 8 · ingress group=web[/]");
        var text = await Ask(new TextPrompt<string>("Rule:").AllowEmpty());
        if (string.IsNullOrWhiteSpace(text))
        {
            _state.Message = Message.Info("cancelled");
            return;
        }
        _state.Message = await _actions.AddRuleAsync(_state.Current, group, text, CancellationToken.None);
    }

    private async Task DeleteRulePromptAsync(SecurityGroup group)
    {
        var rows = GroupList.Rules(_state.Current, group);
        if (rows.Count == 0)
        {
            _state.Message = Message.Error($"{group.Name} has no rules");
            return;
        }
        Title($"Delete a rule of {group.Name} (empty cancels)");
        foreach (var row in rows)
        {
            _console.MarkupLine($"  [bold]{row.Number}[/] {Markup.Escape(row.Text)}");
        }
        var answer = await Ask(new TextPrompt<string>("Rule number:").AllowEmpty()
            .Validate(t => string.IsNullOrWhiteSpace(t) || (int.TryParse(t, out var n) && n >= 1 && n <= rows.Count)
                ? ValidationResult.Success() : ValidationResult.Error($"[red]a number from 1 to {rows.Count}[/]")));
        if (string.IsNullOrWhiteSpace(answer))
        {
            _state.Message = Message.Info("cancelled");
            return;
        }
        _state.Message = await _actions.DeleteRuleAsync(group, rows[int.Parse(answer, System.Globalization.CultureInfo.InvariantCulture) - 1], CancellationToken.None);
    }

    private async Task AttachPromptAsync(SecurityGroup group, bool attach)
    {
        var ports = attach ? GroupList.PortsWithout(_state.Current, group.Id) : GroupList.PortsWith(_state.Current, group.Id);
        if (ports.Count == 0)
        {
            _state.Message = Message.Error(attach ? $"every port already has {group.Name}" : $"{group.Name} is on no port");
            return;
        }
        Title(attach ? $"Attach {group.Name} to a port (empty cancels)" : $"Detach {group.Name} from a port (empty cancels)");
        _console.MarkupLine($"[grey]ports: {Markup.Escape(string.Join(", ", ports.Select(p => p.Name)))}[/]");
        var name = await Ask(new TextPrompt<string>("Port:").AllowEmpty()
            .Validate(t => string.IsNullOrWhiteSpace(t) || ports.Count(p => p.Name == t.Trim() || p.Id == t.Trim()) == 1
                ? ValidationResult.Success() : ValidationResult.Error("[red]not one of the ports listed[/]")));
        if (string.IsNullOrWhiteSpace(name))
        {
            _state.Message = Message.Info("cancelled");
            return;
        }
        var port = ports.Single(p => p.Name == name.Trim() || p.Id == name.Trim());
        _state.Message = await _actions.SetAttachedAsync(group, port, attach, CancellationToken.None);
    }

    private async Task TracePromptAsync()
    {
        var ports = _state.Current.Ports.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        if (ports.Count == 0)
        {
            _state.Message = Message.Error("no ports to trace from");
            return;
        }
        Title("Trace a packet (empty port cancels)");
        _console.MarkupLine($"[grey]ports: {Markup.Escape(string.Join(", ", ports.Select(p => p.Name)))}[/]");
        var portPrompt = new TextPrompt<string>("Entering port:").AllowEmpty()
            .Validate(t => string.IsNullOrWhiteSpace(t) || ports.Count(p => p.Name == t.Trim() || p.Id == t.Trim()) == 1
                ? ValidationResult.Success() : ValidationResult.Error("[red]not one of the ports listed[/]"));
        var name = await Ask(portPrompt);
        if (string.IsNullOrWhiteSpace(name))
        {
            _state.Message = Message.Info("cancelled");
            return;
        }
        var port = ports.Single(p => p.Name == name.Trim() || p.Id == name.Trim());
        _console.MarkupLine("[grey]e.g. tcp 198.18.0.1:40000 > 198.18.0.2:80 syn · udp 198.18.0.1:5000 > 198.18.0.2:53 · icmp 198.18.0.1 > 198.18.0.2[/]");
        var packet = await Ask(new TextPrompt<string>("Packet:").DefaultValue(_state.TracePacket));
        _state.TracePortId = port.Id;
        _state.TracePacket = packet.Trim();
        try
        {
            _state.Trace = await _client.TraceAsync(port.Id, _state.TracePacket);
            _state.Message = null;
        }
        catch (VSwitchClientException ex)
        {
            _state.Trace = null;
            _state.Message = Message.From("trace", ex);
        }
    }
}
