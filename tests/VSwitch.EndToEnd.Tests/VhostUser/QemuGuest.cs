using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace VSwitch.EndToEnd.Tests.VhostUser;

/// <summary>
/// A real Linux guest under QEMU (TCG) whose virtio-net NIC is a vhost-user port of the switch: the kernel's own
/// virtio_net driver on the switch's rings. The image (Debian's kernel, a busybox initramfs with the virtio modules)
/// comes from <c>scripts/guest-image.sh</c>, built on first use and cached.
/// </summary>
/// <remarks>
/// <para>The guest's console (ttyS0: kernel and /init messages) goes to a file read for failure messages. Its
/// second serial port (ttyS1) is QEMU's stdio: the guest's /init reads one request per line, <c>ID BASE64-SCRIPT</c>,
/// runs the script with sh and answers with its output and a line <c>@@vsw done ID EXIT-CODE</c>
/// (<see cref="Run"/>). The tty is raw and does not echo, so what comes back is exactly what the script printed.</para>
/// <para>One guest costs a host CPU while it runs: a test runs one at a time. Dispose kills QEMU.</para>
/// </remarks>
internal sealed class QemuGuest : IDisposable
{
    private const string Binary = "qemu-system-x86_64";
    private const string DonePrefix = "@@vsw done ";

    /// <summary>How long a boot may take: about 5 s on an idle 2-core machine; much more while a build runs beside it.</summary>
    private static readonly TimeSpan s_bootTimeout = TimeSpan.FromSeconds(90);

    private static readonly Lock s_imageGate = new();
    private static string? s_imageDirectory;

    private readonly Process _process;
    private readonly string _directory;
    private readonly StringBuilder _control = new();
    private readonly StringBuilder _stderr = new();
    private readonly Thread _reader;
    private int _consumed;
    private int _nextId;

    private QemuGuest(Process process, string directory)
    {
        _process = process;
        _directory = directory;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _reader = new Thread(ReadControl) { IsBackground = true, Name = "qemu guest ttyS1" };
        _reader.Start();
    }

