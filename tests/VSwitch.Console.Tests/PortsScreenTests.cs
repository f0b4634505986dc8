using System.Text.Json;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using Xunit.Abstractions;

namespace VSwitch.Console.Tests;

/// <summary>The ports screen headless at a terminal width, read line by line.</summary>
public sealed class PortsScreenTests(ITestOutputHelper output)
{
    private static Port Port(string id, string name, params string[] ips) => new()
    {
        Id = id,
        Name = name,
        MacAddress = "fa:16:3e:00:00:0" + id[^1],
        FixedIps = [.. ips.Select(ip => new FixedIp { IpAddress = ip })],
        PortSecurityEnabled = true,
        SecurityGroups = ["g1"],
    };

    private static Dictionary<string, JsonElement> Details(string json) => JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!;

    private static string[] Render(int width, Port[] ports, params PortStats[] stats)
    {
        using var ui = new Headless(width, 24);
        ui.Window.Show(Screen.Ports);
        ui.Window.Apply(new SwitchSnapshot(TimeSpan.FromSeconds(1), new SwitchStats { PortStats = stats }, ports,
            [new SecurityGroup { Id = "g1", Name = "default" }], null));
        return ui.Lines();
    }

    private static string Row(string[] screen, string port) => Assert.Single(screen, l => l.TrimStart().StartsWith(port + " ", StringComparison.Ordinal));

    [Fact]
    public void Render_PortWithReceiveErrorsAndRingDrops_ShowsBothInItsRow()
    {
        var screen = Render(80, [Port("p1", "web", "198.18.0.10"), Port("p2", "db", "198.18.0.11")],
            new PortStats { PortId = "p1", RxPackets = 500, RxErrors = 3, RxRingDrops = 1_234 },
            new PortStats { PortId = "p2", RxPackets = 700 });
        output.WriteLine(string.Join('\n', screen));

        Assert.Contains("Err/Ring", screen.First(l => l.Contains("Port", StringComparison.Ordinal) && l.Contains("RX", StringComparison.Ordinal)));
        Assert.Matches(@"\s500\s+3/1,234\s", Row(screen, "web"));
        Assert.Matches(@"\s700\s+0/0\s", Row(screen, "db"));
    }

    [Fact]
    public void Render_80ColumnsLongAddressesLargeCounters_TextIsCutNotTheNumbers()
    {
        var screen = Render(80, [Port("p1", "web", "198.18.0.10", "2001:db8::10", "2001:db8::1:10")],
            new PortStats { PortId = "p1", RxPackets = 1_234_567, TxPackets = 7_654_321, RxErrors = 3, RxRingDrops = 1_234 });
        output.WriteLine(string.Join('\n', screen));

        Assert.All(screen, l => Assert.True(l.Length <= 80, $"{l.Length} columns: {l}"));
        var row = Row(screen, "web");
        Assert.Matches(@"\s1,234,567\s+3/1,234\s+7,654,321\s+0$", row);
        Assert.Contains("fa:16:3e", row);
        Assert.Contains("…", row);
    }

    [Fact]
    public void Render_PortsDownOrOnAFallback_SayWhyAboveTheTable()
    {
        var down = Port("p1", "web", "198.18.0.10") with
        {
            Status = "DOWN",
            VifDetails = Details("""{"queues": "1", "io": "uring", "status_reason": "interface tapweb vanished"}"""),
        };
        var slow = Port("p2", "db", "198.18.0.11") with
        {
            Status = "ACTIVE",
            VifDetails = Details("""{"queues": "1", "io": "syscalls", "io_fallback": "io_uring_setup: EPERM", "port_filter": true}"""),
        };
        var fine = Port("p3", "app", "198.18.0.12") with { Status = "ACTIVE", VifDetails = Details("""{"io": "uring"}""") };
        var screen = Render(80, [down, slow, fine]);
        output.WriteLine(string.Join('\n', screen));

        Assert.Contains("! web is down: interface tapweb vanished", screen);
        Assert.Contains("! db uses syscalls I/O: io_uring_setup: EPERM", screen);
        Assert.DoesNotContain(screen, l => l.StartsWith("! app ", StringComparison.Ordinal));
        // Notes come before the table, which a short screen cuts at the bottom.
        Assert.True(Array.IndexOf(screen, "! web is down: interface tapweb vanished") < Array.FindIndex(screen, l => l.Contains("Err/Ring", StringComparison.Ordinal)));
    }
}
