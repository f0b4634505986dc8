using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux;

/// <summary>
/// One queue of an AF_PACKET port: a packet socket bound to one interface, with a memory-mapped receive ring
/// (<see cref="AfPacketRxRing"/>: TPACKET_V2 or TPACKET_V3) and batched transmission through <c>sendmmsg</c>.
/// </summary>
/// <remarks>
/// What: the socket and everything that does not depend on the ring version: its options, bind, fanout, promiscuous
/// mode, transmission, the socket error and the kernel's ring drop counter. TX fills one <c>mmsghdr</c> per frame with
/// two iovecs, [virtio_net_hdr, frame], and sends the batch with one <c>sendmmsg</c>; the headers, iovecs and message
/// headers live in native memory allocated once per queue.
/// Why these choices:
/// - <c>sendmmsg</c> instead of a TX ring: each frame may be a 64 KiB GSO super-frame with its own virtio header, which
///   a fixed-frame TX ring would have to size for the worst case; one system call per batch is the same cost.
/// - <c>PACKET_IGNORE_OUTGOING</c> plus a check of <c>sll_pkttype</c> (in the rings) keep frames leaving the interface
///   (ours or the host stack's) out of RX; <c>PACKET_QDISC_BYPASS</c> hands TX straight to the driver.
/// - A GSO super-frame on an interface without TSO (or GSO) must be segmented by the kernel, which the bypass path
///   (<c>dev_direct_xmit</c>) does not do: it drops the frame and <c>sendmmsg</c> fails with <c>ENOBUFS</c>. The first
///   time a GSO frame fails that way the queue turns the bypass off (the regular transmit path segments and completes
///   checksums in software) and sends the frame again.
/// - Ring drops (<c>PACKET_STATISTICS</c>, which resets on read, so the port accumulates them) are read off the
///   per-packet path: after a frame carried <c>TP_STATUS_LOSING</c> (the kernel sets it on every frame it writes while
///   its drop counter is not zero, so the counter is read only while frames are being lost), at most once per
///   <see cref="DropsReadIntervalMs"/>, and when the ring is found empty twice in a row. Drops the kernel counted after
///   the last frame of a burst are therefore reported with a later frame.
/// Errors: a socket error (the kernel sets ENETDOWN when the interface goes down or is deleted, and then polls
/// EPOLLERR) is read with <c>SO_ERROR</c> when Receive finds the ring empty twice in a row (once is the normal end of a
/// burst; twice means the worker woke up for something other than frames) and is returned to the port, which decides
/// whether it is fatal.
/// Thread-safety: used by one worker only.
/// </remarks>
internal sealed unsafe class AfPacketQueue : IDisposable
{
    /// <summary>Socket send buffer: a batch of 32 GSO frames in flight.</summary>
    public const int SendBufferSize = 4 << 20;

    /// <summary>
    /// Least time between two reads of the ring drop counter while frames keep signalling drops: a ring that overflows
    /// for seconds signals them in every batch, and one system call per batch is measurable at 64-byte rates.
    /// </summary>
    public const int DropsReadIntervalMs = 100;

    private int _fd;
    private AfPacketRxRing? _ring;
    private bool _qdiscBypass;
    private int _emptyReceives;
    private long _dropsReadAt = long.MinValue / 2;

    // Transmit scratch, allocated once: PacketBatch.MaxSize message headers, two iovecs and one virtio header each.
    private byte* _txMemory;
    private mmsghdr* _msgs;
    private iovec* _iov;
    private VirtioNetHeader* _vnet;

    private AfPacketQueue(int fd)
    {
        _fd = fd;
    }

    /// <summary>The packet socket (what the worker polls).</summary>
    public int Fd => _fd;

    /// <summary>The receive ring's version.</summary>
    public AfPacketRx Rx => _ring!.Version;

    /// <summary>The fanout group this socket joined, or -1.</summary>
    public int FanoutGroup { get; private set; } = -1;

