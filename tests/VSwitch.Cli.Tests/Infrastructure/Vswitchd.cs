using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using VSwitch.Admin.Client;

namespace VSwitch.Cli.Tests.Infrastructure;

/// <summary>
/// The real <c>vswitchd</c> binary on a temporary state directory and API socket (one worker, no metrics listener,
/// optionally the token-protected TCP listener), for tests that drive it with <c>vswitchctl</c>, the client library or
/// the OpenStack CLI. <see cref="Restart"/> starts a new process on the same state.
/// </summary>
internal sealed class Vswitchd : IDisposable
{
    public const string Token = "cli-test-token-0123456789abcdef";

    private readonly ConcurrentQueue<string> _log = new();
    private readonly bool _tcp;
    private readonly string? _config;
    private Process _process;

    private Vswitchd(string stateDir, bool tcp, string? config)
    {
        StateDir = stateDir;
        _tcp = tcp;
        _config = config;
        TcpPort = tcp ? FreePort() : 0;
        _process = Launch();
    }

    public string StateDir { get; }

    public string SocketPath => Path.Combine(StateDir, "api.sock");

    public int TcpPort { get; }

    public string Url => $"http://127.0.0.1:{TcpPort}";

    public string Log => string.Join('\n', _log);

    /// <summary>Starts a daemon; <paramref name="config"/> is the JSON of its configuration file (none by default).</summary>
    public static Vswitchd Start(bool tcp = false, string? config = null) =>
        new(Directory.CreateTempSubdirectory("vswitch-cli-").FullName, tcp, config);

    /// <summary>A configuration without quota limits, for tests that make more objects than Neutron's default quota allows.</summary>
    public const string UnlimitedQuotas = """{"quotas": {"network": -1, "port": -1, "security_group": -1, "security_group_rule": -1}}""";

    /// <summary>A client of this daemon's socket.</summary>
    public VSwitchClient Client() => new(VSwitchEndpoint.Socket(SocketPath), timeout: TimeSpan.FromSeconds(30));

    /// <summary>Runs the built vswitchctl against this daemon's socket.</summary>
    public Command.Result Ctl(params string[] args) =>
        Command.Run(Solution.Executable("admin/VSwitch.Cli", "vswitchctl"), ["--socket", SocketPath, .. args], TimeSpan.FromSeconds(30),
            new Dictionary<string, string?> { ["VSWITCH_URL"] = null, ["VSWITCH_TOKEN"] = null });

    /// <summary>Runs vswitchctl that must succeed, returning its stdout.</summary>
    public string MustCtl(params string[] args)
    {
        var r = Ctl(args);
        Assert.True(r.ExitCode == 0, $"vswitchctl {string.Join(' ', args)}: {r}");
        Assert.Equal("", r.Stderr);
        return r.Stdout;
    }

    /// <summary>SIGTERM, and a clean exit (status 0) within 20 s.</summary>
    public void Terminate()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            kill.WaitForExit();
        }
        if (!_process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            _process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"vswitchd did not stop within 20 s of SIGTERM:\n{Log}");
        }
        _process.WaitForExit();
        Assert.True(_process.ExitCode == 0, $"vswitchd exited with {_process.ExitCode} after SIGTERM:\n{Log}");
    }

    /// <summary>SIGKILL: no chance to flush or clean up.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Starts a new daemon process on the same state directory (after <see cref="Terminate"/> or <see cref="Kill"/>).</summary>
    public void Restart()
    {
        _process.Dispose();
        _log.Enqueue("---- restart ----");
        _process = Launch();
    }

    private Process Launch()
    {
        var psi = new ProcessStartInfo(Solution.Executable("vswitch/VSwitch.Daemon", "vswitchd"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        List<string> args = ["--state-dir", StateDir, "--api-socket", SocketPath, "--metrics-listen", "none", "--workers", "1"];
        if (_tcp)
        {
            var tokenFile = Path.Combine(StateDir, "token");
            File.WriteAllText(tokenFile, Token);
            args.AddRange(["--api-listen", $"127.0.0.1:{TcpPort}", "--api-token-file", tokenFile]);
        }
        if (_config is not null)
        {
            var configFile = Path.Combine(StateDir, "vswitch.json");
            File.WriteAllText(configFile, _config);
            args.AddRange(["--config", configFile]);
        }
        args.ForEach(psi.ArgumentList.Add);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"vswitchd exited with {process.ExitCode}:\n{Log}");
            }
            if (Answers())
            {
                return process;
            }
            Thread.Sleep(100); // poll interval until the daemon's API socket answers
        }
        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException($"vswitchd's API did not answer within 30 s:\n{Log}");
    }

    private bool Answers()
    {
        if (!File.Exists(SocketPath))
        {
            return false;
        }
        try
        {
            using var client = new VSwitchClient(VSwitchEndpoint.Socket(SocketPath), timeout: TimeSpan.FromSeconds(2));
            client.ListNetworksAsync().GetAwaiter().GetResult();
            return true;
        }
        catch (VSwitchClientException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try
            {
                Terminate();
            }
            catch (Exception ex) when (ex is InvalidOperationException or Xunit.Sdk.XunitException)
            {
                // Disposal must not hide the test's own failure.
            }
        }
        _process.Dispose();
        try
        {
            Directory.Delete(StateDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
