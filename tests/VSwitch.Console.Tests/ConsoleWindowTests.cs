using Terminal.Gui.Input;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views;
using Xunit.Abstractions;

namespace VSwitch.Console.Tests;

/// <summary>The main window headless: screens by key and by click, tables that keep their selection, sort and filter, 80×24 and resize.</summary>
public sealed class ConsoleWindowTests(ITestOutputHelper output)
{
    private static Port Port(string id, string name, params string[] groups) => new()
    {
        Id = id,
        Name = name,
        MacAddress = "fa:16:3e:00:00:" + id[^2..],
        FixedIps = [new FixedIp { IpAddress = "198.18.0." + int.Parse(id[^2..], System.Globalization.CultureInfo.InvariantCulture) }],
        PortSecurityEnabled = true,
        SecurityGroups = groups,
        Status = "ACTIVE",
    };

    internal static SwitchSnapshot Snapshot(double at, int ports, long packetsPerSecond)
    {
        var list = Enumerable.Range(1, ports).Select(i => Port($"p{i:00}", $"vm{i:00}", "g1")).ToArray();
        var stats = list.Select((p, i) => new PortStats
        {
            PortId = p.Id,
            Name = p.Name,
            RxPackets = (long)(at * packetsPerSecond * (i + 1)),
            TxPackets = (long)(at * packetsPerSecond),
            Status = "ACTIVE",
            Drops = new PortDrops { Ingress = new Dictionary<string, long> { ["security_group"] = (long)at * i } },
        }).ToArray();
        return new SwitchSnapshot(TimeSpan.FromSeconds(at), new SwitchStats { PortStats = stats }, list,
            [new SecurityGroup { Id = "g1", Name = "web", Rules = [new SecurityGroupRule { Id = "r1", Direction = "ingress", Ethertype = "IPv4", Protocol = "tcp", PortRangeMin = 80, PortRangeMax = 80 }] },
             new SecurityGroup { Id = "g2", Name = "db" }], null);
    }

    [Fact]
    public void DigitKeysAndClicks_ShowEachScreen_TabsMarkTheCurrentOne()
    {
        using var ui = new Headless();
        ui.Window.Apply(Snapshot(1, 3, 10));
        ui.Window.Apply(Snapshot(2, 3, 10));
        Assert.Contains("[1 Overview]", ui.Screen());
        ui.Press(Key.D2);
        Assert.Equal(Screen.Groups, ui.Window.State.Screen);
        Assert.Contains("db (stateful) on no ports", ui.Screen());
        ui.Press(Key.CursorDown);
        var screen = ui.Screen();
        output.WriteLine(screen);
        Assert.Contains("[2 Groups]", screen);
        Assert.Contains("ingress IPv4 tcp 80", screen);
        ui.Press(Key.D3);
        Assert.Contains("[3 Ports]", ui.Screen());
        // The tabs row is the fourth line; "5 Trace" is clicked.
        var tabs = ui.Lines()[3];
        ui.Click(tabs.IndexOf("5 Trace", StringComparison.Ordinal) + 1, 3);
        Assert.Equal(Screen.Trace, ui.Window.State.Screen);
        Assert.Contains("No packet traced yet", ui.Screen());
    }

    [Fact]
    public void Overview_At80x24_EveryColumnFits_RatesAndGraphsShow()
    {
        using var ui = new Headless(80, 24);
        for (var t = 1; t <= 5; t++)
        {
            ui.Window.Apply(Snapshot(t, 3, 100 * t));
        }
        var lines = ui.Lines();
        output.WriteLine(string.Join('\n', lines));
        Assert.Equal(24, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= 80));
        var header = Assert.Single(lines, l => l.Contains("RX pps", StringComparison.Ordinal));
        Assert.Contains("Drops/s by reason", header);
        // vm03 receives 3 times the base rate: at t=5 the base is 500/s more per second than at t=4 … the rate is shown.
        Assert.Matches(@"vm03\s+up\s+2\.70k", Assert.Single(lines, l => l.Contains("vm03", StringComparison.Ordinal) && l.Contains("up", StringComparison.Ordinal)));
        Assert.Contains(lines, l => l.Contains("sg 2", StringComparison.Ordinal));
        // The first port is selected: its graphs are under the table.
        Assert.Contains(lines, l => l.StartsWith("rx pps", StringComparison.Ordinal) && l.Contains('█') && l.Contains("max", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("vm01, last", StringComparison.Ordinal));
    }

