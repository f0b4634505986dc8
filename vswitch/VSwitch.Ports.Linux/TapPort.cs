using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux;

/// <summary>
/// A port on a TAP device the switch creates and owns: <c>tap:NAME[@NETNS][?io=uring|syscalls]</c>. The kernel
/// interface NAME is the VM's NIC (optionally moved into the VM's network namespace); the switch holds one
/// <c>/dev/net/tun</c> queue per worker.
/// </summary>
/// <remarks>
/// What: <c>IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR</c>, one non-blocking file descriptor per queue,
/// <c>TUNSETPERSIST</c> so the interface outlives the process (a daemon killed with -9 re-attaches to it), and
/// <c>TUNSETOFFLOAD</c> with CSUM, TSO4 and TSO6 so the VM side may hand us partial-checksum frames and 64 KiB TCP
/// super-frames. Every frame is preceded by a 10-byte <c>virtio_net_hdr</c>: receive reads it into
/// <see cref="Frame.Vnet"/>, transmit writes it back, so checksum and segmentation work is left to the kernel that
/// finally needs it. Two I/O paths (<see cref="Io"/>): <c>io=syscalls</c>, one <c>readv</c> per frame (the header,
/// the buffer and one overflow byte that tells a too-long frame, until EAGAIN or 32 frames) and one <c>writev</c> per
/// frame; <c>io=uring</c>, the same reads and writes batched per <c>io_uring_enter</c> (<see cref="TapUringQueue"/>,
/// one ring per queue). Without <c>io=</c> a port uses io_uring
/// when it can be set up and otherwise falls back to the system calls, saying why in <see cref="IoFallbackReason"/>;
/// an explicit <c>io=uring</c> that cannot be set up fails the open.
/// Opening with a namespace follows ARCHITECTURE.md §1: re-attach inside the namespace if the device is already there
/// (a previous run), else attach or create it in the switch's namespace and move it in with
/// <c>RTM_NEWLINK</c>/<c>IFLA_NET_NS_FD</c>, then set the MAC (before up) and bring it up.
/// Dispose clears persistence and closes the queues, which makes the kernel delete the device; if it is still there
/// (another process holds a queue) it is deleted through rtnetlink in its namespace.
/// Failure: a deleted device makes every queue read fail with EBADFD (and poll report EPOLLERR). The first hard error
/// sets <see cref="Failure"/>; from then on Receive and Transmit return 0 without a system call.
/// Thread-safety: queue q is used only by worker q; <see cref="Failure"/> is published with Interlocked/Volatile.
/// Quirk: queues opened inside a namespace (the re-attach path) hold a reference on it, so after a re-attach
/// <c>ip netns del</c> only unlinks the name; the namespace and the device live until the port is deleted.
/// Measured (2-core test VM, Release, ForwardingTests with 1 GiB of TCP and one relay thread for both ports): about
/// 3 Gbit/s TAP→AF_PACKET and 2 Gbit/s back; over 80% of the frames were GSO super-frames, so the per-frame system
/// call is amortised over ~60 KB.
/// </remarks>
public sealed unsafe class TapPort : IPort
{
    /// <summary>The TUNSETIFF flags of every queue.</summary>
    public const int TapFlags = LibC.IFF_TAP | LibC.IFF_NO_PI | LibC.IFF_MULTI_QUEUE | LibC.IFF_VNET_HDR;

    /// <summary>Offloads the switch accepts from the device: partial checksums and TCP segmentation (v4, v6).</summary>
    public const uint Offloads = LibC.TUN_F_CSUM | LibC.TUN_F_TSO4 | LibC.TUN_F_TSO6;

    /// <summary>The kernel's limit on queues per TAP device (<c>MAX_TAP_QUEUES</c>).</summary>
    public const int MaxQueues = 256;

    private const string TunPath = "/dev/net/tun";

    private readonly int[] _fds;

    /// <summary>One io_uring per queue with <see cref="TapIo.Uring"/>, else null.</summary>
    private readonly TapUringQueue[]? _uring;
    private string? _failure;
    private int _disposed;

    private TapPort(string device, string name, string? ns, int ifIndex, int[] fds, TapUringQueue[]? uring, string? ioFallbackReason)
    {
        Device = device;
        Name = name;
        Namespace = ns;
        IfIndex = ifIndex;
        _fds = fds;
        _uring = uring;
        IoFallbackReason = ioFallbackReason;
    }

    public string Device { get; }

    /// <summary>The kernel interface name.</summary>
    public string Name { get; }

    /// <summary>The namespace the interface lives in, or null for the switch's own.</summary>
    public string? Namespace { get; }

    /// <summary>The interface index inside its namespace.</summary>
    public int IfIndex { get; }

