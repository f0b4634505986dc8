using VSwitch.Daemon;
using VSwitch.Daemon.Hosting;

namespace VSwitch.Api.Tests;

/// <summary>
/// The state directory's lock: one holder at a time, a refusal that names the holder, and a lock that ends with its
/// holder. (Two acquisitions in one process conflict like two processes do: an <c>flock</c> belongs to the open file
/// description. The end-to-end tests run two daemons and SIGKILL one.)
/// </summary>
public sealed class StateDirLockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vswitch-lock-").FullName;

    [Fact]
    public void Acquire_RecordsPidAndApiSocket()
    {
        using var held = StateDirLock.Acquire(_dir, "/run/vswitch/api.sock");
        Assert.Equal(Path.Combine(_dir, StateDirLock.FileName), held.Path);
        Assert.Equal($"pid={Environment.ProcessId}\napi_socket=/run/vswitch/api.sock\n", ReadRecord());
    }

    [Fact]
    public void Acquire_WhileHeld_IsRefusedNamingTheHolder_AndLeavesTheRecord()
    {
        using var held = StateDirLock.Acquire(_dir, "/run/a.sock");
        var refused = Assert.Throws<StartupException>(() => StateDirLock.Acquire(_dir, "/run/b.sock"));
        Assert.Equal($"state dir {_dir} is in use by vswitchd pid {Environment.ProcessId} (api socket /run/a.sock)", refused.Message);
        Assert.Equal($"pid={Environment.ProcessId}\napi_socket=/run/a.sock\n", ReadRecord());
    }

    [Fact]
    public void Acquire_WhileHeldWithoutApiSocket_SaysSo()
    {
        using var held = StateDirLock.Acquire(_dir, apiSocket: null);
        var refused = Assert.Throws<StartupException>(() => StateDirLock.Acquire(_dir, null));
        Assert.EndsWith($"is in use by vswitchd pid {Environment.ProcessId} (no api socket)", refused.Message);
    }

    [Fact]
    public void Acquire_AfterRelease_Succeeds_OverTheOldRecord()
    {
        StateDirLock.Acquire(_dir, "/run/a-much-longer-socket-path.sock").Dispose();
        using var again = StateDirLock.Acquire(_dir, "/run/b.sock");
        Assert.Equal($"pid={Environment.ProcessId}\napi_socket=/run/b.sock\n", ReadRecord());
    }

    [Fact]
    public void Acquire_CreatesTheStateDir()
    {
        var nested = Path.Combine(_dir, "var", "lib", "vswitch");
        using var held = StateDirLock.Acquire(nested, null);
        Assert.True(File.Exists(Path.Combine(nested, StateDirLock.FileName)));
    }

    [Fact]
    public void Acquire_WhereAFileIsInTheWay_IsOneLine()
    {
        var file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "");
        var refused = Assert.Throws<StartupException>(() => StateDirLock.Acquire(file, null));
        Assert.StartsWith($"state dir {file} cannot be created: ", refused.Message);
    }

    /// <summary>Reads the record without .NET's own file locks (whose shared lock would conflict with the holder's).</summary>
    private string ReadRecord()
    {
        var path = Path.Combine(_dir, StateDirLock.FileName);
        return Shell($"cat {path}");
    }

    private static string Shell(string command)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh", ["-c", command]) { RedirectStandardOutput = true })!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