    [Fact]
    public void Selection_SurvivesRefreshes_AndFollowsItsRowWhenTheOrderChanges()
    {
        using var ui = new Headless(100, 30);
        ui.Window.Apply(Snapshot(1, 5, 10));
        ui.Window.Apply(Snapshot(2, 5, 10));
        var table = ui.Window.ScreenOf<OverviewScreen>().Ports;
        ui.Press(Key.CursorDown, Key.CursorDown);
        Assert.Equal("vm03", table.Selected!.Name);
        ui.Window.Apply(Snapshot(3, 5, 10));
        Assert.Equal("vm03", table.Selected!.Name);
        // Sort by RX pps (largest first): vm03 moves, the selection goes with it.
        table.SortBy(2);
        Assert.Equal(["vm05", "vm04", "vm03", "vm02", "vm01"], table.Shown.Select(p => p.Name));
        Assert.Equal("vm03", table.Selected!.Name);
        Assert.Contains("RX pps▼", ui.Screen());
        ui.Press(Key.S.WithShift);
        Assert.Equal("vm01", table.Shown[0].Name);
        Assert.Equal("vm03", table.Selected!.Name);
        // s moves the sort to the next column.
        ui.Press(Key.S);
        Assert.Equal(3, table.SortColumn);
    }

    [Fact]
    public void HeaderClick_SortsByThatColumn()
    {
        using var ui = new Headless(100, 30);
        ui.Window.Apply(Snapshot(1, 4, 10));
        ui.Window.Apply(Snapshot(2, 4, 10));
        var header = Array.FindIndex(ui.Lines(), l => l.Contains("RX pps", StringComparison.Ordinal));
        ui.Click(ui.Lines()[header].IndexOf("RX pps", StringComparison.Ordinal) + 2, header);
        var table = ui.Window.ScreenOf<OverviewScreen>().Ports;
        Assert.Equal(2, table.SortColumn);
        Assert.Equal("vm04", table.Shown[0].Name);
    }

    [Fact]
    public void Filter_SlashTypesIntoTheBox_ListNarrows_EscClears_KeysInTheBoxAreText()
    {
        using var ui = new Headless(100, 30);
        ui.Window.Apply(Snapshot(1, 12, 10));
        ui.Window.Apply(Snapshot(2, 12, 10));
        var table = ui.Window.ScreenOf<OverviewScreen>().Ports;
        ui.Press(new Key('/'));
        ui.Type("vm1");
        Assert.Equal(["vm10", "vm11", "vm12"], table.Shown.Select(p => p.Name));
        Assert.Contains("[3 of 12 match 'vm1']", ui.Screen());
        // q and digits typed in the box are text: the console neither quits nor changes screen.
        ui.Type("q2");
        Assert.Equal("vm1q2", ui.Window.CurrentScreen.FilterBox.Text);
        Assert.Equal(Screen.Overview, ui.Window.State.Screen);
        Assert.Empty(table.Shown);
        ui.Press(Key.Esc);
        Assert.Equal(12, table.Shown.Count);
        Assert.True(table.HasFocus);
        // Enter keeps the filter and goes back to the list.
        ui.Press(new Key('/'));
        ui.Type("vm0");
        ui.Press(Key.Enter);
        Assert.Equal(9, table.Shown.Count);
        Assert.True(table.HasFocus);
    }