    /// <summary>The guest's console so far (kernel messages, /init's), then QEMU's own stderr.</summary>
    public string Console
    {
        get
        {
            var path = Path.Combine(_directory, "console.log");
            var console = File.Exists(path) ? File.ReadAllText(path) : "(no console output)";
            lock (_stderr)
            {
                return $"--- guest console\n{console}\n--- qemu stderr\n{_stderr}";
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// The guest image's directory, built by <c>scripts/guest-image.sh</c> the first time (a download of Debian's
    /// kernel package: half a minute) and then reused; the script does nothing when the image is complete.
    /// </summary>
    public static string ImageDirectory()
    {
        lock (s_imageGate)
        {
            if (s_imageDirectory is null)
            {
                var script = Path.Combine(RepositoryRoot(), "scripts", "guest-image.sh");
                var r = Shell.Run($"{script} 2>&1", TimeSpan.FromMinutes(10));
                if (!r.Ok)
                {
                    throw new InvalidOperationException($"{script} failed:\n{r}");
                }
                s_imageDirectory = r.Stdout.Trim().Split('\n')[^1];
            }
            return s_imageDirectory;
        }
    }

    /// <summary>
    /// Skips the test, with QEMU's own words, only where this machine cannot run a TCG guest with shared memory at
    /// all; a missing QEMU is a failure (scripts/install-deps.sh installs it).
    /// </summary>
    public static void SkipUnlessQemuRuns()
    {
        if (Shell.Run($"command -v {Binary}").ExitCode != 0)
        {
            throw new InvalidOperationException($"{Binary} is not installed: scripts/install-deps.sh installs it (package qemu-system-x86)");
        }
        // A machine with no devices and no CPU running: QEMU checks the accelerator and the memfd backend, then quits.
        var probe = Shell.Run(
            $"echo quit | {Binary} -accel tcg -M pc -nodefaults -no-user-config -display none -S -monitor stdio -m 64M " +
            "-object memory-backend-memfd,id=mem,size=64M,share=on -numa node,memdev=mem 2>&1", TimeSpan.FromSeconds(20));
        Skip.If(!probe.Ok, $"QEMU cannot start a TCG guest with shared memory on this machine:\n{probe.Stdout}");
    }

    /// <summary>
    /// Boots a guest whose NIC (<paramref name="vm"/>'s MAC) is on <paramref name="vm"/>'s vhost-user socket and gets
    /// its IPv4 (/24) and IPv6 (/64) addresses, and waits until its /init serves requests.
    /// </summary>
    public static QemuGuest Boot(Lab.VhostVm vm)
    {
        var image = ImageDirectory();
        var directory = Directory.CreateTempSubdirectory("vsw-qemu-").FullName;
        string[] args =
        [
            "-accel", "tcg", "-M", "pc", "-cpu", "max", "-smp", "1", "-m", "256M",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            // The switch maps the guest's memory: it must be a shared file (vhost-user.rst, "memory regions").
            "-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-numa", "node,memdev=mem",
            "-kernel", Path.Combine(image, "vmlinux"), "-initrd", Path.Combine(image, "initrd.gz"),
            "-append", string.Join(' ',
                "console=ttyS0 quiet panic=-1 mitigations=off cryptomgr.notests 8250.nr_uarts=2",
                $"vsw.ctl=ttyS1 vsw.ip={vm.Ipv4}/24 vsw.ip6={vm.Ipv6}/64"),
            "-chardev", $"file,id=con,path={Path.Combine(directory, "console.log")}", "-serial", "chardev:con",
            "-chardev", "stdio,id=ctl,signal=off", "-serial", "chardev:ctl",
            "-chardev", $"socket,id=vs0,path={vm.Socket}",
            "-netdev", "vhost-user,id=net0,chardev=vs0",
            // vectors=0: QEMU 7.2 under TCG crashes when the driver enables MSI-X on a vhost-user NIC (ENVIRONMENT.md).
            // romfile=: no iPXE option ROM, the kernel is loaded directly.
            "-device", $"virtio-net-pci,netdev=net0,mac={vm.Mac},vectors=0,romfile=",
        ];
        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var guest = new QemuGuest(Process.Start(psi)!, directory);
        try
        {
            var clock = Stopwatch.StartNew();
            const string Ready = "@@vsw ready\n";
            if (!guest.WaitFor(text => text.IndexOf(Ready, StringComparison.Ordinal) is var at and >= 0 ? at + Ready.Length - 1 : -1, s_bootTimeout, out var end))
            {
                throw new InvalidOperationException(
                    $"the guest did not come up within {s_bootTimeout.TotalSeconds} s{(guest.HasExited ? " (QEMU exited)" : "")}:\n{guest.Console}");
            }
            lock (guest._control)
            {
                guest._consumed += end + 1;
            }
            guest.BootTime = clock.Elapsed;
            return guest;
        }
        catch
        {
            guest.Dispose();
            throw;
        }
    }

    /// <summary>From QEMU's start until the guest served requests.</summary>
    public TimeSpan BootTime { get; private set; }

    /// <summary>
    /// Runs <paramref name="script"/> (sh, any number of lines) in the guest and returns its exit code and output;
    /// exit code -1 when no answer came within <paramref name="timeout"/> (bound the guest's own commands with
    /// <c>timeout</c> so that it answers).
    /// </summary>
    public Shell.Result Run(string script, TimeSpan? timeout = null)
    {
        var id = ++_nextId;
        var request = $"{id} {Convert.ToBase64String(Encoding.UTF8.GetBytes(script))}\n";
        try
        {
            _process.StandardInput.Write(request);
            _process.StandardInput.Flush();
        }
        catch (IOException ex)
        {
            return new Shell.Result(-1, "", $"QEMU's stdin is closed ({ex.Message}):\n{Console}");
        }
        var marker = $"{DonePrefix}{id} ";
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        // The answer is complete once the marker's line has ended.
        if (!WaitFor(text => text.IndexOf(marker, StringComparison.Ordinal) is var at and >= 0 ? text.IndexOf('\n', at) : -1, limit, out var end))
        {
            return new Shell.Result(-1, Pending(), $"no answer within {limit.TotalSeconds} s{(HasExited ? " (QEMU exited)" : "")}:\n{Console}");
        }
        lock (_control)
        {
            var text = _control.ToString(_consumed, end);
            _consumed += end + 1;
            var at = text.LastIndexOf(marker, StringComparison.Ordinal);
            return new Shell.Result(int.Parse(text[(at + marker.Length)..], CultureInfo.InvariantCulture), text[..at], "");
        }
    }

    /// <summary>Runs a script that must succeed; the exception carries its output and the console.</summary>
    public string Must(string script, TimeSpan? timeout = null)
    {
        var r = Run(script, timeout);
        if (!r.Ok)
        {
            throw new InvalidOperationException($"in the guest: {script}\n{r}\n{Console}");
        }
        return r.Stdout;
    }

    private string Pending()
    {
        lock (_control)
        {
            return _control.ToString(_consumed, _control.Length - _consumed);
        }
    }

    /// <summary>
    /// Waits until <paramref name="find"/> finds what it looks for in the unread control output (QEMU's stdout) and
    /// returns where it ends (its offset in the unread text), or QEMU has exited, or the time is up.
    /// </summary>
    private bool WaitFor(Func<string, int> find, TimeSpan timeout, out int end)
    {
        var clock = Stopwatch.StartNew();
        lock (_control)
        {
            while ((end = find(_control.ToString(_consumed, _control.Length - _consumed))) < 0)
            {
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero || !_reader.IsAlive)
                {
                    return false;
                }
                Monitor.Wait(_control, left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            }
            return true;
        }
    }

    /// <summary>Copies ttyS1's bytes (QEMU's stdout) into the control buffer until QEMU closes it.</summary>
    private void ReadControl()
    {
        var stream = _process.StandardOutput.BaseStream;
        var buffer = new byte[4096];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            lock (_control)
            {
                // Latin-1: one char per byte, so a script's binary output cannot shift the markers.
                _control.Append(Encoding.Latin1.GetString(buffer, 0, n));
                Monitor.PulseAll(_control);
            }
        }
        lock (_control)
        {
            Monitor.PulseAll(_control);
        }
    }

    /// <summary>Kills QEMU (the guest dies as in a crash: the switch sees its socket close).</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VSwitch.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("VSwitch.sln not found above the test directory");
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _reader.Join(TimeSpan.FromSeconds(5));
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
