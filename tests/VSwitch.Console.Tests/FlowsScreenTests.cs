using System.Net;
using System.Text;
using Terminal.Gui.Input;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Dialogs;
using Xunit.Abstractions;

namespace VSwitch.Console.Tests;

/// <summary>
/// The flows screen headless: what its refresh asks the API for (the active connections by default, all with
/// <c>a</c>), the connections ranked by rate with their numbers right-aligned, and the heading that says which.
/// </summary>
public sealed class FlowsScreenTests(ITestOutputHelper output)
{
    private static FlowEntry Flow(int sport, long packets, long bytes) => new()
    {
        Protocol = "tcp",
        Src = "198.18.0.1",
        SrcPort = sport,
        Dst = "198.18.0.2",
        DstPort = 80,
        State = "ESTABLISHED",
        PacketsOrig = packets,
        BytesOrig = bytes,
        InPortId = "p01",
        OutPortId = "p02",
        AgeSeconds = 30,
    };

    private static SwitchSnapshot WithFlows(double at, params FlowEntry[] flows) =>
        ConsoleWindowTests.Snapshot(at, 3, 10) with { Flows = flows, Stats = new SwitchStats { Conntrack = new ConntrackStats { Entries = 40 } } };

    [Fact]
    public void Rows_RankedByRate_NumbersRightAligned_HeadingSaysActive()
    {
        using var ui = new Headless(100, 24);
        ui.Window.Show(Screen.Flows);
        ui.Window.Apply(WithFlows(1, Flow(1000, 10, 1_000), Flow(2000, 10, 1_000)));
        ui.Window.Apply(WithFlows(2, Flow(1000, 20, 2_000), Flow(2000, 5_010, 501_000)));
        var lines = ui.Lines();
        output.WriteLine(string.Join('\n', lines));

        Assert.Contains(lines, l => l.Contains("Connections by rate, all ports: 40 tracked, 2 active in 2 s", StringComparison.Ordinal));
        var rows = lines.Where(l => l.StartsWith("tcp ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Contains("198.18.0.1:2000", rows[0]);
        Assert.Contains("198.18.0.1:1000", rows[1]);
        var header = lines.Single(l => l.StartsWith("Proto", StringComparison.Ordinal));
        // pps is right-aligned under its title: the number ends where the title ends.
        var ppsEnd = header.IndexOf("pps", StringComparison.Ordinal) + 3;
        Assert.EndsWith(" 5.00k", rows[0][..ppsEnd], StringComparison.Ordinal);
        Assert.EndsWith(" 10", rows[1][..ppsEnd], StringComparison.Ordinal);
        Assert.Equal(' ', rows[0][ppsEnd]);
        Assert.Contains("vm01>vm02", rows[0]);
    }

    [Fact]
    public async Task A_TogglesActiveOnly_AndTheReadAsksForIt()
    {
        var api = new Recorder();
        using var ui = new Headless(100, 24, api);
        ui.Window.Show(Screen.Flows);
        Assert.True(ui.Window.State.ActiveFlowsOnly);

        ui.Press(Key.A);
        Assert.False(ui.Window.State.ActiveFlowsOnly);
        ui.Window.Apply(WithFlows(1, Flow(1000, 10, 1_000)));
        Assert.Contains(ui.Lines(), l => l.Contains("40 tracked, 1 read (idle too)", StringComparison.Ordinal));

        // A reader of its own: the window's refresh (started by the toggle) reads through the other recorder.
        var reads = new Recorder();
        var reader = new SnapshotReader(new VSwitchClient(new HttpClient(reads) { BaseAddress = new Uri("http://vswitch/") }));
        await reader.ReadAsync(Screen.Flows, activeFlowsOnly: true, flowPortId: null, default);
        await reader.ReadAsync(Screen.Flows, activeFlowsOnly: false, flowPortId: null, default);
        string[] flows;
        lock (reads.Paths)
        {
            flows = [.. reads.Paths.Where(p => p.StartsWith("/v2.0/vswitch/flows", StringComparison.Ordinal))];
        }
        Assert.Equal(2, flows.Length);
        var fields = "fields=" + Uri.EscapeDataString(string.Join(',', SnapshotReader.FlowFields));
        Assert.Equal($"/v2.0/vswitch/flows?active_within=2&{fields}&limit=5000", flows[0]);
        Assert.Equal($"/v2.0/vswitch/flows?{fields}&limit=5000", flows[1]);
        Assert.DoesNotContain("rule_id", flows[0]);
    }

    [Fact]
    public async Task Reader_AsksForPortsAndGroupsWithTheLastTag_AndKeepsTheListsOn304()
    {
        var api = new Recorder();
        using var ui = new Headless(100, 24, api);
        var reader = new SnapshotReader(ui.Client);

        var first = await reader.ReadAsync(Screen.Overview, true, null, default);
        var second = await reader.ReadAsync(Screen.Overview, true, null, default);

        Assert.Equal("web", Assert.Single(second.Ports).Name);
        Assert.Same(first.Ports, second.Ports);
        Assert.Same(first.Groups, second.Groups);
        Assert.Equal(["\"t1\"", "\"t1\""], api.IfNoneMatch.Where(t => t is not null));
    }

    [Fact]
    public void F_PicksThePortFromAFilteredList_TheScreenListsOnlyItsConnections()
    {
        using var ui = new Headless(100, 30, begin: false);
        ui.Window.Show(Screen.Flows);
        var other = Flow(3000, 10, 1_000) with { InPortId = "p03", OutPortId = "p01" };
        ui.Window.Apply(WithFlows(1, Flow(1000, 10, 1_000), other));
        var picker = "";
        ui.RunModal(ui.Window, step =>
        {
            if (step == 1)
            {
                ui.Press(Key.F);
            }
            else if (picker.Length == 0 && ui.App.TopRunnableView is FlowPortDialog dialog)
            {
                picker = ui.Screen();
                // "(all ports)" is selected (the screen lists all); / and "03" leave one port, Enter keeps the filter, Enter shows it.
                Assert.Equal(0, dialog.List.Selected);
                ui.Press((Key)'/');
                ui.Type("03");
                Assert.Equal(1, dialog.List.ShownCount);
                ui.Press(Key.Enter, Key.Enter);
            }
            else if (picker.Length > 0 && ReferenceEquals(ui.App.TopRunnableView, ui.Window))
            {
                return false;
            }
            return true;
        });
        output.WriteLine(picker);
        Assert.Contains("(all ports)", picker);
        Assert.Contains("vm03", picker);
        Assert.Equal("p03", ui.Window.State.FlowPortId);
        ui.Window.Apply(WithFlows(2, Flow(1000, 20, 2_000), other with { PacketsOrig = 30 }));
        var lines = ui.Lines();
        output.WriteLine(string.Join('\n', lines));
        Assert.Contains(lines, l => l.Contains("Connections by rate, port vm03:", StringComparison.Ordinal));
        Assert.Equal("198.18.0.1:3000", Assert.Single(lines, l => l.StartsWith("tcp ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    [Fact]
    public void RowsSetBeforeTheFirstLayout_AreDrawnInFullWidthColumnsOnceLaidOut()
    {
        // The screen gets its data before the window was ever laid out (as a screen hidden until its key is pressed):
        // the columns must still be as wide as their cells once it is drawn, not as wide as their titles.
        using var ui = new Headless(100, 24, begin: false);
        ui.Window.Show(Screen.Flows);
        ui.Window.Apply(WithFlows(1, Flow(1000, 10, 1_000)));
        ui.Window.Apply(WithFlows(2, Flow(1000, 20, 2_000)));
        var screen = "";
        ui.RunModal(ui.Window, step =>
        {
            screen = ui.Screen();
            return false;
        });
        output.WriteLine(screen);
        Assert.Contains("198.18.0.1:1000 198.18.0.2:80 ESTABLISHED", screen);
    }

    [Fact]
    public async Task Reader_AsksForThePortsConnections_APortDeletedSinceHasNone()
    {
        var reads = new Recorder();
        var reader = new SnapshotReader(new VSwitchClient(new HttpClient(reads) { BaseAddress = new Uri("http://vswitch/") }));
        var picked = await reader.ReadAsync(Screen.Flows, activeFlowsOnly: true, flowPortId: "p01", default);
        var gone = await reader.ReadAsync(Screen.Flows, activeFlowsOnly: true, flowPortId: "gone", default);
        string[] flows;
        lock (reads.Paths)
        {
            flows = [.. reads.Paths.Where(p => p.StartsWith("/v2.0/vswitch/flows", StringComparison.Ordinal))];
        }
        Assert.StartsWith("/v2.0/vswitch/flows?port_id=p01&active_within=2&", flows[0]);
        Assert.Equal("198.18.0.9", Assert.Single(picked.Flows!).Src);
        Assert.StartsWith("/v2.0/vswitch/flows?port_id=gone&", flows[1]);
        Assert.NotNull(gone.Flows);
        Assert.Empty(gone.Flows);
    }

    /// <summary>Answers the refresh's requests (ports and groups tagged, 304 when the tag is sent back) and records them.</summary>
    private sealed class Recorder : HttpMessageHandler
    {
        public List<string> Paths { get; } = [];

        public List<string?> IfNoneMatch { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.PathAndQuery;
            lock (Paths)
            {
                Paths.Add(path);
                IfNoneMatch.Add(request.Headers.IfNoneMatch.FirstOrDefault()?.ToString());
            }
            if (path.StartsWith("/v2.0/vswitch/flows?port_id=gone", StringComparison.Ordinal))
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound)
                {
                    Content = new StringContent("""{"NeutronError": {"type": "PortNotFound", "message": "Port gone could not be found.", "detail": ""}}""",
                        Encoding.UTF8, "application/json"),
                });
            }
            var (body, tagged) = path switch
            {
                _ when path.StartsWith("/v2.0/vswitch/flows?port_id=p01", StringComparison.Ordinal) => ("""{"flows": [{"protocol": "udp", "src": "198.18.0.9"}]}""", false),
                _ when path.StartsWith("/v2.0/vswitch/stats", StringComparison.Ordinal) => ("""{"port_stats": []}""", false),
                _ when path.StartsWith("/v2.0/vswitch/flows", StringComparison.Ordinal) => ("""{"flows": []}""", false),
                _ when path.StartsWith("/v2.0/ports", StringComparison.Ordinal) => ("""{"ports": [{"id": "p01", "name": "web", "network_id": "n"}]}""", true),
                _ => ("""{"security_groups": [{"id": "g1", "name": "default"}]}""", true),
            };
            if (tagged && request.Headers.IfNoneMatch.Any(t => t.Tag == "\"t1\""))
            {
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotModified) { Headers = { ETag = new("\"t1\"") } });
            }
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (tagged)
            {
                response.Headers.ETag = new("\"t1\"");
            }
            return Task.FromResult(response);
        }
    }
}
