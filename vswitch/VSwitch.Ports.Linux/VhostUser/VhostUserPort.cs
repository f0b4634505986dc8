using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>
/// A port on a VM's virtio-net NIC through a vhost-user socket: <c>vhostuser:PATH[?mode=server|client]</c>. Frames move
/// through the VM's virtqueues in memory the front-end (QEMU, DPDK's virtio-user) shares with the switch; no frame
/// crosses the kernel.
/// </summary>
/// <remarks>
/// <para><b>What.</b> One <see cref="VhostUserQueue"/> per worker (queue pair w: the guest's RX ring 2w and TX ring
/// 2w+1), and a control thread that owns the socket: in <see cref="VhostUserMode.Server"/> mode it listens on PATH and
/// serves one front-end at a time, taking the next after one disconnects; in <see cref="VhostUserMode.Client"/> mode it
/// connects to PATH and reconnects (every 100 ms to 1 s) after the front-end or the switch restarts, so neither needs
/// the other restarted. Each connection is a <see cref="VhostUserSession"/>.</para>
/// <para><b>Status.</b> While no front-end is connected the port is up but has no rings: frames to it count as
/// <c>port_down</c>. A guest that breaks its rings (an index or address out of range, a loop) costs it the port:
/// <see cref="Failure"/> says why and the control plane reports the port down. A front-end that breaks the protocol
/// only loses its connection (<see cref="Details"/>' <c>last_error</c>).</para>
/// <para><b>Thread-safety.</b> Queue q is used only by worker q; the control thread swaps what the queues use and waits
/// for the workers (<see cref="VhostUserQueue"/>).</para>
/// </remarks>
public sealed unsafe class VhostUserPort : IPort
{
    private readonly VhostUserQueue[] _queues;
    private readonly Thread _control;
    private readonly ManualResetEventSlim _stopping = new(false);
    private readonly object _gate = new();
    private int _listenFd = -1;
    private VhostUserChannel? _channel;
    private VhostUserSession? _session;
    private string? _failure;
    private string? _lastError;
    private long _connections;
    private int _disposed;

    private VhostUserPort(VhostUserDevice device, int queueCount, TimeSpan stallTimeout)
    {
        Parsed = device;
        StallTimeout = stallTimeout;
        Device = device.ToString();
        QueueCount = queueCount;
        _queues = new VhostUserQueue[queueCount];
        for (var q = 0; q < queueCount; q++)
        {
            _queues[q] = new VhostUserQueue(q);
        }
        _control = new Thread(Serve) { IsBackground = true, Name = $"vhost-user {device.Path}" };
    }

    /// <summary>How long a guest may leave its receive ring full, taking no frame at all, before the port reports link down.</summary>
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Opens the port: in server mode binds the socket now (so the path exists when this returns), then serves.</summary>
    /// <exception cref="PortException">The socket cannot be created (its directory is missing, another process serves it).</exception>
    public static VhostUserPort Open(VhostUserDevice device, int queueCount, TimeSpan? stallTimeout = null)
    {
        if (queueCount < 1 || queueCount > 128)
        {
            throw new PortException($"{device}: queue count {queueCount} is not 1..128");
        }
        var port = new VhostUserPort(device, queueCount, stallTimeout ?? DefaultStallTimeout);
        try
        {
            if (device.Mode == VhostUserMode.Server)
            {
                port._listenFd = Listen(device);
            }
        }
        catch
        {
            port.Dispose();
            throw;
        }
        port._control.Start();
        return port;
    }

    /// <summary>The parsed device string.</summary>
    public VhostUserDevice Parsed { get; }

    public string Device { get; }

    public int QueueCount { get; }

    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>
    /// Why the port cannot carry frames: no front-end, or one whose driver has not started a queue pair yet (a VM
    /// still booting, or with its NIC's driver unloaded), as Open vSwitch reports such a vhost-user port's link down.
    /// </summary>
    /// <remarks>
    /// Also down while a guest has left a receive ring full for <see cref="StallTimeout"/> and taken no frame at all (a
    /// hung guest or driver): the frames meanwhile count as tx_failed, and the first frame it takes again brings the
    /// port back. Open vSwitch only counts such drops; the status tells the operator which VM stopped listening.
    /// </remarks>
    public string? LinkDown => Volatile.Read(ref _session) switch
    {
        null when Parsed.Mode == VhostUserMode.Server => $"waiting for the VM's vhost-user front-end to connect to {Parsed.Path}",
        null => $"connecting to the VM's vhost-user front-end at {Parsed.Path}",
        { ActivePairs: 0 } => "the VM's vhost-user front-end is connected but its driver has not started the rings",
        _ => Stalled(),
    };

