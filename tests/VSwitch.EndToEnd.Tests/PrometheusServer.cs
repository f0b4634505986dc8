using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// A real Prometheus server (Debian package <c>prometheus</c>, <c>/usr/bin/prometheus</c>) on loopback, scraping one
/// target every second, with its TSDB in a temporary directory; queried through its HTTP API.
/// </summary>
/// <remarks>
/// Its lifetime is bounded twice: it runs under <c>timeout</c> (so it ends by itself even if the test process dies),
/// and <see cref="Dispose"/> kills it and removes its directory.
/// </remarks>
internal sealed class PrometheusServer : IDisposable
{
    /// <summary>The longest a server may live.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(5);

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private PrometheusServer(Process process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        Port = port;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Directory { get; }

    public int Port { get; }

    public string Log => string.Join('\n', _log);

    /// <summary>The server binary; a missing one fails the test (scripts/install-deps.sh installs it).</summary>
    public static string Executable() =>
        new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("prometheus is missing: run scripts/install-deps.sh (Debian package 'prometheus')");

    /// <summary>Starts a server scraping <c>http://127.0.0.1:<paramref name="targetPort"/>/metrics</c> every second and waits until it is ready.</summary>
    public static PrometheusServer Start(int targetPort)
    {
        var executable = Executable();
        var directory = System.IO.Directory.CreateTempSubdirectory("vswitch-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: vswitch
                static_configs:
                  - targets: ['127.0.0.1:{targetPort}']
            """);
        var port = FreePort();
        var psi = new ProcessStartInfo("timeout")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in (string[])["-k", "5", ((int)MaxLifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture), executable,
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(directory, "data")}", $"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=1h", "--log.level=warn"])
        {
            psi.ArgumentList.Add(a);
        }
        var server = new PrometheusServer(Process.Start(psi)!, directory, port);
        if (!Shell.Eventually(server.Ready, TimeSpan.FromSeconds(30)))
        {
            var log = server.Log;
            server.Dispose();
            throw new InvalidOperationException($"prometheus did not become ready:\n{log}");
        }
        return server;
    }

    private bool Ready()
    {
        if (_process.HasExited)
        {
            return true;
        }
        try
        {
            return _http.GetAsync($"http://127.0.0.1:{Port}/-/ready").GetAwaiter().GetResult().IsSuccessStatusCode;
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

    /// <summary>Runs an instant query through <c>/api/v1/query</c>; returns each result's labels and value.</summary>
    public List<(JsonObject Metric, double Value)> Query(string promql)
    {
        var text = _http.GetStringAsync($"http://127.0.0.1:{Port}/api/v1/query?query={Uri.EscapeDataString(promql)}").GetAwaiter().GetResult();
        var body = JsonNode.Parse(text)!;
        if ((string?)body["status"] != "success")
        {
            throw new InvalidOperationException($"query {promql} failed: {text}");
        }
        return body["data"]!["result"]!.AsArray()
            .Select(r => (r!["metric"]!.AsObject(), double.Parse((string)r["value"]![1]!, CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary>The single value of <paramref name="promql"/>, or null when it has no result (yet).</summary>
    public double? Scalar(string promql)
    {
        var result = Query(promql);
        return result.Count == 1 ? result[0].Value : null;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        _http.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
