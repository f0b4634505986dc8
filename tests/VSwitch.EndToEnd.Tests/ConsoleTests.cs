using System.Globalization;
using System.Text.RegularExpressions;

namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// The operator console in a real terminal: <c>vswitchctl console</c> runs in a detached tmux session of a fixed size
/// against a real daemon with TAP ports; keys go in with <c>send-keys</c> and the screen is read with
/// <c>capture-pane</c>. The test creates a group in its dialog, sees a refused rule's error in the rule dialog, adds a
/// rule, attaches the group to a port from a list with checkboxes, sends traffic between namespaces, reads the rule's
/// hit counter and the port's drop counter moving on screen, resizes the terminal to 80×24, and quits with the
/// terminal restored.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class ConsoleTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>A tmux server of its own (<c>-L</c>), so nothing else's sessions are touched; killed on dispose.</summary>
    internal sealed class Tmux(string server) : IDisposable
    {
        public string Capture() => Shell.Run($"tmux -L {server} capture-pane -p -t console").Stdout;

        public void Keys(string keys) => Shell.Must($"tmux -L {server} send-keys -t console {keys}");

        public void Type(string text)
        {
            Shell.Must($"tmux -L {server} send-keys -t console -l '{text}'");
            Keys("Enter");
        }

        /// <summary>Waits until the screen matches <paramref name="pattern"/> and returns the match (fails with the screen).</summary>
        public Match Wait(string pattern, TimeSpan? timeout = null)
        {
            Match? match = null;
            var screen = "";
            Shell.Eventually(() => (match = Regex.Match(screen = Capture(), pattern, RegexOptions.Multiline)).Success, timeout ?? TimeSpan.FromSeconds(15));
            Assert.True(match!.Success, $"the screen never showed /{pattern}/:\n{screen}");
            return match;
        }

        /// <summary>Waits until the screen no longer shows <paramref name="text"/> (a dialog closed).</summary>
        public void WaitGone(string text, TimeSpan? timeout = null) =>
            Assert.True(Shell.Eventually(() => !Capture().Contains(text, StringComparison.Ordinal), timeout ?? TimeSpan.FromSeconds(15)),
                $"the screen still shows '{text}':\n{Capture()}");

        public void Dispose() => Shell.Run($"tmux -L {server} kill-server; rm -f /tmp/tmux-$(id -u)/{server}");
    }

    internal static string Vswitchctl() =>
        Path.Combine(Path.GetDirectoryName(Daemon.Executable())!, "..", "..", "..", "..", "..", "admin", "VSwitch.Cli", "bin",
            Daemon.Executable().Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug", "net10.0", "vswitchctl");

    private static long Number(string text) => long.Parse(text.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    [Fact]
    public void Console_CreateGroupAddRuleAttach_HitsAndDropsMoveOnScreen()
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        var client = lab.SecuredVm("cli", "n1", 3, null);
        var server = lab.SecuredVm("srv", "n1", 1, []);
        var daemon = lab.Start(1, client, server);
        Shell.Must($"setsid {server.Exec("ncat -lk -p 80")} </dev/null >/dev/null 2>&1 &");
        var exe = Path.GetFullPath(Vswitchctl());
        Assert.True(File.Exists(exe), $"{exe} is missing: build the solution first");

        using var tmux = new Tmux($"{lab.Prefix}-console");
        // After the console: its exit code, then the terminal's line discipline (raw mode must be off again).
        Shell.Must($"tmux -L {lab.Prefix}-console new-session -d -s console -x 120 -y 40 " +
            $"\"TERM=xterm-256color {exe} console --socket {daemon.StateDir}/api.sock; echo CONSOLE-EXIT \\$?; " +
            "stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo STTY-END; sleep 60\"");
        tmux.Wait("VSwitch console");

        // Groups screen: a new group through its dialog (the name field has the focus; Enter creates).
        tmux.Keys("2");
        tmux.Wait("Security groups");
        tmux.Keys("n");
        tmux.Wait("New security group");
        tmux.Type("web-e2e");
        tmux.Wait("created group web-e2e");
        // A rule the API refuses: its error appears in the dialog, at the ethertype it is about, and nothing is created.
        tmux.Keys("a");
        tmux.Wait("Add a rule to web-e2e");
        tmux.Type("ingress ipv4 ipv6-icmp");
        tmux.Wait(@"! Invalid ethertype IPv4 for protocol ipv6-icmp");
        output.WriteLine(tmux.Capture());
        tmux.Keys("Escape");
        tmux.WaitGone("Add a rule to web-e2e");
        Assert.DoesNotContain("ipv6-icmp", tmux.Capture());
        // The quick line fills the fields; Enter adds the rule.
        tmux.Keys("a");
        tmux.Wait("Add a rule to web-e2e");
        tmux.Type("ingress tcp 80");
        tmux.Wait("added to web-e2e: ingress IPv4 tcp 80");
        // Ports with checkboxes and a filter box: / and "srv" (Enter back to the list) leave srv; check it and apply.
        tmux.Keys("p");
        tmux.Wait("Ports with web-e2e");
        tmux.Keys("/");
        tmux.Type("srv");
        tmux.Wait("1 of 2");
        tmux.Keys("Space");
        tmux.Keys("Enter");
        tmux.Wait("attached web-e2e to srv");
        output.WriteLine(tmux.Capture());

        // Traffic: connections to port 80 are admitted by the new rule; port 81 is dropped by the security group.
        void Connect(int port, int times)
        {
            for (var i = 0; i < times; i++)
            {
                Shell.Run(client.Exec($"timeout 2 ncat -w 1 {server.Ipv4} {port} </dev/null"), TimeSpan.FromSeconds(5));
            }
        }
        const string hitsPattern = @"ingress IPv4 tcp 80\s+([\d,]+)\s*$";
        Connect(80, 3);
        Assert.True(Shell.Eventually(() => Number(tmux.Wait(hitsPattern).Groups[1].Value) > 0, TimeSpan.FromSeconds(10)),
            $"the rule's hits stayed at zero:\n{tmux.Capture()}");
        var hits = Number(tmux.Wait(hitsPattern).Groups[1].Value);
        Connect(80, 3);
        Assert.True(Shell.Eventually(() => Number(tmux.Wait(hitsPattern).Groups[1].Value) > hits, TimeSpan.FromSeconds(10)),
            $"the rule's hits did not move from {hits}:\n{tmux.Capture()}");
        output.WriteLine(tmux.Capture());

        // Ports screen: the server's drop counter (the last column) rises with connections to a port no rule allows.
        tmux.Keys("3");
        const string dropsPattern = @"^\s*srv\s.*?\s([\d,]+)\s*$";
        Connect(81, 1);
        var drops = Number(tmux.Wait(dropsPattern).Groups[1].Value);
        Connect(81, 2);
        Assert.True(Shell.Eventually(() => Number(tmux.Wait(dropsPattern).Groups[1].Value) > drops, TimeSpan.FromSeconds(10)),
            $"srv's drops did not move from {drops}:\n{tmux.Capture()}");
        output.WriteLine(tmux.Capture());

        // Overview shows the drop rate by reason over the last refresh, so refused connections keep coming while the
        // screen is read; the lab's cleanup kills the loop.
        tmux.Keys("1");
        Shell.Must($"setsid {client.Exec($"sh -c 'for i in $(seq 60); do timeout 1 ncat -w 1 {server.Ipv4} 81 </dev/null; sleep 0.2; done'")} </dev/null >/dev/null 2>&1 &");
        tmux.Wait(@"srv\s+up.*sg \d");
        output.WriteLine(tmux.Capture());

        // 80x24: the layout follows the terminal; every line fits and the status bar is on the last line.
        Shell.Must($"tmux -L {lab.Prefix}-console resize-window -t console -x 80 -y 24");
        tmux.Wait(@"Quit");
        Assert.True(Shell.Eventually(() => tmux.Capture().TrimEnd('\n').Split('\n') is { Length: 24 } lines && lines[^1].Contains("Quit", StringComparison.Ordinal),
            TimeSpan.FromSeconds(5)), tmux.Capture());
        Assert.All(tmux.Capture().Split('\n'), l => Assert.True(l.Length <= 80, l));
        output.WriteLine(tmux.Capture());

        // q quits at once and gives the shell its screen and its line discipline back.
        tmux.Keys("q");
        tmux.Wait("CONSOLE-EXIT 0");
        var after = tmux.Wait("(.*) STTY-END").Groups[1].Value;
        Assert.Equal("icanon echo", after.Trim());
        Assert.DoesNotContain("VSwitch console", tmux.Capture());
    }

    /// <summary>
    /// <c>vswitchd --console</c>: the console inside the daemon, on the daemon's own API socket. <c>q</c> quits the
    /// console and stops the daemon cleanly; a SIGTERM to the daemon ends the console and restores the terminal.
    /// </summary>
    [Theory]
    [InlineData("q")]
    [InlineData("SIGTERM")]
    public void EmbeddedConsole_QuitsWithTheDaemon_TerminalRestored(string how)
    {
        Root.Require();
        var prefix = $"emb{Environment.ProcessId % 10000}{how[0]}";
        var stateDir = Path.Combine(Path.GetTempPath(), $"{prefix}-state");
        // The daemon's own command line (it starts with its executable), not the shells around it or pkill's.
        var daemonPattern = $"'^[^ ]*vswitchd [-]-console .*{stateDir} '";
        Directory.CreateDirectory(stateDir);
        using var tmux = new Tmux(prefix);
        try
        {
            Shell.Must($"tmux -L {prefix} new-session -d -s console -x 100 -y 30 " +
                $"\"TERM=xterm-256color {Daemon.Executable()} --console --workers 1 --metrics-listen none --state-dir {stateDir} --api-socket {stateDir}/api.sock; " +
                "echo DAEMON-EXIT \\$?; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo STTY-END; sleep 60\"");
            tmux.Wait("VSwitch console");
            tmux.Wait(@"unix:.*api\.sock");
            // The daemon answers through the console: the groups screen lists its default groups.
            tmux.Keys("2");
            tmux.Wait(@"Security groups: \d+");
            output.WriteLine(tmux.Capture());
            if (how == "q")
            {
                tmux.Keys("q");
            }
            else
            {
                Shell.Must($"pkill -TERM -f -- {daemonPattern}");
            }
            tmux.Wait("DAEMON-EXIT 0", TimeSpan.FromSeconds(20));
            Assert.Equal("icanon echo", tmux.Wait("(.*) STTY-END").Groups[1].Value.Trim());
            Assert.False(Shell.Run($"pgrep -f -- {daemonPattern}").ExitCode == 0, "the daemon is still running");
            Assert.Contains("vswitchd ready", File.ReadAllText(Path.Combine(stateDir, "vswitchd.log")));
        }
        finally
        {
            Shell.Run($"pkill -KILL -f -- {daemonPattern}");
            Shell.Run($"rm -rf {stateDir}");
        }
    }
}
