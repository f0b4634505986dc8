using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace VSwitch.EndToEnd.Tests;

/// <summary>A real <c>vswitchd</c> process, started from the build output, with its log captured.</summary>
internal sealed class Daemon : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    private bool _ownsStateDir = true;

    private Daemon(Process process, int metricsPort, string stateDir)
    {
        _process = process;
        StateDir = stateDir;
        MetricsPort = metricsPort;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int MetricsPort { get; }

    /// <summary>The daemon's private state directory (its database and API socket), removed on dispose.</summary>
    public string StateDir { get; }

    public string Log => string.Join('\n', _log);

    public bool HasExited => _process.HasExited;

    public int Pid => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>The daemon built beside the tests (<c>vswitch/VSwitch.Daemon/bin/CONFIG/net10.0/vswitchd</c>).</summary>
    public static string Executable()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VSwitch.sln")))
        {
            dir = dir.Parent;
        }
        if (dir is null)
        {
            throw new InvalidOperationException("VSwitch.sln not found above the test directory");
        }
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var exe = Path.Combine(dir.FullName, "vswitch", "VSwitch.Daemon", "bin", configuration, "net10.0", "vswitchd");
        if (!File.Exists(exe))
        {
            throw new InvalidOperationException($"{exe} is missing: build the solution first (scripts/test.sh does)");
        }
        return exe;
    }

    public static Daemon Start(string configPath, int workers, params string[] extraArgs) =>
        StartIn(Directory.CreateTempSubdirectory("vswitch-e2e-").FullName, configPath, workers, extraArgs);

    /// <summary>Starts a daemon on an existing state directory (a restart), which it then owns.</summary>
    public static Daemon StartIn(string stateDir, string configPath, int workers, params string[] extraArgs) =>
        StartWith(stateDir, ["--config", configPath, "--workers", workers.ToString(), "--api-socket", Path.Combine(stateDir, "api.sock"), .. extraArgs]);

    /// <summary>
    /// Starts a daemon on <paramref name="stateDir"/> (which it then owns) with its metrics on a free port and
    /// <paramref name="args"/>, in <paramref name="workingDirectory"/> (null: this process's), and waits until it is ready.
    /// </summary>
    public static Daemon StartWith(string stateDir, IEnumerable<string> args, string? workingDirectory = null)
    {
        var metricsPort = FreePort();
        var psi = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var a in (string[])["--metrics-listen", $"127.0.0.1:{metricsPort}", "--state-dir", stateDir, .. args])
        {
            psi.ArgumentList.Add(a);
        }
        var daemon = new Daemon(Process.Start(psi)!, metricsPort, stateDir);
        try
        {
            daemon.WaitReady(s_startTimeout);
        }
        catch (InvalidOperationException)
        {
            daemon.Dispose();
            throw;
        }
        return daemon;
    }

    /// <summary>How long a daemon may take to start (a loaded CI machine: the runtime starts, TAP devices are created).</summary>
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits until the daemon logs that it is ready (every service started: the ports are applied, the API and the
    /// metrics endpoint accept) and <c>/metrics</c> answers, so a test may scrape or call it at once.
    /// </summary>
    private void WaitReady(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        if (!Shell.Eventually(() => Log.Contains("vswitchd ready", StringComparison.Ordinal) || HasExited, timeout))
        {
            throw new InvalidOperationException($"vswitchd did not become ready within {timeout}:\n{Log}");
        }
        if (HasExited)
        {
            throw new InvalidOperationException($"vswitchd exited with {ExitCode}:\n{Log}");
        }
        if (!Shell.Eventually(MetricsAnswer, timeout - clock.Elapsed))
        {
            throw new InvalidOperationException($"vswitchd said it was ready but /metrics on port {MetricsPort} did not answer within {timeout}:\n{Log}");
        }
    }

    private bool MetricsAnswer()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            return http.GetAsync($"http://127.0.0.1:{MetricsPort}/metrics").GetAwaiter().GetResult().IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>Reads <c>/metrics</c>.</summary>
    /// <summary>GET <paramref name="path"/> (e.g. <c>v2.0/ports?name=a</c>) on the daemon's API socket; the JSON answer.</summary>
    public System.Text.Json.Nodes.JsonNode Api(string path)
    {
        var result = Shell.Run($"curl -sf --max-time 5 --unix-socket {Path.Combine(StateDir, "api.sock")} 'http://vswitch/{path}'", TimeSpan.FromSeconds(10));
        if (!result.Ok)
        {
            throw new InvalidOperationException($"GET {path} failed: {result}");
        }
        return System.Text.Json.Nodes.JsonNode.Parse(result.Stdout)!;
    }

    public string Metrics()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return http.GetStringAsync($"http://127.0.0.1:{MetricsPort}/metrics").GetAwaiter().GetResult();
    }

    /// <summary>One sample's value from <c>/metrics</c>, e.g. <c>vswitch_port_up{port="a"}</c>; -1 when absent.</summary>
    public double Metric(string series)
    {
        foreach (var line in Metrics().Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return -1;
    }

    /// <summary>Kills the daemon with SIGKILL (no clean-up at all) and hands its state directory to the next daemon.</summary>
    public void Kill9()
    {
        _process.Kill();
        _process.WaitForExit();
        _ownsStateDir = false;
    }

    /// <summary>Sends SIGTERM and waits for a clean exit.</summary>
    public int Terminate(TimeSpan timeout)
    {
        Shell.Run($"kill -TERM {_process.Id}");
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"vswitchd did not stop within {timeout} of SIGTERM:\n{Log}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
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
                Terminate(TimeSpan.FromSeconds(15));
            }
            catch (InvalidOperationException)
            {
            }
        }
        _process.Dispose();
        try
        {
            if (_ownsStateDir)
            {
                Directory.Delete(StateDir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