    /// <summary>
    /// Opens a queue on interface <paramref name="ifIndex"/> with an RX ring of version <paramref name="rx"/>. With
    /// <paramref name="fanout"/> the socket joins hash fanout group <paramref name="fanoutGroup"/>, or creates a group
    /// with a kernel-chosen unique id when it is -1.
    /// </summary>
    public static AfPacketQueue Open(string device, int ifIndex, AfPacketRx rx, bool fanout, int fanoutGroup, bool promiscuous)
    {
        // Protocol 0: no frames are queued before the ring exists; bind() below starts reception on one interface.
        var fd = TmdsLibC.socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new PortException($"{device}: cannot open a packet socket: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        var queue = new AfPacketQueue(fd);
        try
        {
            queue.Configure(device, ifIndex, rx, fanout, fanoutGroup, promiscuous);
            return queue;
        }
        catch
        {
            queue.Dispose();
            throw;
        }
    }

    private void Configure(string device, int ifIndex, AfPacketRx rx, bool fanout, int fanoutGroup, bool promiscuous)
    {
        // The order matters: the virtio header and version must be set before the ring, the ring before bind.
        SetOption(device, LibC.SOL_PACKET, LibC.PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
        _ring = AfPacketRxRing.Create(rx, device, _fd);

        // Older kernels lack PACKET_IGNORE_OUTGOING (4.20); the sll_pkttype check covers them.
        var one = 1;
        _ = TmdsLibC.setsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, &one, sizeof(int));
        SetOption(device, LibC.SOL_PACKET, LibC.PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
        _qdiscBypass = true;
        var sndbuf = SendBufferSize;
        if (TmdsLibC.setsockopt(_fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, &sndbuf, sizeof(int)) != 0)
        {
            _ = TmdsLibC.setsockopt(_fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, &sndbuf, sizeof(int));
        }

        var addr = new sockaddr_ll
        {
            sll_family = LibC.AF_PACKET,
            sll_protocol = BinaryPrimitives.ReverseEndianness((ushort)LibC.ETH_P_ALL),
            sll_ifindex = ifIndex,
        };
        if (TmdsLibC.bind(_fd, (Tmds.Linux.sockaddr*)&addr, (uint)sizeof(sockaddr_ll)) != 0)
        {
            throw Error(device, "bind");
        }

        if (fanout)
        {
            // Joining needs a bound socket. The first queue asks the kernel for a unique group id; the others join it.
            var arg = fanoutGroup < 0
                ? (LibC.PACKET_FANOUT_HASH | LibC.PACKET_FANOUT_FLAG_UNIQUEID) << 16
                : (LibC.PACKET_FANOUT_HASH << 16) | fanoutGroup;
            if (TmdsLibC.setsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_FANOUT, &arg, sizeof(int)) != 0)
            {
                throw Error(device, "PACKET_FANOUT");
            }
            var value = 0;
            var length = (uint)sizeof(int);
            if (TmdsLibC.getsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_FANOUT, &value, (Tmds.Linux.socklen_t*)&length) != 0)
            {
                throw Error(device, "reading PACKET_FANOUT");
            }
            FanoutGroup = value & 0xFFFF;
        }

        if (promiscuous)
        {
            // Hardware NICs filter by destination MAC; a switch port needs every frame. Dropped when the socket closes.
            var mreq = new packet_mreq { mr_ifindex = ifIndex, mr_type = LibC.PACKET_MR_PROMISC };
            if (TmdsLibC.setsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_ADD_MEMBERSHIP, &mreq, (uint)sizeof(packet_mreq)) != 0)
            {
                throw Error(device, "PACKET_ADD_MEMBERSHIP promiscuous");
            }
        }

