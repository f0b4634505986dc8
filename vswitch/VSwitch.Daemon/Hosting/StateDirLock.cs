using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Daemon.Hosting;

/// <summary>
/// Makes a state directory one daemon's: an exclusive, non-blocking <c>flock</c> on <c>STATE_DIR/vswitchd.lock</c>,
/// which holds the holder's pid and API socket so that a daemon refused the lock can name the one that runs.
/// </summary>
/// <remarks>
/// <para><b>Why first.</b> The state names the TAP devices the daemon creates, re-attaches to and removes when it stops.
/// A second daemon on the same directory would take the first one's devices over and remove them when it stops (the
/// first daemon's VMs lose their network). So <c>vswitchd</c> takes this lock before it opens the store, builds the
/// host or touches a port, and a second daemon exits at once.</para>
/// <para><b>Why flock.</b> The lock belongs to the open file description, and the kernel drops it when the process
/// dies, SIGKILL included: a lock file left behind never blocks the next start, so no pid has to be checked for
/// liveness (pids are reused). The descriptor is <c>O_CLOEXEC</c>, as a child that inherited it would keep the lock
/// after the daemon died. The file is never removed: a daemon that had opened the old file and one that created a new
/// one could otherwise both hold "the" lock. .NET's <c>FileShare.None</c> is an <c>flock</c> on Linux too, but it is
/// switched off by <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>, and every other .NET open of the file takes a shared
/// lock, which fails against it, so the refused daemon could not read who holds it.</para>
/// <para><b>The record</b> (<c>pid=N</c> and <c>api_socket=PATH</c> lines) is written through the locked descriptor, with
/// <see cref="RandomAccess"/> on a handle that does not take .NET's own locks. It stays after a clean exit: it names
/// the last holder, and only the lock says whether that one still runs.</para>
/// </remarks>
public sealed class StateDirLock : IDisposable
{
    /// <summary>The lock file's name in the state directory.</summary>
    public const string FileName = "vswitchd.lock";

    /// <summary>Mode of a new lock file: 0644 (anyone may read who holds the directory).</summary>
    private const ushort FileMode = 0b110_100_100;

    /// <summary>The most of a holder's record that is read (a pid and a socket path are far shorter).</summary>
    private const int MaxRecordBytes = 4096;

    private readonly SafeFileHandle _handle;

    private StateDirLock(string path, SafeFileHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>The lock file.</summary>
    public string Path { get; }

    /// <summary>
    /// Creates <paramref name="stateDir"/> if needed and takes its lock, recording this process's pid and
    /// <paramref name="apiSocket"/> (null: none).
    /// </summary>
    /// <exception cref="StartupException">The directory cannot be created or written, or another daemon holds the lock
    /// (the message names its pid and API socket).</exception>
    public static unsafe StateDirLock Acquire(string stateDir, string? apiSocket)
    {
        try
        {
            Directory.CreateDirectory(stateDir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"state dir {stateDir} cannot be created: {ex.Message}", ex);
        }
        var path = System.IO.Path.Combine(stateDir, FileName);
        int fd;
        using (var name = new NativeUtf8String(path))
        {
            fd = TmdsLibC.open(name.Pointer, LibC.O_RDWR | LibC.O_CREAT | LibC.O_CLOEXEC, FileMode);
        }
        if (fd < 0)
        {
            throw new StartupException($"state dir {stateDir} cannot be written: {path}: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (LibC.flock(fd, LibC.LOCK_EX | LibC.LOCK_NB) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new StartupException(errno == LibC.EWOULDBLOCK
                    ? $"state dir {stateDir} is in use by {DescribeHolder(handle)}"
                    : $"state dir {stateDir}: {path} cannot be locked: {LibC.StrError(errno)}");
            }
            WriteRecord(handle, path, apiSocket);
            return new StateDirLock(path, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void WriteRecord(SafeFileHandle handle, string path, string? apiSocket)
    {
        var record = Encoding.UTF8.GetBytes($"pid={Environment.ProcessId}\napi_socket={apiSocket ?? "none"}\n");
        try
        {
            RandomAccess.SetLength(handle, 0);
            RandomAccess.Write(handle, record, 0);
        }
        catch (IOException ex)
        {
            throw new StartupException($"{path} cannot be written: {ex.Message}", ex);
        }
    }

    /// <summary>"vswitchd pid N (api socket PATH)" from the holder's record; a holder that has not written it yet is "another vswitchd".</summary>
    private static string DescribeHolder(SafeFileHandle handle)
    {
        var buffer = new byte[MaxRecordBytes];
        int length;
        try
        {
            length = RandomAccess.Read(handle, buffer, 0);
        }
        catch (IOException)
        {
            length = 0;
        }
        string? pid = null;
        string? socket = null;
        foreach (var line in Encoding.UTF8.GetString(buffer, 0, length).Split('\n'))
        {
            if (line.StartsWith("pid=", StringComparison.Ordinal))
            {
                pid ??= line["pid=".Length..];
            }
            else if (line.StartsWith("api_socket=", StringComparison.Ordinal))
            {
                socket ??= line["api_socket=".Length..];
            }
        }
        if (!int.TryParse(pid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var holder))
        {
            return "another vswitchd";
        }
        return socket is null or "none" ? $"vswitchd pid {holder} (no api socket)" : $"vswitchd pid {holder} (api socket {socket})";
    }

    /// <summary>Releases the lock (closing the descriptor); the file stays.</summary>
    public void Dispose() => _handle.Dispose();
}
