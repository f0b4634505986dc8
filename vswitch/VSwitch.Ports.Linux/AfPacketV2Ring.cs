using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;
using size_t = Tmds.Linux.size_t;

namespace VSwitch.Ports.Linux;

/// <summary>
/// A TPACKET_V2 receive ring: fixed frame slots, each handed over on its own (<c>afpacket:IF?rx=v2</c>, the default).
/// </summary>
/// <remarks>
/// What: <see cref="FrameCount"/> slots of <see cref="FrameSize"/> bytes (in blocks of <see cref="BlockSize"/>). The
/// kernel writes one frame per slot, sets its <c>tp_status</c> to <c>TP_STATUS_USER</c> and wakes the reader at once.
/// <see cref="Receive"/> walks the slots in order, copies each frame out and gives the slot back
/// (<c>TP_STATUS_KERNEL</c>) right away. The kernel polls the socket readable while the slot before its write position
/// is not given back, so stopping mid-ring (a full batch) keeps epoll level-triggered correct.
/// Frames larger than a slot: with <c>PACKET_COPY_THRESH</c> set, the kernel puts a truncated copy in the slot marked
/// <c>TP_STATUS_COPY</c> and queues the whole frame (a reference to its buffer, not a copy) on the socket; Receive then
/// reads it with <c>recvmsg</c> (two iovecs: the virtio header, the batch buffer), in ring order, since every COPY slot
/// has exactly one queued frame. A VLAN tag comes from the slot's metadata, as for frames in the ring.
/// Why these choices:
/// - Latency: a lone frame is in the reader's hands one wake-up after the kernel has it, instead of waiting up to the
///   1 ms block timeout of TPACKET_V3 (<see cref="AfPacketV3Ring"/>): the ping and TCP request/response round trips of
///   perf/RESULTS.md.
/// - Slots of 2 KiB plus the copy path, instead of slots of 64 KiB+ for GSO super-frames: with 64 KiB slots, 4 MiB
///   holds only ~60 frames, and a burst of small frames (the common case: ACKs, requests, 64-byte floods) overruns it
///   within microseconds, or the ring grows to hundreds of MiB per queue. 2 KiB holds any frame of a 1500-byte MTU
///   with the headers (<c>tp_mac</c> is 76 with the virtio header, so 1972 bytes of frame fit); super-frames and jumbo
///   frames take the copy path, which costs one system call per frame but saves the kernel's copy into the ring, so a
///   64 KiB GSO frame costs no more than in a V3 block. 2048 slots (4 MiB) buffer a few milliseconds of a small-frame
///   flood. Blocks of 128 KiB keep the kernel's allocations modest (it falls back to vmalloc anyway).
/// - The socket's receive buffer (<see cref="ReceiveBufferSize"/>) bounds the super-frames queued at once: when it is
///   full the kernel leaves only the truncated slot (no <c>TP_STATUS_COPY</c>), which counts as an RX error. The kernel
///   doubles the 4 MiB to 8 MiB: a burst of 200 super-frames of 64 KiB sent while the worker does not read left 127
///   of them queued and 73 counted on the development VM (AfPacketPortTests); a TPACKET_V3 ring has room for 256 of them.
/// Measured against V3 (perf/RESULTS.md): TCP request/response 64 µs instead of 999 µs, 12-15x the new connections
/// per second, 40-50% more TCP throughput (the copy path); 10-16% fewer 64-byte frames per second in a flood, because
/// the kernel signals the socket per frame (an epoll callback on the sender's core) and the switch forwards in smaller
/// batches, so receivers wake more often. Ports that mostly carry small-packet floods can take <c>?rx=v3</c>.
/// Thread-safety: used by one worker only.
/// </remarks>
internal sealed unsafe class AfPacketV2Ring : AfPacketRxRing
{
    /// <summary>Bytes per frame slot (a multiple of TPACKET_ALIGNMENT; holds a 1500-MTU frame with its headers).</summary>
    public const int FrameSize = 2048;

    /// <summary>Bytes per block (a multiple of the page size and of <see cref="FrameSize"/>, so slots are contiguous).</summary>
    public const int BlockSize = 128 << 10;

    /// <summary>Blocks per queue: 4 MiB.</summary>
    public const int BlockCount = 32;

    /// <summary>Frame slots per queue.</summary>
    public const int FrameCount = BlockSize / FrameSize * BlockCount;

    /// <summary>Socket receive buffer for frames on the copy path: dozens of 64 KiB GSO frames in flight.</summary>
    public const int ReceiveBufferSize = 4 << 20;

    /// <summary>Offset of the <c>sockaddr_ll</c> after each frame header: <c>TPACKET_ALIGN(sizeof(tpacket2_hdr))</c>.</summary>
    private static readonly int s_sockaddrOffset = LibC.TPACKET_ALIGN(sizeof(tpacket2_hdr));

    private byte* _ring;
    private int _frame;

    // recvmsg scratch for the copy path, allocated once: the message header, two iovecs, the virtio header.
    private byte* _scratch;
    private msghdr* _msg;
    private iovec* _iov;
    private VirtioNetHeader* _vnet;

