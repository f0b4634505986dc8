using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;
using size_t = Tmds.Linux.size_t;

namespace VSwitch.Ports.Linux;

/// <summary>
/// The memory-mapped receive ring of one AF_PACKET queue: <see cref="AfPacketV2Ring"/> (fixed frames, handed over one
/// by one) or <see cref="AfPacketV3Ring"/> (blocks, handed over when full or after a timeout).
/// </summary>
/// <remarks>
/// What: <see cref="Create"/> sets <c>PACKET_VERSION</c>, requests the ring and maps it on a socket that has
/// <c>PACKET_VNET_HDR</c> and is not yet bound (<see cref="AfPacketQueue"/> owns the socket and does the rest).
/// <see cref="Receive"/> copies up to a batch of frames out of the ring, each with the <c>virtio_net_hdr</c> the kernel
/// wrote just before it, and gives ring memory back as soon as it is copied; its position survives across calls, so the
/// socket polls readable (level-triggered) exactly while a handed-over frame or block is not yet given back.
/// Shared by both versions, here: VLAN re-insertion (veth and most NICs move the tag into metadata,
/// <c>TP_STATUS_VLAN_VALID</c>; it is put back between the MAC addresses and the EtherType, and the virtio header's
/// offsets move by 4, so the switch sees the frame the sender sent), and the kernel's drop counter
/// (<c>PACKET_STATISTICS</c>), which <see cref="ReadDrops"/> reads and resets.
/// Why an abstraction: TPACKET_V3 is the cheaper ring under load (one hand-over per block) but a lone frame waits for
/// the block's retire timer (1 ms at least, the kernel has no way to force a retire); TPACKET_V2 hands over and wakes
/// the reader per frame. The device string picks one per port (<c>afpacket:IF?rx=v2|v3</c>).
/// Errors: a frame that is truncated or larger than the batch buffer is counted in <see cref="PortErrors.RxErrors"/>
/// and skipped. Frames the kernel sets <c>TP_STATUS_LOSING</c> on (it has dropped frames since the counter was last
/// read) raise <see cref="DropsPending"/>, so the counter is read only when there is something to read.
/// Thread-safety: used by one worker only.
/// </remarks>
internal abstract unsafe class AfPacketRxRing : IDisposable
{
    protected AfPacketRxRing(int fd)
    {
        Fd = fd;
    }

    /// <summary>The packet socket the ring belongs to (owned by the queue, not closed here).</summary>
    protected int Fd { get; }

    /// <summary>The ring version.</summary>
    public abstract AfPacketRx Version { get; }

    /// <summary>Bytes of ring memory mapped (for the record: what a queue costs).</summary>
    public abstract long MappedBytes { get; }

    /// <summary>
    /// Set by <see cref="Receive"/> when a frame said the kernel has dropped frames (<c>TP_STATUS_LOSING</c>) since
    /// <see cref="ReadDrops"/> last ran; the caller clears it when it reads the counter.
    /// </summary>
    public bool DropsPending { get; set; }

    /// <summary>Sets the version, requests and maps the ring of <paramref name="version"/> on <paramref name="fd"/>.</summary>
    public static AfPacketRxRing Create(AfPacketRx version, string device, int fd) => version switch
    {
        AfPacketRx.V2 => new AfPacketV2Ring(device, fd),
        _ => new AfPacketV3Ring(device, fd),
    };

    /// <summary>Copies up to a batch of frames out of the ring into <paramref name="batch"/>; returns the count.</summary>
    public abstract int Receive(PacketBatch batch, ref PortErrors errors);

    /// <summary>Reads and resets the kernel's count of frames dropped because the ring was full (a system call).</summary>
    public abstract long ReadDrops();

    public abstract void Dispose();

    /// <summary>Sets an integer socket option during setup or throws a <see cref="PortException"/> naming it.</summary>
    protected void SetOption(string device, int level, int name, int value, string what)
    {
        if (TmdsLibC.setsockopt(Fd, level, name, &value, sizeof(int)) != 0)
        {
            throw Error(device, what);
        }
    }

