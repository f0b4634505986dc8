using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;

namespace VSwitch.Ports.Linux;

/// <summary>
/// One queue of an AF_PACKET port: a packet socket bound to one interface, with a TPACKET_V3 memory-mapped RX ring and
/// batched transmission through <c>sendmmsg</c>.
/// </summary>
/// <remarks>
/// What: RX is <see cref="BlockCount"/> blocks of <see cref="BlockSize"/> bytes shared with the kernel. The kernel
/// packs frames into the current block and hands it over (<c>TP_STATUS_USER</c>) when it is full or
/// <see cref="RetireTimeoutMs"/> after its first frame. <see cref="Receive"/> walks the frames of handed-over blocks in
/// order, copies each (with the <c>virtio_net_hdr</c> the kernel wrote just before <c>tp_mac</c>) into the batch's
/// buffer, and gives a block back (<c>TP_STATUS_KERNEL</c>) as soon as its last frame is copied. Its position (block,
/// frames left, next frame) survives across calls, so a batch that fills up mid-block resumes there; the socket polls
/// readable while any handed-over block is not yet given back, which keeps epoll level-triggered correct.
/// TX fills one <c>mmsghdr</c> per frame with two iovecs, [virtio_net_hdr, frame], and sends the batch with one
/// <c>sendmmsg</c>; the headers, iovecs and message headers live in native memory allocated once per queue.
/// Why these choices:
/// - Blocks of 1 MiB: a block must hold a whole 64 KiB GSO frame plus headers (TPACKET_V3 truncates a frame to one
///   block), and large blocks amortise the retire. Four blocks give 4 MiB per queue, about 2,600 full-size frames.
/// - A 1 ms retire timeout bounds the latency a lone frame waits in a half-filled block (the minimum the kernel offers).
/// - Frames are copied out rather than processed in place so blocks return to the kernel at once and the batch owns
///   stable buffers; the copy is a memcpy of bytes that are already in cache.
/// - <c>sendmmsg</c> instead of a TX ring: each frame may be a 64 KiB GSO super-frame with its own virtio header, which
///   a fixed-frame TX ring would have to size for the worst case; one system call per batch is the same cost.
/// - VLAN tags the kernel took out of the frame (<c>TP_STATUS_VLAN_VALID</c>, veth and most NICs strip them into
///   metadata) are put back inline, and the virtio header's offsets are moved by 4, so the switch sees the frame the
///   sender sent.
/// - <c>PACKET_IGNORE_OUTGOING</c> plus a check of <c>sll_pkttype</c> keep frames leaving the interface (ours or the
///   host stack's) out of RX; <c>PACKET_QDISC_BYPASS</c> hands TX straight to the driver.
/// Errors: a frame the ring truncated (<c>tp_snaplen &lt; tp_len</c>) or one larger than the batch buffer is counted in
/// <see cref="PortErrors.RxErrors"/> and skipped. A socket error (the kernel sets ENETDOWN when the interface goes down
/// or is deleted, and then polls EPOLLERR) is read with <c>SO_ERROR</c> when Receive finds the ring empty twice in a
/// row (once is the normal end of a burst; twice means the worker woke up for something other than frames) and is
/// returned to the port, which decides whether it is fatal.
/// Thread-safety: used by one worker only.
/// </remarks>
internal sealed unsafe class AfPacketRing : IDisposable
{
    /// <summary>Bytes per RX block (a multiple of the page size, large enough for a 64 KiB GSO frame).</summary>
    public const int BlockSize = 1 << 20;

    /// <summary>RX blocks per queue.</summary>
    public const int BlockCount = 4;

    /// <summary>Nominal frame size of the ring request (TPACKET_V3 packs frames of any size into blocks).</summary>
    public const int FrameSize = 2048;

    /// <summary>Milliseconds after which the kernel hands over a block that is not full.</summary>
    public const int RetireTimeoutMs = 1;

    /// <summary>Socket send buffer: a batch of 32 GSO frames in flight.</summary>
    public const int SendBufferSize = 4 << 20;

    /// <summary>Offset of the <c>sockaddr_ll</c> after each frame header: <c>TPACKET_ALIGN(sizeof(tpacket3_hdr))</c>.</summary>
    private static readonly int s_sockaddrOffset = LibC.TPACKET_ALIGN(sizeof(tpacket3_hdr));

    private int _fd;
    private byte* _ring;
    private int _block;
    private uint _left;
    private byte* _next;
    private int _emptyReceives;

    // Transmit scratch, allocated once: PacketBatch.MaxSize message headers, two iovecs and one virtio header each.
    private byte* _txMemory;
    private mmsghdr* _msgs;
    private iovec* _iov;
    private VirtioNetHeader* _vnet;

    private AfPacketRing(int fd)
    {
        _fd = fd;
    }

    /// <summary>The packet socket (what the worker polls).</summary>
    public int Fd => _fd;