    public AfPacketV2Ring(string device, int fd)
        : base(fd)
    {
        SetOption(device, LibC.SOL_PACKET, LibC.PACKET_VERSION, LibC.TPACKET_V2, "PACKET_VERSION TPACKET_V2");
        SetOption(device, LibC.SOL_PACKET, LibC.PACKET_COPY_THRESH, 1, "PACKET_COPY_THRESH");
        var rcvbuf = ReceiveBufferSize;
        if (TmdsLibC.setsockopt(Fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, &rcvbuf, sizeof(int)) != 0)
        {
            _ = TmdsLibC.setsockopt(Fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, &rcvbuf, sizeof(int));
        }
        var req = new tpacket_req
        {
            tp_block_size = BlockSize,
            tp_block_nr = BlockCount,
            tp_frame_size = FrameSize,
            tp_frame_nr = FrameCount,
        };
        _ring = MapRing(device, req, MappedBytes);

        var size = sizeof(msghdr) + (2 * sizeof(iovec)) + VirtioNetHeader.Size;
        _scratch = (byte*)NativeMemory.AlignedAlloc((nuint)size, 64);
        NativeMemory.Clear(_scratch, (nuint)size);
        _msg = (msghdr*)_scratch;
        _iov = (iovec*)(_scratch + sizeof(msghdr));
        _vnet = (VirtioNetHeader*)(_scratch + sizeof(msghdr) + (2 * sizeof(iovec)));
        _msg->msg_iov = _iov;
        _msg->msg_iovlen = 2;
        _iov[0].iov_base = _vnet;
        _iov[0].iov_len = VirtioNetHeader.Size;
    }

    public override AfPacketRx Version => AfPacketRx.V2;

    public override long MappedBytes => (long)BlockSize * BlockCount;

    public override int Receive(PacketBatch batch, ref PortErrors errors)
    {
        var capacity = batch.BufferSize;
        var count = 0;
        while (count < PacketBatch.MaxSize)
        {
            var hdr = (tpacket2_hdr*)(_ring + ((nint)_frame * FrameSize));
            // Acquire: the slot's contents are valid once its status says the user owns it.
            var status = Volatile.Read(ref hdr->tp_status);
            if ((status & LibC.TP_STATUS_USER) == 0)
            {
                break;
            }
            if ((status & LibC.TP_STATUS_LOSING) != 0)
            {
                DropsPending = true;
            }
            var outgoing = ((sockaddr_ll*)((byte*)hdr + s_sockaddrOffset))->sll_pkttype == LibC.PACKET_OUTGOING;
            bool received;
            if ((status & LibC.TP_STATUS_COPY) != 0)
            {
                // The whole frame waits on the socket: always take it, also when it is dropped, to stay in step.
                received = ReceiveCopy(status, hdr->tp_vlan_tpid, hdr->tp_vlan_tci, ref batch[count], capacity, ref errors) && !outgoing;
            }
            else
            {
                received = !outgoing && CopyFrame((byte*)hdr + hdr->tp_mac, hdr->tp_snaplen, hdr->tp_len, status,
                    hdr->tp_vlan_tpid, hdr->tp_vlan_tci, ref batch[count], capacity, ref errors);
            }
            // Release: every read of the slot happens before the kernel may refill it.
            Volatile.Write(ref hdr->tp_status, LibC.TP_STATUS_KERNEL);
            _frame = _frame + 1 == FrameCount ? 0 : _frame + 1;
            if (received)
            {
                count++;
            }
        }
        batch.Count = count;
        return count;
    }

    /// <summary>
    /// Reads the frame the kernel queued for a <c>TP_STATUS_COPY</c> slot with <c>recvmsg</c> straight into
    /// <paramref name="frame"/>'s buffer (4 bytes in when a tag is to be put back); false when it is skipped.
    /// </summary>
    private bool ReceiveCopy(uint status, ushort tpid, ushort tci, ref Frame frame, int capacity, ref PortErrors errors)
    {
        var tagged = (status & LibC.TP_STATUS_VLAN_VALID) != 0;
        var offset = tagged ? 4 : 0;
        var dst = frame.Data;
        _iov[1].iov_base = dst + offset;
        _iov[1].iov_len = (nuint)(capacity - offset);
        nint n;
        do
        {
            // MSG_TRUNC: the result is the frame's real length even when the buffer was too small.
            n = LibC.recvmsg(Fd, _msg, LibC.MSG_DONTWAIT | LibC.MSG_TRUNC);
        }
        while (n < 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);
        var length = (int)n - VirtioNetHeader.Size;
        if (length <= 0 || length > capacity - offset)
        {
            errors.RxErrors++;
            return false;
        }
        var vnet = *_vnet;
        if (tagged)
        {
            if (length >= 2 * LibC.ETH_ALEN)
            {
                // Move the MAC addresses in front of the gap and write the tag into it.
                Buffer.MemoryCopy(dst + offset, dst, capacity, 2 * LibC.ETH_ALEN);
                length += InsertTag(dst, status, tpid, tci, ref vnet);
            }
            else
            {
                Buffer.MemoryCopy(dst + offset, dst, capacity, length);
            }
        }
        frame.Length = length;
        frame.Vnet = vnet;
        return true;
    }

    public override long ReadDrops() => ReadStatistics<tpacket_stats>().tp_drops;

    public override void Dispose()
    {
        if (_ring != null)
        {
            _ = TmdsLibC.munmap(_ring, (size_t)(ulong)MappedBytes);
            _ring = null;
        }
        if (_scratch != null)
        {
            NativeMemory.AlignedFree(_scratch);
            _scratch = null;
        }
    }
}