    public int QueueCount => _fds.Length;

    /// <summary>How the queues read and write frames.</summary>
    public TapIo Io => _uring is null ? TapIo.Syscalls : TapIo.Uring;

    /// <summary>
    /// Why the port uses <see cref="TapIo.Syscalls"/> although the device string did not ask for it (io_uring could
    /// not be set up), or null.
    /// </summary>
    public string? IoFallbackReason { get; }

    /// <inheritdoc/>
    public string? Fallback => IoFallbackReason is null ? null : $"reads and writes one frame per system call: {IoFallbackReason}";

    public string? Failure => Volatile.Read(ref _failure);

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Details
    {
        get
        {
            var details = new Dictionary<string, string>
            {
                ["queues"] = QueueCount.ToString(CultureInfo.InvariantCulture),
                ["io"] = DeviceString.OptionValue(Io),
            };
            if (IoFallbackReason is not null)
            {
                details["io_fallback"] = IoFallbackReason;
            }
            return details;
        }
    }

    /// <summary>Opens (creating, re-attaching or moving as needed) the TAP port <paramref name="device"/>.</summary>
    public static TapPort Open(string device, int queueCount, MacAddress? mac = null)
    {
        var parsed = DeviceString.Parse(device);
        if (parsed.Kind != LinuxPortKind.Tap)
        {
            throw new PortException($"device '{device}' is not a tap: device");
        }
        if (queueCount is < 1 or > MaxQueues)
        {
            throw new PortException($"{device}: queue count {queueCount} is outside 1..{MaxQueues}");
        }
        var name = parsed.Name;

        using var ns = parsed.Namespace is null ? null : NetworkNamespace.Open(parsed.Namespace);
        var nl = ns is null ? Rtnetlink.Open() : ns.Run(Rtnetlink.Open);
        int[] fds;
        bool created;
        try
        {
            if (ns is null)
            {
                created = nl.GetLink(name) is null;
                fds = OpenQueues(device, name, queueCount, created);
            }
            else if (nl.GetLink(name) is not null)
            {
                // A previous run left the device in the namespace: attach to it there.
                created = false;
                fds = ns.Run(() => OpenQueues(device, name, queueCount, created: false));
            }
            else
            {
                // Attach to (or create) the device in the switch's namespace, then move it in.
                using var host = Rtnetlink.Open();
                created = host.GetLink(name) is null;
                fds = OpenQueues(device, name, queueCount, created);
                var errno = host.GetLink(name) is { } link ? host.MoveToNamespace(link.Index, ns.Fd) : LibC.ENODEV;
                if (errno != 0)
                {
                    CloseQueues(fds, clearPersist: created);
                    throw new PortException($"{device}: moving interface {name} into namespace '{ns.Name}' failed: {LibC.StrError(errno)}");
                }
            }
        }
        catch
        {
            nl.Dispose();
            throw;
        }

        using (nl)
        {
            try
            {
                var where = ns is null ? "" : $" in namespace '{ns.Name}'";
                var link = nl.GetLink(name) ?? throw new PortException($"{device}: interface {name} vanished{where} while it was being opened");
                if (mac is { } wanted && link.Address != wanted)
                {
                    var errno = nl.SetAddress(link.Index, wanted);
                    if (errno == LibC.EBUSY && link.IsUp)
                    {
                        // Drivers without live address change want the link down first.
                        _ = nl.SetUp(link.Index, up: false);
                        errno = nl.SetAddress(link.Index, wanted);
                        link = link with { Flags = link.Flags & ~(uint)LibC.IFF_UP };
                    }
                    if (errno != 0)
                    {
                        throw new PortException($"{device}: setting MAC {wanted} on {name}{where} failed: {LibC.StrError(errno)}");
                    }
                }
                if (!link.IsUp)
                {
                    var errno = nl.SetUp(link.Index, up: true);
                    if (errno != 0)
                    {
                        throw new PortException($"{device}: bringing {name}{where} up failed: {LibC.StrError(errno)}");
                    }
                }
                var (uring, fallback) = OpenIo(device, parsed.Io, fds);
                return new TapPort(device, name, parsed.Namespace, link.Index, fds, uring, fallback);
            }
            catch
            {
                CloseQueues(fds, clearPersist: created);
                throw;
            }
        }
    }

