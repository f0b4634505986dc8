using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Daemon.Api;

/// <summary>
/// Creates the API's Unix socket: listening, with mode 0660 from the moment its path exists, refusing a path that
/// another process serves or that is not a socket, and replacing a socket left by a daemon that died.
/// </summary>
/// <remarks>
/// <para><b>The mode without a window.</b> <c>bind(2)</c> creates the socket file with the process umask's mode, and
/// <c>connect(2)</c> needs write permission on it: binding in place and <c>chmod</c>-ing afterwards leaves a moment in
/// which the umask decides who may connect (with umask 0, anyone). The socket is therefore bound inside a new private
/// directory (mode 0700, in the socket's own directory, so on the same file system), given mode 0660 there, and given its
/// path with a hard link, which is atomic and fails rather than replace a file that appeared meanwhile. Setting
/// the umask around the bind would also work, but the umask is process-wide, and other threads (the runtime's
/// included) may create files at the same moment.</para>
/// <para><b>What is replaced.</b> Only a socket that nobody accepts on (a daemon that died) is removed. A socket that
/// accepts is another running process's, and a file that is not a socket is not this daemon's to delete: both refuse
/// the start.</para>
/// </remarks>
public static class ApiSocket
{
    /// <summary>The socket file's mode: owner and group may connect.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>The longest socket path <c>sockaddr_un</c> holds (108 bytes with the terminating NUL).</summary>
    public const int MaxPathBytes = 107;

    /// <summary>The private directory's name: this and four random hex digits (see <see cref="Bind"/>).</summary>
    private const string PrivateDirectoryPrefix = ".vs";

    /// <summary>
    /// Creates the socket at <paramref name="path"/> (absolute), and its directory if needed, and returns it listening.
    /// </summary>
    /// <remarks>
    /// The socket is bound as <c>DIR/.vsXXXX/s</c> first (XXXX random), so that path must fit <c>sockaddr_un</c> too:
    /// one byte more than <c>DIR/api.sock</c>.
    /// </remarks>
    /// <exception cref="StartupException">The path cannot be used; the message names <c>--api-socket</c> and the path.</exception>
    public static Socket Bind(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the API socket needs Unix file modes");
        }
        var directory = Path.GetDirectoryName(path) ?? throw new StartupException($"--api-socket: {path} is not a file path");
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"--api-socket: directory {directory} cannot be created: {ex.Message}", ex);
        }
        RemoveStale(path);
        var privateDirectory = Path.Combine(directory, PrivateDirectoryPrefix + Convert.ToHexString(Guid.NewGuid().ToByteArray(), 0, 2).ToLowerInvariant());
        var bound = Path.Combine(privateDirectory, "s");
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes || Encoding.UTF8.GetByteCount(bound) > MaxPathBytes)
        {
            throw new StartupException($"--api-socket: {path} is too long for a Unix socket (at most {MaxPathBytes} bytes, and it is bound as {bound} first)");
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            Directory.CreateDirectory(privateDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            socket.Bind(new UnixDomainSocketEndPoint(bound));
            File.SetUnixFileMode(bound, Mode);
            socket.Listen();
            // Not File.Move: it renames, which would replace a file that appeared since RemoveStale looked.
            if (!Link(bound, path))
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new StartupException(errno == LibC.EEXIST
                    ? $"--api-socket: {path} appeared while the socket was being created (another daemon starting on it?)"
                    : $"--api-socket: {path} cannot be created: {LibC.StrError(errno)}");
            }
            return socket;
        }
        catch (StartupException)
        {
            socket.Dispose();
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SocketException)
        {
            socket.Dispose();
            throw new StartupException($"--api-socket: {path} cannot be created: {ex.Message}", ex);
        }
        finally
        {
            try
            {
                Directory.Delete(privateDirectory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Never created (the directory is not writable: reported above) or already gone.
            }
        }
    }

    /// <summary>Whether <paramref name="path"/> is a socket file (not following a symbolic link).</summary>
    public static bool IsSocket(string path) =>
        FileType(path, out var type) == 0 && type == LibC.S_IFSOCK;

    /// <summary>The <c>S_IFMT</c> bits of <paramref name="path"/> (not following a symbolic link); 0, or -1 with errno.</summary>
    private static unsafe int FileType(string path, out int type)
    {
        using var name = new NativeUtf8String(path);
        Tmds.Linux.statx stat;
        var result = TmdsLibC.statx(LibC.AT_FDCWD, name.Pointer, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_TYPE, &stat);
        type = result == 0 ? stat.stx_mode & LibC.S_IFMT : 0;
        return result;
    }

    /// <summary>Gives the file <paramref name="existing"/> the second name <paramref name="path"/>; fails with EEXIST rather than replace a file.</summary>
    private static unsafe bool Link(string existing, string path)
    {
        using var from = new NativeUtf8String(existing);
        using var to = new NativeUtf8String(path);
        return TmdsLibC.link(from.Pointer, to.Pointer) == 0;
    }

    /// <summary>
    /// Removes the socket file at <paramref name="path"/> unless a process accepts on it: the daemon's own socket once
    /// it stopped listening, never a successor's that replaced it. Failures are ignored (the next start removes a
    /// stale socket).
    /// </summary>
    public static void RemoveIfUnserved(string path)
    {
        if (!IsSocket(path))
        {
            return;
        }
        using (var probe = Probe(path))
        {
            if (probe is not null)
            {
                return;
            }
        }
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Stopping anyway.
        }
    }

    /// <summary>Removes a socket nobody accepts on; refuses a live one or a file that is not a socket.</summary>
    private static void RemoveStale(string path)
    {
        if (FileType(path, out var type) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.ENOENT)
            {
                return;
            }
            throw new StartupException($"--api-socket: {path} cannot be examined: {LibC.StrError(errno)}");
        }
        if (type != LibC.S_IFSOCK)
        {
            throw new StartupException($"--api-socket: {path} exists and is not a socket (it is left as it is)");
        }
        using (var probe = Probe(path))
        {
            if (probe is not null)
            {
                throw new StartupException($"--api-socket: {path} is served by another running process{PeerDescription(probe)}");
            }
        }
        // Nobody accepts: the socket of a daemon that died.
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"--api-socket: the stale socket {path} cannot be removed: {ex.Message}", ex);
        }
    }

    /// <summary>A connection to the socket at <paramref name="path"/>, or null when nobody accepts on it.</summary>
    private static Socket? Probe(string path)
    {
        var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return probe;
        }
        catch (SocketException)
        {
            probe.Dispose();
            return null;
        }
    }

    /// <summary>" (pid N)" for the process that listens at the other end (SO_PEERCRED), or "" when it cannot be known.</summary>
    private static string PeerDescription(Socket connected)
    {
        Span<byte> credentials = stackalloc byte[12]; // struct ucred: pid, uid, gid
        try
        {
            return connected.GetRawSocketOption(LibC.SOL_SOCKET, LibC.SO_PEERCRED, credentials) == credentials.Length
                ? $" (pid {BitConverter.ToInt32(credentials)})"
                : "";
        }
        catch (SocketException)
        {
            return "";
        }
    }
}