    /// <summary>Requests the ring (<c>PACKET_RX_RING</c>) and maps <paramref name="bytes"/> of it.</summary>
    protected byte* MapRing<TRequest>(string device, TRequest request, long bytes)
        where TRequest : unmanaged
    {
        if (TmdsLibC.setsockopt(Fd, LibC.SOL_PACKET, LibC.PACKET_RX_RING, &request, (uint)sizeof(TRequest)) != 0)
        {
            throw Error(device, "PACKET_RX_RING");
        }
        var ring = TmdsLibC.mmap(null, (size_t)(ulong)bytes, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED | LibC.MAP_POPULATE, Fd, 0);
        if (ring == LibC.MAP_FAILED)
        {
            throw Error(device, "mmap of the RX ring");
        }
        return (byte*)ring;
    }

    /// <summary>Reads <c>PACKET_STATISTICS</c> into <typeparamref name="TStats"/> (which resets the kernel's counters).</summary>
    protected TStats ReadStatistics<TStats>()
        where TStats : unmanaged
    {
        var stats = default(TStats);
        var length = (uint)sizeof(TStats);
        _ = TmdsLibC.getsockopt(Fd, LibC.SOL_PACKET, LibC.PACKET_STATISTICS, &stats, (Tmds.Linux.socklen_t*)&length);
        return stats;
    }

    protected static PortException Error(string device, string what) =>
        new($"{device}: {what} failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");

    /// <summary>
    /// Copies one frame that lies whole in the ring (<paramref name="src"/>, the Ethernet header, with the virtio header
    /// just before it) into <paramref name="frame"/>'s buffer, putting a VLAN tag from the metadata back inline.
    /// False when the frame is skipped (truncated by the ring, or too large for the buffer; both count as RX errors).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static bool CopyFrame(byte* src, uint snaplen, uint wireLength, uint status, ushort tpid, ushort tci,
        ref Frame frame, int capacity, ref PortErrors errors)
    {
        if (snaplen < wireLength)
        {
            errors.RxErrors++;
            return false;
        }
        var length = (int)snaplen;
        var vnet = Unsafe.ReadUnaligned<VirtioNetHeader>(src - VirtioNetHeader.Size);
        var dst = frame.Data;
        if ((status & LibC.TP_STATUS_VLAN_VALID) != 0 && length >= 2 * LibC.ETH_ALEN)
        {
            if (length + 4 > capacity)
            {
                errors.RxErrors++;
                return false;
            }
            Buffer.MemoryCopy(src, dst, capacity, 2 * LibC.ETH_ALEN);
            Buffer.MemoryCopy(src + 12, dst + 16, capacity - 16, length - 12);
            length += InsertTag(dst, status, tpid, tci, ref vnet);
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

    /// <summary>
    /// Writes the 4-byte tag from the ring metadata at <paramref name="dst"/>+12 (the MAC addresses are already in
    /// place and the rest of the frame starts at +16) and moves the virtio header's offsets past it; returns 4.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected static int InsertTag(byte* dst, uint status, ushort tpid, ushort tci, ref VirtioNetHeader vnet)
    {
        var type = (status & LibC.TP_STATUS_VLAN_TPID_VALID) != 0 ? tpid : (ushort)LibC.ETH_P_8021Q;
        Unsafe.WriteUnaligned(dst + 12, BinaryPrimitives.ReverseEndianness(type));
        Unsafe.WriteUnaligned(dst + 14, BinaryPrimitives.ReverseEndianness(tci));
        if ((vnet.Flags & VirtioNetHeader.NeedsChecksum) != 0)
        {
            vnet.ChecksumStart += 4;
        }
        if (vnet.HeaderLength != 0)
        {
            vnet.HeaderLength += 4;
        }
        return 4;
    }
}