    [Fact]
    public void Resize_To80x24AndBack_LayoutFollows()
    {
        using var ui = new Headless(132, 40);
        ui.Window.Apply(Snapshot(1, 30, 10));
        ui.Window.Apply(Snapshot(2, 30, 10));
        Assert.Equal(40, ui.Lines().Length);
        ui.App.Driver!.SetScreenSize(80, 24);
        var lines = ui.Lines();
        output.WriteLine(string.Join('\n', lines));
        Assert.Equal(24, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= 80));
        Assert.Contains("Quit", lines[^1]);
        Assert.Contains(lines, l => l.StartsWith("drop/s", StringComparison.Ordinal));
    }

    [Fact]
    public void Running_EscDoesNotQuit_QQuitsAtOnce()
    {
        using var ui = new Headless(begin: false);
        var last = 0;
        ui.RunModal(ui.Window, step =>
        {
            last = step;
            if (step == 1)
            {
                ui.Press(Key.Esc);
            }
            else if (step == 30)
            {
                // (Later than the Esc: a terminal's Esc followed at once by q is Alt+Q.)
                Assert.True(ui.Window.IsRunning);
                ui.Press(Key.Q);
            }
            return true;
        });
        Assert.InRange(last, 30, 32);
        Assert.False(ui.Window.IsRunning);
    }

    [Fact]
    public void CtrlC_WithADialogOpen_EndsTheDialogAndTheConsole()
    {
        using var ui = new Headless(begin: false);
        OperatorConsole.BindKeys(ui.App, ui.Window);
        var sawDialog = false;
        ui.RunModal(ui.Window, step =>
        {
            if (step == 1)
            {
                ui.Press(Key.F1);
            }
            else if (!sawDialog && !ReferenceEquals(ui.App.TopRunnableView, ui.Window))
            {
                sawDialog = true;
                ui.Press(Key.C.WithCtrl);
            }
            return step < 100;
        });
        Assert.True(sawDialog);
        Assert.False(ui.Window.IsRunning);
    }

    [Fact]
    public void F10_OpensTheMenu_AndItsViewMenuShowsAScreen()
    {
        using var ui = new Headless(100, 30, begin: false);
        var menu = "";
        ui.RunModal(ui.Window, step =>
        {
            switch (step)
            {
                case 1:
                    ui.Press(Key.F10);
                    break;
                case 5:
                    menu = ui.Screen();
                    ui.Press(Key.CursorRight);
                    break;
                case 8:
                    ui.Press(Key.CursorDown, Key.CursorDown, Key.CursorDown);
                    break;
                case 11:
                    ui.Press(Key.Enter);
                    break;
                case 15:
                    return false;
            }
            return true;
        });
        output.WriteLine(menu);
        Assert.Contains("Refresh now", menu);
        Assert.Equal(Screen.Flows, ui.Window.State.Screen);
    }

    [Fact]
    public void F1_ShowsEveryKey_EscClosesIt()
    {
        using var ui = new Headless(100, 30, begin: false);
        var help = "";
        ui.RunModal(ui.Window, step =>
        {
            if (step == 1)
            {
                ui.Press(Key.F1);
            }
            else if (help.Length == 0 && !ReferenceEquals(ui.App.TopRunnableView, ui.Window))
            {
                help = ui.Screen();
                ui.Press(Key.Esc);
            }
            else if (help.Length > 0 && ReferenceEquals(ui.App.TopRunnableView, ui.Window))
            {
                return false;
            }
            return true;
        });
        output.WriteLine(help);
        Assert.Contains("n new group", help);
        Assert.Contains("F10", help);
        Assert.Contains("q   quit", help);
    }

    [Fact]
    public void DeleteKey_AsksFirst_CancelSendsNothing_ConfirmDeletesTheSelectedRule()
    {
        var api = new RecordingApi();
        using var ui = new Headless(100, 30, api, begin: false);
        ui.Window.Apply(Snapshot(1, 2, 10));
        var question = "";
        ui.RunModal(ui.Window, step =>
        {
            switch (step)
            {
                case 1:
                    ui.Press(Key.D2, Key.CursorDown, Key.Tab);
                    Assert.True(ui.Window.ScreenOf<GroupsScreen>().Rules.HasFocus);
                    ui.Press(Key.Delete);
                    return true;
                case 2:
                    question = ui.Screen();
                    ui.Press(Key.Esc);
                    return true;
                case 3:
                    Assert.Empty(api.Requests);
                    Assert.Contains("cancelled", ui.Screen());
                    ui.Press(Key.X);
                    return true;
                case 4:
                    ui.Press(Key.Enter);
                    return true;
                default:
                    return !api.Requests.Any(r => r.StartsWith("DELETE ", StringComparison.Ordinal));
            }
        });
        output.WriteLine(question);
        Assert.Contains("Delete rule 1: ingress IPv4 tcp 80?", question);
        // Besides the delete, only reads: the console refreshes after a change (and may have started to when the test stops).
        Assert.Equal(["DELETE /v2.0/security-group-rules/r1"], api.Requests.Where(r => !r.StartsWith("GET ", StringComparison.Ordinal)));
    }

    [Fact]
    public void NoColor_SelectedRowInReverseVideo()
    {
        Environment.SetEnvironmentVariable("NO_COLOR", "1");
        try
        {
            using var ui = new Headless();
            ui.Window.Apply(Snapshot(1, 3, 10));
            ui.Window.Apply(Snapshot(2, 3, 10));
            ui.Press(Key.CursorDown);
            var lines = ui.Lines();
            var row = Array.FindIndex(lines, l => l.StartsWith("vm02", StringComparison.Ordinal));
            var other = Array.FindIndex(lines, l => l.StartsWith("vm03", StringComparison.Ordinal));
            var cells = ui.App.Driver!.Contents!;
            Assert.True(cells[row, 1].Attribute!.Value.Style.HasFlag(Terminal.Gui.Drawing.TextStyle.Reverse), "the selected row is not in reverse video");
            Assert.False(cells[other, 1].Attribute!.Value.Style.HasFlag(Terminal.Gui.Drawing.TextStyle.Reverse));
        }
        finally
        {
            Environment.SetEnvironmentVariable("NO_COLOR", null);
        }
    }

    /// <summary>Answers every request with an empty success and records it.</summary>
    private sealed class RecordingApi : HttpMessageHandler
    {
        private readonly List<string> _requests = [];

        /// <summary>The requests so far (a copy: the console's reads come from the thread pool).</summary>
        public IReadOnlyList<string> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_requests)
            {
                _requests.Add($"{request.Method} {request.RequestUri!.AbsolutePath}");
            }
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.NoContent));
        }
    }

    [Fact]
    public void RefreshError_ShownInTheMessageLine_LastDataKept()
    {
        using var ui = new Headless();
        ui.Window.Apply(Snapshot(1, 2, 10));
        ui.Window.Apply(null, "cannot reach vswitchd at test");
        var screen = ui.Screen();
        Assert.Contains("! cannot reach vswitchd at test", screen);
        Assert.Contains("vm02", screen);
    }

}
