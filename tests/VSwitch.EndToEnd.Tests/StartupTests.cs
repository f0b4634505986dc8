using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// How <c>vswitchd</c> starts, and refuses to: a second daemon on the same state dir exits at once naming the first,
/// which keeps its ports; the lock does not outlive a SIGKILL; every start-up error is one line on stderr; a relative
/// API socket works and the socket has mode 0660.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class StartupTests
{
    /// <summary>How long a refused start may take (the runtime's own start-up, on a loaded machine).</summary>
    private static readonly TimeSpan s_refusalTime = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SecondDaemon_OnTheSameStateDir_ExitsAtOnce_AndTheFirstKeepsItsPorts(bool sameSocket)
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        var a = lab.TapVm("a", "n1", 51);
        var b = lab.TapVm("b", "n1", 52);
        var first = lab.Start(1, a, b);
        Assert.True(Shell.Run(a.Exec($"ping -c 1 -W 2 {b.Ipv4}"), TimeSpan.FromSeconds(5)).Ok, first.Log);
        var ifindex = Shell.Must(a.Exec($"cat /sys/class/net/{a.Interface}/ifindex")).Trim();
        var firstSocket = Path.Combine(first.StateDir, "api.sock");
        var socket = sameSocket ? firstSocket : Path.Combine(first.StateDir, "second.sock");

        // The same configuration, so the second daemon would open the same TAP devices if it got that far.
        var clock = Stopwatch.StartNew();
        var second = Shell.Run($"{Daemon.Executable()} --config {lab.ConfigPath} --workers 1 --state-dir {first.StateDir} " +
            $"--api-socket {socket} --metrics-listen none", TimeSpan.FromSeconds(20));
        clock.Stop();

        Assert.NotEqual(0, second.ExitCode);
        Assert.True(clock.Elapsed < s_refusalTime, $"the second daemon took {clock.Elapsed} to give up\n{second}");
        Assert.Equal($"vswitchd: state dir {first.StateDir} is in use by vswitchd pid {first.Pid} (api socket {firstSocket})", OneLine(second));
        Assert.Equal("", second.Stdout); // no log line: it never started its data path
        Assert.False(!sameSocket && File.Exists(socket), "the second daemon created its API socket");

        // The first daemon's devices are the same ones, and it still forwards and answers.
        Assert.False(first.HasExited, first.Log);
        Assert.Equal(ifindex, Shell.Must(a.Exec($"cat /sys/class/net/{a.Interface}/ifindex")).Trim());
        Assert.True(Shell.Run(a.Exec($"ping -c 2 -i 0.2 -W 2 {b.Ipv4}"), TimeSpan.FromSeconds(10)).Ok, first.Log);
        Assert.Contains("\"networks\"", Shell.Must($"curl -sS --max-time 5 --unix-socket {firstSocket} http://vswitch/v2.0/networks"));
    }

    [Fact]
    public void AfterSigkill_TheLockIsNotStale_TheNextDaemonStartsAndHoldsIt()
    {
        using var lab = new Lab();
        lab.Network("n1");
        var first = lab.Start(1);
        var lockFile = Path.Combine(first.StateDir, "vswitchd.lock");
        Assert.StartsWith($"pid={first.Pid}\n", Shell.Must($"cat {lockFile}"));
        var firstPid = first.Pid;

        // The dead daemon's lock file stays (naming it); the next one must start all the same, and take the lock.
        var next = lab.RestartAfterSigkill(1);
        Assert.NotEqual(firstPid, next.Pid);
        Assert.StartsWith($"pid={next.Pid}\n", Shell.Must($"cat {lockFile}"));
        var third = Shell.Run($"{Daemon.Executable()} --state-dir {next.StateDir} --api-socket none --metrics-listen none", TimeSpan.FromSeconds(20));
        Assert.Equal($"vswitchd: state dir {next.StateDir} is in use by vswitchd pid {next.Pid} (api socket {next.StateDir}/api.sock)", OneLine(third));
    }

    [Fact]
    public void RelativeApiSocket_IsResolvedAgainstTheWorkingDirectory_WithMode0660_AndRemovedAtStop()
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-relsock-").FullName;
        try
        {
            var socket = Path.Combine(dir, "run", "api.sock");
            using (var daemon = Daemon.StartWith(Path.Combine(dir, "state"), ["--api-socket", "run/api.sock"], workingDirectory: dir))
            {
                Assert.Equal("660 socket", Shell.Must($"stat -c '%a %F' {socket}").Trim());
                Assert.Contains("\"networks\"", Shell.Must($"curl -sS --max-time 5 --unix-socket {socket} http://vswitch/v2.0/networks"));
                Assert.Contains($"api_socket={socket}\n", Shell.Must($"cat {daemon.StateDir}/vswitchd.lock"));
                Assert.Equal(0, daemon.Terminate(TimeSpan.FromSeconds(20)));
            }
            Assert.False(File.Exists(socket), "the socket outlived the daemon");
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(dir, "run"))); // nor did a private directory
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Start-ups that must fail; see <see cref="Arrange"/>.</summary>
    public static TheoryData<string> BadStartups =>
    [
        "metrics address in use", "API TCP address in use", "metrics address not on this host",
        "state dir is a file", "state dir on a read-only file system", "state database is not SQLite",
        "API socket directory cannot be created", "API socket path is a regular file", "API socket served by another process",
        "API socket path too long", "config file missing", "config file not JSON", "token file missing",
        "API TCP without a token file", "unknown option", "workers not a number", "empty state dir",
    ];

    [Theory]
    [MemberData(nameof(BadStartups))]
    public void BadStartup_IsOneLineOnStderr_AndANonZeroExit_BeforeAnythingStarts(string startup)
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-badstart-").FullName;
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            var (command, expected) = Arrange(startup, dir, (IPEndPoint)squatter.LocalEndpoint, server);
            var r = Shell.Run(command, TimeSpan.FromSeconds(20));

            Assert.NotEqual(0, r.ExitCode);
            Assert.NotEqual(124, r.ExitCode); // not the time limit: it must give up by itself
            var line = OneLine(r);
            Assert.StartsWith("vswitchd: ", line);
            Assert.Contains(expected, line);
            Assert.Equal("", r.Stdout); // no log line: nothing was started
            if (startup == "API socket path is a regular file")
            {
                Assert.Equal("precious", File.ReadAllText(Path.Combine(dir, "file")));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The command line of a bad start-up in <paramref name="dir"/> and a part of the line it must print.</summary>
    private static (string Command, string Expected) Arrange(string startup, string dir, IPEndPoint taken, Socket server)
    {
        var exe = Daemon.Executable();
        var options = new Dictionary<string, string>
        {
            ["--state-dir"] = Path.Combine(dir, "state"),
            ["--api-socket"] = Path.Combine(dir, "api.sock"),
            ["--metrics-listen"] = "none",
        };
        string[] extra = [];
        var file = Path.Combine(dir, "file");
        File.WriteAllText(file, "precious");
        File.WriteAllText(Path.Combine(dir, "token"), "secret");
        string expected;
        switch (startup)
        {
            case "metrics address in use":
                options["--metrics-listen"] = taken.ToString();
                expected = $"--metrics-listen {taken}: ";
                break;
            case "API TCP address in use":
                options["--api-listen"] = taken.ToString();
                options["--api-token-file"] = Path.Combine(dir, "token");
                expected = $"--api-listen {taken}: ";
                break;
            case "metrics address not on this host":
                options["--metrics-listen"] = "198.18.255.254:9477";
                expected = "--metrics-listen 198.18.255.254:9477: ";
                break;
            case "state dir is a file":
                options["--state-dir"] = file;
                expected = $"state dir {file} cannot be created";
                break;
            case "state dir on a read-only file system":
                Root.Require();
                Directory.CreateDirectory(Path.Combine(dir, "ro"));
                // A private mount namespace: the read-only mount exists for this command only and needs no clean-up.
                return ($"unshare -m --propagation private sh -c 'mount -t tmpfs -o ro tmpfs {dir}/ro && " +
                    $"exec {exe} --state-dir {dir}/ro --api-socket none --metrics-listen none'", $"state dir {dir}/ro cannot be written");
            case "state database is not SQLite":
                Directory.CreateDirectory(options["--state-dir"]);
                File.WriteAllText(Path.Combine(options["--state-dir"], "state.db"), "not a database, not at all, no");
                expected = "state database";
                break;
            case "API socket directory cannot be created":
                options["--api-socket"] = Path.Combine(file, "run", "api.sock");
                expected = $"--api-socket: directory {file}/run cannot be created";
                break;
            case "API socket path is a regular file":
                options["--api-socket"] = file;
                expected = $"--api-socket: {file} exists and is not a socket";
                break;
            case "API socket served by another process":
                var live = Path.Combine(dir, "live.sock");
                server.Bind(new UnixDomainSocketEndPoint(live));
                server.Listen();
                options["--api-socket"] = live;
                expected = $"--api-socket: {live} is served by another running process (pid {Environment.ProcessId})";
                break;
            case "API socket path too long":
                options["--api-socket"] = Path.Combine(dir, new string('s', 110));
                expected = "is too long for a Unix socket";
                break;
            case "config file missing":
                options["--config"] = Path.Combine(dir, "missing.json");
                expected = Path.Combine(dir, "missing.json");
                break;
            case "config file not JSON":
                options["--config"] = file;
                expected = file;
                break;
            case "token file missing":
                options["--api-listen"] = "127.0.0.1:1";
                options["--api-token-file"] = Path.Combine(dir, "missing-token");
                expected = "--api-token-file";
                break;
            case "API TCP without a token file":
                options["--api-listen"] = "127.0.0.1:1";
                expected = "--api-listen: requires --api-token-file";
                break;
            case "unknown option":
                extra = ["--bogus"];
                expected = "'--bogus'";
                break;
            case "workers not a number":
                options["--workers"] = "many";
                expected = "--workers";
                break;
            case "empty state dir":
                options["--state-dir"] = "''";
                expected = "--state-dir: '' is not a path";
                break;
            default:
                throw new ArgumentException($"unknown start-up case {startup}", nameof(startup));
        }
        var arguments = string.Join(' ', options.Select(o => $"{o.Key} {o.Value}").Concat(extra));
        return ($"cd {dir} && {exe} {arguments}", expected);
    }

    /// <summary>The one line a refused start printed on stderr; fails when there are more, or a stack frame.</summary>
    private static string OneLine(Shell.Result result)
    {
        var lines = result.Stderr.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1 && lines[0].Length > 0 && !result.Stderr.Contains("   at ", StringComparison.Ordinal),
            $"stderr is not one line:\n{result}");
        return lines[0];
    }
}