    /// <summary>The fanout group this socket joined, or -1.</summary>
    public int FanoutGroup { get; private set; } = -1;

    /// <summary>
    /// Opens a queue on interface <paramref name="ifIndex"/>. With <paramref name="fanout"/> the socket joins hash
    /// fanout group <paramref name="fanoutGroup"/>, or creates a group with a kernel-chosen unique id when it is -1.
    /// </summary>
    public static AfPacketRing Open(string device, int ifIndex, bool fanout, int fanoutGroup, bool promiscuous)
    {
        // Protocol 0: no frames are queued before the ring exists; bind() below starts reception on one interface.
        var fd = LibC.socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw new PortException($"{device}: cannot open a packet socket: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        var ring = new AfPacketRing(fd);
        try
        {
            ring.Configure(device, ifIndex, fanout, fanoutGroup, promiscuous);
            return ring;
        }
        catch
        {
            ring.Dispose();
            throw;
        }
    }

    private void Configure(string device, int ifIndex, bool fanout, int fanoutGroup, bool promiscuous)
    {
        // The order matters: the virtio header and version must be set before the ring, the ring before bind.
        SetOption(device, LibC.SOL_PACKET, LibC.PACKET_VNET_HDR, 1, "PACKET_VNET_HDR");
        SetOption(device, LibC.SOL_PACKET, LibC.PACKET_VERSION, LibC.TPACKET_V3, "PACKET_VERSION TPACKET_V3");
        var req = new tpacket_req3
        {
            tp_block_size = BlockSize,
            tp_block_nr = BlockCount,
            tp_frame_size = FrameSize,
            tp_frame_nr = BlockSize / FrameSize * BlockCount,
            tp_retire_blk_tov = RetireTimeoutMs,
        };
        if (LibC.setsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_RX_RING, &req, (uint)sizeof(tpacket_req3)) != 0)
        {
            throw Error(device, "PACKET_RX_RING");
        }
        var ring = LibC.mmap(null, (nuint)BlockSize * BlockCount, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, _fd, 0);
        if (ring == LibC.MAP_FAILED)
        {
            throw Error(device, "mmap of the RX ring");
        }
        _ring = (byte*)ring;

        // Older kernels lack PACKET_IGNORE_OUTGOING (4.20); the sll_pkttype check covers them.
        var one = 1;
        _ = LibC.setsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, &one, sizeof(int));
        SetOption(device, LibC.SOL_PACKET, LibC.PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
        var sndbuf = SendBufferSize;
        if (LibC.setsockopt(_fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, &sndbuf, sizeof(int)) != 0)
        {
            _ = LibC.setsockopt(_fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, &sndbuf, sizeof(int));
        }

        var addr = new sockaddr_ll
        {
            sll_family = LibC.AF_PACKET,
            sll_protocol = BinaryPrimitives.ReverseEndianness((ushort)LibC.ETH_P_ALL),
            sll_ifindex = ifIndex,
        };
        if (LibC.bind(_fd, &addr, (uint)sizeof(sockaddr_ll)) != 0)
        {
            throw Error(device, "bind");
        }

        if (fanout)
        {
            // Joining needs a bound socket. The first queue asks the kernel for a unique group id; the others join it.
            var arg = fanoutGroup < 0
                ? (LibC.PACKET_FANOUT_HASH | LibC.PACKET_FANOUT_FLAG_UNIQUEID) << 16
                : (LibC.PACKET_FANOUT_HASH << 16) | fanoutGroup;
            if (LibC.setsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_FANOUT, &arg, sizeof(int)) != 0)
            {
                throw Error(device, "PACKET_FANOUT");
            }
            var value = 0;
            var length = (uint)sizeof(int);
            if (LibC.getsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_FANOUT, &value, &length) != 0)
            {
                throw Error(device, "reading PACKET_FANOUT");
            }
            FanoutGroup = value & 0xFFFF;
        }

        if (promiscuous)
        {
            // Hardware NICs filter by destination MAC; a switch port needs every frame. Dropped when the socket closes.
            var mreq = new packet_mreq { mr_ifindex = ifIndex, mr_type = LibC.PACKET_MR_PROMISC };
            if (LibC.setsockopt(_fd, LibC.SOL_PACKET, LibC.PACKET_ADD_MEMBERSHIP, &mreq, (uint)sizeof(packet_mreq)) != 0)
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
        if (LibC.setsockopt(_fd, level, name, &value, sizeof(int)) != 0)
        {
            throw Error(device, what);
        }
    }

    private static PortException Error(string device, string what) =>
        new($"{device}: {what} failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");

    /// <summary>
    /// Copies up to a batch of frames out of the ring. <paramref name="socketError"/> is the pending socket error when
    /// one was found (only checked when the ring is empty twice in a row), else 0.
    /// </summary>
    public int Receive(PacketBatch batch, ref PortErrors errors, out int socketError)
    {
        socketError = 0;
        var capacity = batch.BufferSize;
        var count = 0;
        while (count < PacketBatch.MaxSize)
        {
            var desc = (tpacket_block_desc*)(_ring + ((nint)_block * BlockSize));
            if (_left == 0)
            {
                // Acquire: the frames of a block are valid once its status says the user owns it.
                if ((Volatile.Read(ref desc->hdr.bh1.block_status) & LibC.TP_STATUS_USER) == 0)
                {
                    break;
                }
                _left = desc->hdr.bh1.num_pkts;
                _next = (byte*)desc + desc->hdr.bh1.offset_to_first_pkt;
                if (_left == 0)
                {
                    ReleaseBlock(desc);
                    continue;
                }
            }

            var hdr = (tpacket3_hdr*)_next;
            _next += hdr->tp_next_offset;
            if (CopyFrame(hdr, ref batch[count], capacity, ref errors))
            {
                count++;
            }
            if (--_left == 0)
            {
                ReleaseBlock(desc);
            }
        }

        batch.Count = count;
        if (count > 0)
        {
            _emptyReceives = 0;
        }
        else if (++_emptyReceives > 1)
        {
            socketError = ReadSocketError();
        }
        return count;
    }

    /// <summary>Gives a fully consumed block back to the kernel and moves to the next one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReleaseBlock(tpacket_block_desc* desc)
    {
        // Release: every read of the block happens before the kernel may refill it.
        Volatile.Write(ref desc->hdr.bh1.block_status, LibC.TP_STATUS_KERNEL);
        _block = _block + 1 == BlockCount ? 0 : _block + 1;
        _left = 0;
    }

    /// <summary>Copies one ring frame into <paramref name="frame"/>'s buffer; false when the frame is skipped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CopyFrame(tpacket3_hdr* hdr, ref Frame frame, int capacity, ref PortErrors errors)
    {
        var sll = (sockaddr_ll*)((byte*)hdr + s_sockaddrOffset);
        if (sll->sll_pkttype == LibC.PACKET_OUTGOING)
        {
            return false;
        }
        var length = (int)hdr->tp_snaplen;
        if (hdr->tp_snaplen < hdr->tp_len)
        {
            errors.RxErrors++;
            return false;
        }
        var src = (byte*)hdr + hdr->tp_mac;
        var vnet = Unsafe.ReadUnaligned<VirtioNetHeader>(src - VirtioNetHeader.Size);
        var dst = frame.Data;
        if ((hdr->tp_status & LibC.TP_STATUS_VLAN_VALID) != 0 && length >= 2 * LibC.ETH_ALEN)
        {
            if (length + 4 > capacity)
            {
                errors.RxErrors++;
                return false;
            }
            // Put the tag the kernel moved into metadata back between the MAC addresses and the EtherType.
            var tpid = (hdr->tp_status & LibC.TP_STATUS_VLAN_TPID_VALID) != 0 ? hdr->hv1.tp_vlan_tpid : (ushort)LibC.ETH_P_8021Q;
            Buffer.MemoryCopy(src, dst, capacity, 2 * LibC.ETH_ALEN);
            Unsafe.WriteUnaligned(dst + 12, BinaryPrimitives.ReverseEndianness(tpid));
            Unsafe.WriteUnaligned(dst + 14, BinaryPrimitives.ReverseEndianness((ushort)hdr->hv1.tp_vlan_tci));
            Buffer.MemoryCopy(src + 12, dst + 16, capacity - 16, length - 12);
            length += 4;
            if ((vnet.Flags & VirtioNetHeader.NeedsChecksum) != 0)
            {
                vnet.ChecksumStart += 4;
            }
            if (vnet.HeaderLength != 0)
            {
                vnet.HeaderLength += 4;
            }
        }
        else
        {
            if (length > capacity)
            {
                errors.RxErrors++;
                return false;
            }
            Buffer.MemoryCopy(src, dst, capacity, length);
        }
        frame.Length = length;
        frame.Vnet = vnet;
        return true;
    }

    /// <summary>Reads and clears the socket's pending error (<c>SO_ERROR</c>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ReadSocketError()
    {
        var error = 0;
        var length = (uint)sizeof(int);
        return LibC.getsockopt(_fd, LibC.SOL_SOCKET, LibC.SO_ERROR, &error, &length) == 0 ? error : 0;
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

    public void Dispose()
    {
        if (_ring != null)
        {
            _ = LibC.munmap(_ring, (nuint)BlockSize * BlockCount);
            _ring = null;
        }
        if (_fd >= 0)
        {
            _ = LibC.close(_fd);
            _fd = -1;
        }
        if (_txMemory != null)
        {
            NativeMemory.AlignedFree(_txMemory);
            _txMemory = null;
        }
    }
}