    /// <summary>How long a full receive ring may take no frame before the port is down (<see cref="DefaultStallTimeout"/>).</summary>
    public TimeSpan StallTimeout { get; }

    private string? Stalled()
    {
        var now = Environment.TickCount64;
        foreach (var queue in _queues)
        {
            var since = queue.FullSince;
            if (since != 0 && now - since >= (long)StallTimeout.TotalMilliseconds)
            {
                return $"the VM has taken no frame for {(now - since) / 1000.0:F0} s: its receive ring {queue.Index} stays full (a hung guest or driver)";
            }
        }
        return null;
    }

    /// <summary>True while a front-end is connected.</summary>
    public bool Connected => Volatile.Read(ref _session) is not null;

    /// <summary>Connections served so far.</summary>
    public long Connections => Interlocked.Read(ref _connections);

    /// <summary>Queue pairs whose rings run now.</summary>
    public int ActiveQueuePairs => Volatile.Read(ref _session)?.ActivePairs ?? 0;

    public IReadOnlyDictionary<string, string> Details
    {
        get
        {
            var session = Volatile.Read(ref _session);
            var details = new Dictionary<string, string>
            {
                ["queues"] = QueueCount.ToString(CultureInfo.InvariantCulture),
                ["mode"] = Parsed.Mode == VhostUserMode.Client ? "client" : "server",
                ["frontend"] = Failure is not null ? "failed" : session is not null ? "connected" : "waiting",
                ["queue_pairs"] = (session?.ActivePairs ?? 0).ToString(CultureInfo.InvariantCulture),
                ["ring_full_drops"] = _queues.Sum(q => Interlocked.Read(ref q.RingFull)).ToString(CultureInfo.InvariantCulture),
            };
            if (session is not null)
            {
                details["offloads"] = session.Offloads.Describe();
            }
            if (Volatile.Read(ref _lastError) is { } error)
            {
                details["last_error"] = error;
            }
            return details;
        }
    }

    public int GetReadyFd(int queue) => _queues[queue].EpollFd;

    public int Receive(int queue, PacketBatch batch, ref PortErrors errors)
    {
        batch.Count = 0;
        if (_failure is not null)
        {
            return 0;
        }
        var n = _queues[queue].Receive(batch, ref errors, out var failure);
        if (failure is not null)
        {
            Fail(failure);
        }
        return n;
    }

    public int Transmit(int queue, PacketBatch batch, ref PortErrors errors)
    {
        if (_failure is not null)
        {
            return 0;
        }
        var n = _queues[queue].Transmit(batch, ref errors, out var failure);
        if (failure is not null)
        {
            Fail(failure);
        }
        return n;
    }

    /// <summary>The guest broke a ring: the port fails for good (its rings are never touched again).</summary>
    private void Fail(string why) => Interlocked.CompareExchange(ref _failure, $"guest error: {why}", null);

    /// <summary>The control thread: one front-end connection after another until the port closes.</summary>
    private void Serve()
    {
        var backoff = 100;
        while (!_stopping.IsSet)
        {
            int fd;
            try
            {
                fd = Parsed.Mode == VhostUserMode.Server ? Accept() : Connect();
            }
            catch (PortException ex)
            {
                Volatile.Write(ref _lastError, ex.Message);
                fd = -1;
            }
            if (fd < 0)
            {
                if (_stopping.Wait(backoff))
                {
                    return;
                }
                backoff = Math.Min(backoff * 2, 1000);
                continue;
            }
            backoff = 100;
            var channel = new VhostUserChannel(fd);
            var session = new VhostUserSession(channel, _queues);
            lock (_gate)
            {
                if (_stopping.IsSet)
                {
                    channel.Dispose();
                    return;
                }
                _channel = channel;
            }
            Interlocked.Increment(ref _connections);
            Volatile.Write(ref _session, session);
            try
            {
                session.Run();
                Volatile.Write(ref _lastError, "the front-end disconnected");
            }
            catch (VhostUserException ex)
            {
                Volatile.Write(ref _lastError, ex.Message);
            }
            finally
            {
                Volatile.Write(ref _session, null);
                lock (_gate)
                {
                    _channel = null;
                }
                channel.Dispose();
            }
        }
    }