        var msgsSize = sizeof(mmsghdr) * PacketBatch.MaxSize;
        var iovSize = sizeof(iovec) * 2 * PacketBatch.MaxSize;
        _txMemory = (byte*)NativeMemory.AlignedAlloc((nuint)(msgsSize + iovSize + (VirtioNetHeader.Size * PacketBatch.MaxSize)), 64);
        NativeMemory.Clear(_txMemory, (nuint)(msgsSize + iovSize));
        _msgs = (mmsghdr*)_txMemory;
        _iov = (iovec*)(_txMemory + msgsSize);
        _vnet = (VirtioNetHeader*)(_txMemory + msgsSize + iovSize);
        for (var i = 0; i < PacketBatch.MaxSize; i++)
        {
            _msgs[i].msg_hdr.msg_iov = _iov + (2 * i);
            _msgs[i].msg_hdr.msg_iovlen = 2;
            _iov[2 * i].iov_base = _vnet + i;
            _iov[2 * i].iov_len = VirtioNetHeader.Size;
        }
    }

    private void SetOption(string device, int level, int name, int value, string what)
    {
        if (TmdsLibC.setsockopt(_fd, level, name, &value, sizeof(int)) != 0)
        {
            throw Error(device, what);
        }
    }

    private static PortException Error(string device, string what) =>
        new($"{device}: {what} failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");

    /// <summary>
    /// Copies up to a batch of frames out of the ring and adds the kernel's ring drops to
    /// <see cref="PortErrors.RxRingDrops"/> when a frame signalled some. <paramref name="socketError"/> is the pending
    /// socket error when one was found (only checked when the ring is empty twice in a row), else 0.
    /// </summary>
    public int Receive(PacketBatch batch, ref PortErrors errors, out int socketError)
    {
        socketError = 0;
        var ring = _ring!;
        var count = ring.Receive(batch, ref errors);
        if (ring.DropsPending && Environment.TickCount64 - _dropsReadAt >= DropsReadIntervalMs)
        {
            ring.DropsPending = false;
            _dropsReadAt = Environment.TickCount64;
            errors.RxRingDrops += ring.ReadDrops();
        }
        if (count > 0)
        {
            _emptyReceives = 0;
        }
        else if (++_emptyReceives > 1)
        {
            socketError = ReadSocketError();
            ring.DropsPending = false;
            errors.RxRingDrops += ring.ReadDrops();
        }
        return count;
    }

    /// <summary>Reads and clears the socket's pending error (<c>SO_ERROR</c>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ReadSocketError()
    {
        var error = 0;
        var length = (uint)sizeof(int);
        return TmdsLibC.getsockopt(_fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, (Tmds.Linux.socklen_t*)&length) == 0 ? error : 0;
    }

    /// <summary>
    /// Sends the batch with <c>sendmmsg</c>; returns how many frames the kernel took. <paramref name="hardError"/> is
    /// set to ENETDOWN, ENXIO or ENODEV when the interface is down or gone (the rest of the batch is not tried).
    /// </summary>
    public int Transmit(PacketBatch batch, ref PortErrors errors, out int hardError)
    {
        hardError = 0;
        var count = batch.Count;
        for (var i = 0; i < count; i++)
        {
            ref var frame = ref batch[i];
            _vnet[i] = frame.Vnet;
            _iov[(2 * i) + 1].iov_base = frame.Data;
            _iov[(2 * i) + 1].iov_len = (nuint)frame.Length;
        }

        var sent = 0;
        var start = 0;
        while (start < count)
        {
            var n = LibC.sendmmsg(_fd, _msgs + start, (uint)(count - start), 0);
            if (n > 0)
            {
                sent += n;
                start += n;
                continue;
            }
            if (n == 0)
            {
                break;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                continue;
            }
            if (errno == LibC.ENOBUFS && _qdiscBypass && batch[start].Vnet.IsGso && DisableQdiscBypass())
            {
                continue;
            }
            if (errno is LibC.EAGAIN or LibC.ENOBUFS)
            {
                break;
            }
            errors.TxErrors++;
            if (errno is LibC.ENETDOWN or LibC.ENXIO or LibC.ENODEV)
            {
                hardError = errno;
                break;
            }
            // The kernel refused this frame (too large, bad virtio header): skip it and send the rest.
            start++;
        }
        return sent;
    }

    /// <summary>Switches transmission to the regular path, which segments GSO frames the interface can not take.</summary>
    private bool DisableQdiscBypass()
    {
        var zero = 0;
        if (TmdsLibC.setsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_QDISC_BYPASS, &zero, sizeof(int)) != 0)
        {
            return false;
        }
        _qdiscBypass = false;
        return true;
    }

    public void Dispose()
    {
        _ring?.Dispose();
        _ring = null;
        if (_fd >= 0)
        {
            _ = TmdsLibC.close(_fd);
            _fd = -1;
        }
        if (_txMemory != null)
        {
            NativeMemory.AlignedFree(_txMemory);
            _txMemory = null;
        }
    }
}
