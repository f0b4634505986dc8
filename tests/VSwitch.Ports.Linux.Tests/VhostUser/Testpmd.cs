using System.Diagnostics;
using System.Text;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>
/// DPDK's <c>dpdk-testpmd</c> with one <c>net_vhost</c> port per socket and <c>io</c> forwarding, the reference vhost-user
/// back-end the test frontend is checked against: frames sent into port 2k come out of port 2k+1 and back. Runs
/// without huge pages. Its forwarding thread spins a core, so every instance lives for seconds: dispose it.
/// </summary>
internal sealed class Testpmd : IDisposable
{
    private const string Binary = "dpdk-testpmd";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _prefix;

    private Testpmd(Process process, string directory, int ports, string prefix)
    {
        _process = process;
        Directory = directory;
        Ports = ports;
        _prefix = prefix;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Directory { get; }

    public int Ports { get; }

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

    /// <summary>The socket of port <paramref name="port"/>.</summary>
    public string SocketPath(int port) => Path.Combine(Directory, $"vhost{port}.sock");

    /// <summary>
    /// Starts testpmd with <paramref name="ports"/> vhost ports of <paramref name="queues"/> queue pairs each; with
    /// <paramref name="client"/> the ports connect to sockets the test listens on, else testpmd listens and this
    /// waits for its sockets. Skips the test (with the reason) when testpmd is not installed or cannot start here.
    /// </summary>
    public static Testpmd StartOrSkip(int ports = 2, int queues = 1, bool client = false)
    {
        var path = FindBinary();
        Skip.If(path is null, $"{Binary} is not installed (scripts/install-deps.sh installs it with the dpdk-dev package)");
        var directory = System.IO.Directory.CreateTempSubdirectory("vswitch-testpmd-").FullName;
        var prefix = "vswitch-" + Guid.NewGuid().ToString("N")[..8];
        var psi = new ProcessStartInfo(path!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        // No huge pages: the guest's RAM comes from the frontend's memfds, and testpmd's mbufs fit in 512 MiB of malloc.
        string[] eal = ["--no-huge", "-m", "512", "--no-shconf", $"--file-prefix={prefix}", "--iova-mode=va", "--no-pci", "-l", "0-1", "--log-level=lib.vhost:info"];
        foreach (var a in eal)
        {
            psi.ArgumentList.Add(a);
        }
        for (var p = 0; p < ports; p++)
        {
            psi.ArgumentList.Add("--vdev");
            psi.ArgumentList.Add($"net_vhost{p},iface={Path.Combine(directory, $"vhost{p}.sock")},queues={queues}" + (client ? ",client=1" : ""));
        }
        string[] app = ["--", "--forward-mode=io", "--auto-start", "--total-num-mbufs=16384", $"--rxq={queues}", $"--txq={queues}", "--nb-cores=1"];
        foreach (var a in app)
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi)!;
        var testpmd = new Testpmd(process, directory, ports, prefix);
        try
        {
            testpmd.WaitStarted(client, TimeSpan.FromSeconds(15));
            return testpmd;
        }
        catch
        {
            testpmd.Dispose();
            throw;
        }
    }

    /// <summary>Stops testpmd (Enter, as its prompt asks, then a kill) and removes its sockets and run directory.</summary>
    public void Dispose()
    {
        try
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
        }
        finally
        {
            _process.Dispose();
            TryDelete(Directory);
            TryDelete(Path.Combine("/var/run/dpdk", _prefix));
        }
    }

    private void WaitStarted(bool client, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                Skip.If(true, $"{Binary} cannot start here (exit code {_process.ExitCode}):\n{Output}");
            }
            var ready = client
                ? Output.Contains("Press enter to exit", StringComparison.Ordinal) || clock.Elapsed > TimeSpan.FromSeconds(2)
                : Enumerable.Range(0, Ports).All(p => File.Exists(SocketPath(p)));
            if (ready)
            {
                return;
            }
            Thread.Sleep(20); // testpmd has no readiness signal but its output and its sockets: poll them until the deadline
        }
        Skip.If(true, $"{Binary} did not come up within {timeout.TotalSeconds} s:\n{Output}");
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

    private static string? FindBinary()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var candidate = Path.Combine(dir, Binary);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (System.IO.Directory.Exists(path))
            {
                System.IO.Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
