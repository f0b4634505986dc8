using System.Diagnostics;

namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// <c>vswitchctl capture</c> on real TAP ports with real kernel traffic, read back by tshark: both ways with the
/// security group's drops marked, drops only through a pipe, and decoded text.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class CaptureTests
{
    /// <summary>Starts <paramref name="command"/> under bash, its output kept, killed after 60 s at the latest.</summary>
    private static Process Background(string command)
    {
        var psi = new ProcessStartInfo("timeout", ["-k", "2", "60", "bash", "-c", command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return Process.Start(psi)!;
    }

    private static (int Exit, string Stdout, string Stderr) Finish(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(70_000), "the capture did not end");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string[] Tshark(string file, string filter, params string[] fields) =>
        Shell.Must($"tshark -r {file} -n -Y '{filter}' -T fields -E separator='|' {string.Join(' ', fields.Select(f => $"-e {f}"))}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Capture_RealTraffic_TsharkReadsDirectionsAndTheDropsReasons()
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        lab.Group("web80", stateful: true, new Lab.Rule("ingress", "IPv4", "tcp", 80, 80));
        var server = lab.SecuredVm("srv", "n1", 1, ["web80"]);
        var client = lab.SecuredVm("cli", "n1", 2, null);
        var daemon = lab.Start(1, server, client);
        Shell.Must($"setsid {server.Exec("ncat -lk -p 80")} </dev/null >/dev/null 2>&1 &");
        Lab.WaitListening(server, 80);
        // The neighbours are learned before the capture starts, so that what it sees is the traffic below.
        Shell.Must(client.Exec($"ncat -z -w 2 {server.Ipv4} 80"));
        var ctl = $"{Path.GetFullPath(ConsoleTests.Vswitchctl())} --socket {daemon.StateDir}/api.sock";
        var file = Path.Combine(Path.GetTempPath(), $"{lab.Prefix}-srv.pcapng");
        try
        {
            using var capture = Background($"{ctl} capture --port srv --duration 5 -w {file}");
            Assert.True(Shell.Eventually(() => File.Exists(file) && new FileInfo(file).Length > 0, TimeSpan.FromSeconds(10)), "the capture did not start");
            Shell.Run(client.Exec($"ping -c 2 -i 0.2 -W 1 {server.Ipv4}"), TimeSpan.FromSeconds(10));
            Shell.Must(client.Exec($"ncat -z -w 2 {server.Ipv4} 80"));
            Shell.Run(client.Exec($"ncat -z -w 1 {server.Ipv4} 22"), TimeSpan.FromSeconds(10));
            var (exit, _, stderr) = Finish(capture);
            Assert.True(exit == 0, stderr);
            Assert.Matches(@"^\d+ frames captured\n$", stderr);

            // The pings toward srv: sent to its port (outbound) and dropped by its group.
            var pings = Tshark(file, "icmp.type == 8", "frame.packet_flags_direction", "frame.comment");
            Assert.True(pings.Length >= 2, string.Join('\n', pings));
            Assert.All(pings, p => Assert.Equal("0x00000002|dropped: security_group", p));
            // The SYN to 22: dropped the same way; the connection to 80 went through both ways, unmarked.
            Assert.NotEmpty(Tshark(file, "tcp.dstport == 22 && tcp.flags.syn == 1", "frame.comment"));
            Assert.All(Tshark(file, "tcp.dstport == 22", "frame.comment"), c => Assert.Equal("dropped: security_group", c));
            Assert.Equal(["0x00000002|"], Tshark(file, "tcp.dstport == 80 && tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.packet_flags_direction", "frame.comment").Distinct());
            Assert.Equal(["0x00000001|"], Tshark(file, "tcp.srcport == 80 && tcp.flags.syn == 1 && tcp.flags.ack == 1", "frame.packet_flags_direction", "frame.comment").Distinct());
            Assert.Equal(["srv"], Tshark(file, "frame", "frame.interface_name").Distinct());
        }
        finally
        {
            File.Delete(file);
        }

        // Drops toward srv only, as a pcapng stream into tshark: every frame is a drop, the pings' among them (the
        // VMs' own IPv6 chatter may come first, so the count leaves room for it).
        using var piped = Background($"{ctl} capture --port srv --direction out --drops -c 6 --duration 8 -w - | tshark -r - -n -T fields -E separator='|' -e icmp.type -e frame.comment");
        Thread.Sleep(1000);
        Shell.Run(client.Exec($"ping -c 6 -i 0.3 -W 1 {server.Ipv4}"), TimeSpan.FromSeconds(10));
        var (pipedExit, pipedOut, pipedErr) = Finish(piped);
        Assert.True(pipedExit == 0, pipedErr);
        var dropped = pipedOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(dropped.Count(d => d == "8|dropped: security_group") >= 2, pipedOut);
        Assert.All(dropped, d => Assert.Contains("|dropped: ", d, StringComparison.Ordinal));
        Assert.Matches(@"(?m)^\d+ frames captured$", pipedErr); // tshark's own lines share the stderr

        // Text: what cli sends, decoded, one line each.
        using var text = Background($"{ctl} capture --port cli --direction in -c 3 --duration 8");
        Thread.Sleep(1000);
        Shell.Run(client.Exec($"ping -c 3 -i 0.3 -W 1 {server.Ipv4}"), TimeSpan.FromSeconds(10));
        var (textExit, textOut, textErr) = Finish(text);
        Assert.True(textExit == 0, textErr);
        var lines = textOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{6} in  .+, \d+ bytes$", l));
        Assert.Contains(lines, l => l.Contains($" in  {client.Ipv4} > {server.Ipv4}: ICMP echo request, id ", StringComparison.Ordinal) && l.EndsWith(", 98 bytes", StringComparison.Ordinal));

        // A pipe whose reader quits ends a capture that has neither -c nor --duration, pcapng or text, and frees its
        // place in the daemon (.NET's console streams would have swallowed the EPIPE).
        Shell.Must($"setsid {client.Exec($"ping -c 40 -i 0.2 {server.Ipv4}")} </dev/null >/dev/null 2>&1 &");
        var binary = Shell.Run($"{ctl} capture --port cli -w - | head -c 300 > /dev/null", TimeSpan.FromSeconds(20));
        Assert.True(binary.Ok, binary.ToString());
        Assert.Matches(@"(?m)^\d+ frames captured$", binary.Stderr);
        var head = Shell.Run($"{ctl} capture --port cli | head -n 1", TimeSpan.FromSeconds(20));
        Assert.True(head.Ok, head.ToString());
        Assert.Matches(@"^\d\d:\d\d:\d\d\.\d{6} (in |out) .+\n$", head.Stdout);
        Assert.True(Shell.Eventually(() => AllCapturePlacesFree(ctl), TimeSpan.FromSeconds(10)), "a capture whose reader quit still holds its place");
    }

    /// <summary>Whether eight captures (the daemon's limit) start at once: none is left over from before.</summary>
    private static bool AllCapturePlacesFree(string ctl)
    {
        var r = Shell.Run(string.Join(" & ", Enumerable.Range(0, 8).Select(_ => $"{ctl} capture --port cli --duration 1 -w /dev/null")) + " ; wait", TimeSpan.FromSeconds(20));
        return !r.Stderr.Contains("captures are running already", StringComparison.Ordinal);
    }
}
