using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace VSwitch.EndToEnd.Tests.VhostUser;

/// <summary>
/// DPDK's <c>dpdk-testpmd</c> as a vhost-user guest: one <c>net_virtio_user</c> port (a virtio-net driver in user
/// space, the same rings and memory table QEMU hands over) on a switch's socket, with a forwarding mode standing in
/// for the guest's software: <c>icmpecho</c> answers ARP and ping, <c>5tswap</c> sends every frame back with MACs,
/// addresses and L4 ports swapped (a UDP echo), <c>txonly</c> sends 64-byte UDP as fast as it can.
/// </summary>
/// <remarks>
/// Its memory is huge pages (<c>--in-memory</c>: no files, given back when it exits), about 32 pages each; its
/// forwarding core spins, so an instance lives for seconds. Dispose stops it and kills it if it does not stop.
/// </remarks>
internal sealed partial class TestpmdGuest : IDisposable
{
    private const string Binary = "dpdk-testpmd";

    /// <summary>Huge pages one instance takes (<c>-m 64</c>), for <see cref="HugePages.ReserveOrSkip"/>.</summary>
    public const int PagesEach = 32;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TestpmdGuest(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Frames the guest received and sent, from testpmd's forward statistics at <see cref="Stop"/>.</summary>
    public sealed record Counts(long Received, long Sent);

    /// <summary>
    /// Starts a guest whose NIC has <paramref name="mac"/> on <paramref name="socket"/> and waits until it forwards.
    /// <paramref name="server"/>: testpmd listens on the socket (the switch port is <c>mode=client</c>) and lets the
    /// switch reconnect, and this returns once it listens (then <see cref="WaitForwarding"/>); otherwise it connects to
    /// the switch's socket.
    /// </summary>
    public static TestpmdGuest Start(string socket, string mac, string forwardMode, bool server = false, params string[] forwardArgs)
    {
        // stdbuf: testpmd writes with stdio, and its "Press enter to exit" must reach the pipe when it is printed.
        var psi = new ProcessStartInfo("stdbuf", ["-oL", "-eL", FindBinary()])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var vdev = $"net_virtio_user0,path={socket},mac={mac},queues=1" + (server ? ",server=1" : "");
        string[] args =
        [
            // One memory segment list in one file, so the memory table is a handful of regions; IOVA as VA, since as PA
            // virtio-user rings fail to probe now and then here (../shared/ENVIRONMENT.md).
            "--in-memory", "--iova-mode=va", "--single-file-segments", "-m", "64", "--no-pci", "-l", "0-1",
            "--file-prefix", "vsw" + Guid.NewGuid().ToString("N")[..8], "--vdev", vdev, "--",
            $"--forward-mode={forwardMode}", "--auto-start", "--total-num-mbufs=2048", "--nb-cores=1", .. forwardArgs,
        ];
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var guest = new TestpmdGuest(Process.Start(psi)!);
        try
        {
            if (server)
            {
                // A virtio-user server accepts its one connection before it starts forwarding: the switch comes next.
                if (!Shell.Eventually(() => guest.HasExited || File.Exists(socket), TimeSpan.FromSeconds(20)) || guest.HasExited)
                {
                    throw new InvalidOperationException($"{Binary} did not listen on {socket}:\n{guest.Output}");
                }
            }
            else
            {
                guest.WaitForwarding();
            }
            return guest;
        }
        catch
        {
            guest.Dispose();
            throw;
        }
    }

    /// <summary>Stops the guest as its prompt asks (Enter) and returns its port's forward statistics.</summary>
    public Counts Stop()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.WriteLine();
            _process.StandardInput.Flush();
            if (!_process.WaitForExit(10_000))
            {
                throw new InvalidOperationException($"{Binary} did not stop within 10 s of Enter:\n{Output}");
            }
        }
        _process.WaitForExit();
        var output = Output;
        var section = output.LastIndexOf("Forward statistics for port 0", StringComparison.Ordinal);
        if (section < 0)
        {
            throw new InvalidOperationException($"{Binary} printed no forward statistics:\n{output}");
        }
        var stats = output[section..];
        return new Counts(long.Parse(RxPackets().Match(stats).Groups[1].Value), long.Parse(TxPackets().Match(stats).Groups[1].Value));
    }

    /// <summary>Kills the guest with SIGKILL: its connection drops without a word, as when QEMU crashes.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.WriteLine();
                _process.StandardInput.Flush();
            }
            catch (IOException)
            {
            }
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        _process.Dispose();
    }

    /// <summary>Waits until the guest forwards (a server: once the switch has connected).</summary>
    public void WaitForwarding()
    {
        var timeout = TimeSpan.FromSeconds(20);
        if (!Shell.Eventually(() => _process.HasExited || Output.Contains("Press enter to exit", StringComparison.Ordinal), timeout) || _process.HasExited)
        {
            throw new InvalidOperationException($"{Binary} did not start forwarding within {timeout.TotalSeconds} s:\n{Output}");
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static string FindBinary()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var candidate = Path.Combine(dir, Binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException($"{Binary} is not installed: scripts/install-deps.sh installs it (package dpdk-dev)");
    }

    [GeneratedRegex(@"RX-packets:\s+(\d+)")]
    private static partial Regex RxPackets();

    [GeneratedRegex(@"TX-packets:\s+(\d+)")]
    private static partial Regex TxPackets();
}
