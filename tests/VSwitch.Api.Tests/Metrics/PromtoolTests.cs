using System.Diagnostics;
using System.Text.Json.Nodes;
using VSwitch.Daemon.Metrics;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Api.Tests.Metrics;

/// <summary>
/// Pipes the metrics text through Debian's <c>promtool check metrics</c> (package <c>prometheus</c>, installed by
/// scripts/install-deps.sh), which parses it with Prometheus's own parser and lints names, types and help. A missing
/// promtool fails the test: the check is part of the contract.
/// </summary>
public sealed class PromtoolTests : IAsyncLifetime
{
    private ApiHost _host = null!;

    public async Task InitializeAsync() => _host = await ApiHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Runs <c>promtool check metrics</c> on <paramref name="text"/>; returns its exit code and everything it printed.</summary>
    internal static (int ExitCode, string Output) Check(string text)
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists)
            ?? throw new Xunit.Sdk.XunitException("promtool is missing: run scripts/install-deps.sh (Debian package 'prometheus')");
        var psi = new ProcessStartInfo(promtool) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("metrics");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(text);
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(30_000), "promtool did not finish within 30 s");
        return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
    }

    [Fact]
    public async Task PromtoolCheckMetrics_PassesWithoutWarnings()
    {
        using var client = _host.Client();
        var net = (string)(await client.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        string[] names = ["web", "db", "we\"ird\\name\nwith newline", "", "twin", "twin"];
        for (var i = 0; i < names.Length; i++)
        {
            var port = await client.CreateAsync("ports", "port",
                new JsonObject { ["port"] = new JsonObject { ["name"] = names[i], ["network_id"] = net, ["binding:profile"] = new JsonObject { ["device"] = $"memory:p{i}" } } }.ToJsonString());
            var slot = _host.Reconciler.SlotOf(Guid.Parse((string)port["id"]!));
            _host.Datapath.Workers[0].Counters.Add(slot, PortCounter.RxPackets, 10 + i);
            _host.Datapath.Workers[0].Counters.Drop(slot, DropReason.Malformed, Direction.Egress, i);
        }
        // A port without a device (no slot) is not exported, and does not disturb the rest.
        await client.CreateAsync("ports", "port", $$$"""{"port": {"name": "idle", "network_id": "{{{net}}}"}}""");
        var text = new MetricsExporter(_host.Reconciler).Render();
        Exposition.Parse(text);

        var (exitCode, output) = Check(text);
        Assert.True(exitCode == 0 && output.Length == 0, $"promtool exit {exitCode}:\n{output}\n---\n{text}");
        // (promtool's check lints the text format only: it reads OpenMetrics' counter families, named without _total, as
        // samples without help. The real Prometheus server reads the OpenMetrics answer in the end-to-end tests.)
    }

    [Fact]
    public void PromtoolCheckMetrics_CatchesABadExposition()
    {
        // The check must be able to fail: a counter without _total and a sample without HELP are linted.
        var (exitCode, output) = Check("# TYPE bad_counter counter\nbad_counter 1\n");
        Assert.True(exitCode != 0 || output.Length > 0);
    }
}