    /// <summary>
    /// Sets up the I/O path <paramref name="io"/> asks for: io_uring rings for <see cref="TapIo.Uring"/> (an error if
    /// they cannot be set up), none for <see cref="TapIo.Syscalls"/>, and for null (the default) rings if possible,
    /// else the system calls with the reason.
    /// </summary>
    private static (TapUringQueue[]? Uring, string? FallbackReason) OpenIo(string device, TapIo? io, int[] fds)
    {
        if (io == TapIo.Syscalls)
        {
            return (null, null);
        }
        if (TapUringQueue.TryCreate(fds, out var uring, out var error))
        {
            return (uring, null);
        }
        return io == TapIo.Uring
            ? throw new PortException($"{device}: io=uring cannot be used: {error}")
            : (null, $"io_uring not available ({error}); using readv/writev");
    }

    /// <summary>
    /// Opens <paramref name="count"/> queues of TAP device <paramref name="name"/> in the calling thread's namespace.
    /// On failure the queues opened so far are closed, and a device this call <paramref name="created"/> is removed.
    /// </summary>
    private static int[] OpenQueues(string device, string name, int count, bool created)
    {
        var fds = new int[count];
        var opened = 0;
        try
        {
            for (; opened < count; opened++)
            {
                fds[opened] = OpenQueue(device, name, first: opened == 0);
            }
            return fds;
        }
        catch
        {
            CloseQueues(fds.AsSpan(0, opened), clearPersist: created);
            throw;
        }
    }

    private static int OpenQueue(string device, string name, bool first)
    {
        int fd;
        using (var path = new NativeUtf8String(TunPath))
        {
            fd = TmdsLibC.open(path.Pointer, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        }
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new PortException($"{device}: cannot open {TunPath}: {LibC.StrError(errno)}");
        }
        try
        {
            var ifr = default(ifreq);
            var length = System.Text.Encoding.ASCII.GetBytes(name, new Span<byte>(ifr.ifr_name, LibC.IFNAMSIZ - 1));
            ifr.ifr_name[length] = 0;
            ifr.ifr_flags = TapFlags;
            if (TmdsLibC.ioctl(fd, unchecked((int)LibC.TUNSETIFF), &ifr) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new PortException(errno switch
                {
                    LibC.EINVAL => $"{device}: interface {name} exists but is not a multi-queue TAP device with virtio-net headers",
                    LibC.EBUSY => $"{device}: TAP device {name} is busy (attached exclusively by another process)",
                    LibC.EPERM => $"{device}: not permitted to create or attach TAP device {name} (needs CAP_NET_ADMIN)",
                    _ => $"{device}: TUNSETIFF {name} failed: {LibC.StrError(errno)}",
                });
            }
            var vnetSize = VirtioNetHeader.Size;
            if (TmdsLibC.ioctl(fd, unchecked((int)LibC.TUNSETVNETHDRSZ), &vnetSize) != 0)
            {
                throw new PortException($"{device}: TUNSETVNETHDRSZ failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
            }
            if (first)
            {
                if (TmdsLibC.ioctl(fd, unchecked((int)LibC.TUNSETPERSIST), 1) != 0)
                {
                    throw new PortException($"{device}: TUNSETPERSIST failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
                }
                if (TmdsLibC.ioctl(fd, unchecked((int)LibC.TUNSETOFFLOAD), (int)Offloads) != 0)
                {
                    throw new PortException($"{device}: TUNSETOFFLOAD failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
                }
            }
            return fd;
        }
        catch
        {
            _ = TmdsLibC.close(fd);
            throw;
        }
    }

    /// <summary>Closes queues; with <paramref name="clearPersist"/> the kernel deletes the device with the last one.</summary>
    private static void CloseQueues(Span<int> fds, bool clearPersist)
    {
        if (clearPersist && fds.Length > 0 && fds[0] >= 0)
        {
            _ = TmdsLibC.ioctl(fds[0], unchecked((int)LibC.TUNSETPERSIST), 0);
        }
        for (var i = 0; i < fds.Length; i++)
        {
            if (fds[i] >= 0)
            {
                _ = TmdsLibC.close(fds[i]);
                fds[i] = -1;
            }
        }
    }

    public int GetReadyFd(int queue) => _fds[queue];

    /// <summary>Test hook: the reads the next receive call on <paramref name="queue"/> queues with io_uring.</summary>
    internal int NextUringReads(int queue) => _uring?[queue].NextReads ?? 0;

    public int Receive(int queue, PacketBatch batch, ref PortErrors errors)
    {
        if (Volatile.Read(ref _failure) is not null)
        {
            return 0;
        }
        if (_uring is not null)
        {
            var received = _uring[queue].Receive(batch, ref errors, out var hardErrno, out var operation);
            if (hardErrno != 0)
            {
                Fail(hardErrno, operation);
            }
            return received;
        }
        var fd = _fds[queue];
        var capacity = (nuint)batch.BufferSize;
        VirtioNetHeader vnet;
        byte overflow;
        // A TAP read cuts a frame longer than the buffers to their size and says nothing, so a third buffer of one
        // byte catches the first byte past the frame buffer: a read that reaches it was too long.
        var iov = stackalloc iovec[3];
        iov[0].iov_base = &vnet;
        iov[0].iov_len = VirtioNetHeader.Size;
        iov[1].iov_len = capacity;
        iov[2].iov_base = &overflow;
        iov[2].iov_len = 1;

        var count = 0;
        while (count < PacketBatch.MaxSize)
        {
            ref var frame = ref batch[count];
            iov[1].iov_base = frame.Data;
            var n = LibC.readv(fd, iov, 3);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR)
                {
                    continue;
                }
                if (errno != LibC.EAGAIN)
                {
                    if (IsHardError(errno, receiving: true))
                    {
                        Fail(errno, "read");
                    }
                    else
                    {
                        errors.RxErrors++;
                    }
                }
                break;
            }
            var length = n - VirtioNetHeader.Size;
            if (length <= 0 || (nuint)length > capacity)
            {
                errors.RxErrors++;
                continue;
            }
            frame.Length = (int)length;
            frame.Vnet = vnet;
            count++;
        }
        batch.Count = count;
        return count;
    }

    public int Transmit(int queue, PacketBatch batch, ref PortErrors errors)
    {
        if (Volatile.Read(ref _failure) is not null)
        {
            return 0;
        }
        if (_uring is not null)
        {
            var taken = _uring[queue].Transmit(batch, ref errors, out var hardErrno, out var operation);
            if (hardErrno != 0)
            {
                Fail(hardErrno, operation);
            }
            return taken;
        }
        var fd = _fds[queue];
        VirtioNetHeader vnet;
        var iov = stackalloc iovec[2];
        iov[0].iov_base = &vnet;
        iov[0].iov_len = VirtioNetHeader.Size;

        var sent = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            ref var frame = ref batch[i];
            vnet = frame.Vnet;
            iov[1].iov_base = frame.Data;
            iov[1].iov_len = (nuint)frame.Length;
            while (true)
            {
                if (LibC.writev(fd, iov, 2) >= 0)
                {
                    sent++;
                    break;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR)
                {
                    continue;
                }
                if (errno is LibC.EAGAIN or LibC.ENOBUFS)
                {
                    return sent;
                }
                if (IsHardError(errno, receiving: false))
                {
                    Fail(errno, "write");
                    return sent;
                }
                // A frame the kernel rejects (bad offload header, too large): count it and go on.
                errors.TxErrors++;
                break;
            }
        }
        return sent;
    }