    private int Accept()
    {
        var fd = TmdsLibC.accept4(_listenFd, null, null, LibC.SOCK_CLOEXEC);
        if (fd < 0 && !_stopping.IsSet)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                throw new PortException($"{Device}: accept: {LibC.StrError(errno)}");
            }
        }
        return fd;
    }

    private int Connect()
    {
        var fd = TmdsLibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new PortException($"{Device}: socket: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        var address = Address(Parsed.Path);
        if (TmdsLibC.connect(fd, (Tmds.Linux.sockaddr*)&address, (uint)sizeof(sockaddr_un)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            TmdsLibC.close(fd);
            // Nobody listens yet (the VM is not started, or restarting): try again later, quietly.
            Volatile.Write(ref _lastError, $"connect: {LibC.StrError(errno)}");
            return -1;
        }
        return fd;
    }

    /// <summary>Binds and listens on the path; a stale socket file is replaced, a live one (another process) refused.</summary>
    private static int Listen(VhostUserDevice device)
    {
        var directory = System.IO.Path.GetDirectoryName(device.Path);
        if (directory is null || !Directory.Exists(directory))
        {
            throw new PortException($"{device}: directory {directory} does not exist");
        }
        if (File.Exists(device.Path) || Directory.Exists(device.Path))
        {
            if (IsServed(device.Path))
            {
                throw new PortException($"{device}: {device.Path} is served by another process");
            }
            if ((File.GetAttributes(device.Path) & FileAttributes.Directory) != 0 || !Unlink(device.Path))
            {
                throw new PortException($"{device}: {device.Path} exists and cannot be replaced");
            }
        }
        var fd = TmdsLibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new PortException($"{device}: socket: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        var address = Address(device.Path);
        if (TmdsLibC.bind(fd, (Tmds.Linux.sockaddr*)&address, (uint)sizeof(sockaddr_un)) != 0 || TmdsLibC.listen(fd, 1) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            TmdsLibC.close(fd);
            throw new PortException($"{device}: bind/listen on {device.Path}: {LibC.StrError(errno)}");
        }
        // QEMU (or libvirt's qemu user) must be able to connect: owner and group read and write.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(device.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        }
        return fd;
    }

    private static bool IsServed(string path)
    {
        var fd = TmdsLibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            return false;
        }
        try
        {
            var address = Address(path);
            return TmdsLibC.connect(fd, (Tmds.Linux.sockaddr*)&address, (uint)sizeof(sockaddr_un)) == 0;
        }
        finally
        {
            TmdsLibC.close(fd);
        }
    }

    private static sockaddr_un Address(string path)
    {
        var address = default(sockaddr_un);
        address.sun_family = LibC.AF_UNIX;
        var bytes = Encoding.UTF8.GetBytes(path);
        for (var i = 0; i < bytes.Length && i < 107; i++)
        {
            address.sun_path[i] = bytes[i];
        }
        return address;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping.Set();
        lock (_gate)
        {
            _channel?.Shutdown();
        }
        if (_listenFd >= 0)
        {
            // Unblocks accept (EINVAL) without closing a descriptor another thread is using.
            TmdsLibC.shutdown(_listenFd, LibC.SHUT_RDWR);
        }
        if (_control.IsAlive)
        {
            _control.Join();
        }
        if (_listenFd >= 0)
        {
            TmdsLibC.close(_listenFd);
            Unlink(Parsed.Path);
            _listenFd = -1;
        }
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
        _stopping.Dispose();
    }

    private static unsafe bool Unlink(string path)
    {
        using var name = new NativeUtf8String(path);
        return TmdsLibC.unlink(name.Pointer) == 0;
    }
}