    /// <summary>Errors after which the queue will never work again (the device is gone).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool IsHardError(int errno, bool receiving) =>
        errno is LibC.EBADFD or LibC.EBADF or LibC.ENXIO or LibC.ENODEV || (receiving && errno is LibC.EIO or LibC.ENETDOWN);

    /// <summary>Records the first failure; the message is built once, off the steady-state path.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fail(int errno, string operation)
    {
        if (Volatile.Read(ref _failure) is null)
        {
            var reason = errno == LibC.EBADFD
                ? $"{Device}: TAP device {Name} was deleted ({operation}: {LibC.StrError(errno)})"
                : $"{Device}: TAP {operation} failed: {LibC.StrError(errno)}";
            Interlocked.CompareExchange(ref _failure, reason, null);
        }
    }

    /// <summary>
    /// Test hook: closes the queues as a killed process would, leaving the device persistent, and marks the port
    /// disposed. A new <see cref="Open"/> of the same device string then re-attaches.
    /// </summary>
    internal void Abandon()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            CloseQueues(_fds, clearPersist: false);
            DisposeUring();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        CloseQueues(_fds, clearPersist: true);
        DisposeUring();
        try
        {
            DeleteIfPresent();
        }
        catch (PortException)
        {
            // Best effort: the namespace may be gone, which took the device with it.
        }
    }

    private void DisposeUring()
    {
        foreach (var queue in _uring ?? [])
        {
            queue.Dispose();
        }
    }

    /// <summary>Deletes the device if it survived the last close (another process still holds a queue).</summary>
    private void DeleteIfPresent()
    {
        if (Namespace is null)
        {
            using var nl = Rtnetlink.Open();
            if (nl.GetLink(Name) is { } link && link.Index == IfIndex)
            {
                _ = nl.Delete(link.Index);
            }
            return;
        }
        if (!NetworkNamespace.Exists(Namespace))
        {
            return;
        }
        using var ns = NetworkNamespace.Open(Namespace);
        ns.Run(() =>
        {
            using var nl = Rtnetlink.Open();
            if (nl.GetLink(Name) is { } link && link.Index == IfIndex)
            {
                _ = nl.Delete(link.Index);
            }
        });
    }
}
