using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;
using size_t = Tmds.Linux.size_t;

namespace VSwitch.Ports.Linux;

/// <summary>A TPACKET_V3 receive ring: blocks of variable-sized frames (<c>afpacket:IF?rx=v3</c>).</summary>
/// <remarks>
/// What: <see cref="BlockCount"/> blocks of <see cref="BlockSize"/> bytes shared with the kernel. The kernel packs
/// frames into the current block and hands it over (<c>TP_STATUS_USER</c>) when it is full or
/// <see cref="RetireTimeoutMs"/> after its first frame, and only then wakes the reader. <see cref="Receive"/> walks the
/// frames of handed-over blocks in order and gives a block back (<c>TP_STATUS_KERNEL</c>) as soon as its last frame is
/// copied. Its position (block, frames left, next frame) survives across calls, so a batch that fills up mid-block
/// resumes there; the socket polls readable while any handed-over block is not yet given back.
/// Why these choices:
/// - Blocks of 512 KiB: a block must hold a whole 64 KiB GSO frame plus headers (TPACKET_V3 truncates a frame to one
///   block); it holds 7 full-size super-frames or 326 frames of a 1500-byte MTU. Larger blocks hold no more in
///   practice: the retire timer hands a block over about 1 ms after it opens, full or not, so below 512 KiB a
///   millisecond (about 4 Gbit/s) a block holds about 1 ms of traffic whatever its size, and the ring about as many
///   milliseconds as it has blocks.
/// - 32 blocks, 16 MiB per queue: 224 full-size super-frames when they come fast, about 32 ms of traffic when they
///   come slower, about 10,400 frames of 1500 bytes. The ring must take what arrives while the worker is not running,
///   and a TCP sender between VMs puts up to a window of super-frames on the wire at once: the first ring, 4 blocks of
///   1 MiB (60 super-frames, about 4 ms at lower rates), overran on a loaded machine during a 30 MB transfer; 16
///   blocks of 1 MiB would hold as many super-frames as this ring but only half its milliseconds. A window may grow
///   larger still (tcp_rmem allows 6 MiB, 32 MiB on recent kernels); what the ring cannot take is dropped, counted,
///   and recovered by TCP. The price is 16 MiB of kernel memory per queue, allocated up front; a V2 queue maps 4 MiB
///   and holds at most 8 MiB more while super-frames wait on the copy path (its receive buffer, which the kernel
///   doubles).
/// - A 1 ms retire timeout bounds the latency a lone frame waits in a half-filled block (the minimum the kernel
///   offers). That wait is the price of this ring: about 1 ms per hop at low rates (perf/RESULTS.md), which is why
///   <see cref="AfPacketV2Ring"/> is the default.
/// Thread-safety: used by one worker only.
/// </remarks>
internal sealed unsafe class AfPacketV3Ring : AfPacketRxRing
{
    /// <summary>Bytes per RX block (a multiple of the page size, large enough for a 64 KiB GSO frame).</summary>
    public const int BlockSize = 512 << 10;

    /// <summary>RX blocks per queue: 16 MiB.</summary>
    public const int BlockCount = 32;

    /// <summary>Nominal frame size of the ring request (TPACKET_V3 packs frames of any size into blocks).</summary>
    public const int FrameSize = 2048;

    /// <summary>Milliseconds after which the kernel hands over a block that is not full.</summary>
    public const int RetireTimeoutMs = 1;

    /// <summary>Offset of the <c>sockaddr_ll</c> after each frame header: <c>TPACKET_ALIGN(sizeof(tpacket3_hdr))</c>.</summary>
    private static readonly int s_sockaddrOffset = LibC.TPACKET_ALIGN(sizeof(tpacket3_hdr));

    private byte* _ring;
    private int _block;
    private uint _left;
    private byte* _next;

    public AfPacketV3Ring(string device, int fd)
        : base(fd)
    {
        SetOption(device, LibC.SOL_PACKET, LibC.PACKET_VERSION, LibC.TPACKET_V3, "PACKET_VERSION TPACKET_V3");
        var req = new tpacket_req3
        {
            tp_block_size = BlockSize,
            tp_block_nr = BlockCount,
            tp_frame_size = FrameSize,
            tp_frame_nr = BlockSize / FrameSize * BlockCount,
            tp_retire_blk_tov = RetireTimeoutMs,
        };
        _ring = MapRing(device, req, MappedBytes);
    }

    public override AfPacketRx Version => AfPacketRx.V3;

    public override long MappedBytes => (long)BlockSize * BlockCount;

    public override int Receive(PacketBatch batch, ref PortErrors errors)
    {
        var capacity = batch.BufferSize;
        var count = 0;
        while (count < PacketBatch.MaxSize)
        {
            var desc = (tpacket_block_desc*)(_ring + ((nint)_block * BlockSize));
            if (_left == 0)
            {
                // Acquire: the frames of a block are valid once its status says the user owns it.
                var status = Volatile.Read(ref desc->hdr.bh1.block_status);
                if ((status & LibC.TP_STATUS_USER) == 0)
                {
                    break;
                }
                if ((status & LibC.TP_STATUS_LOSING) != 0)
                {
                    DropsPending = true;
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
            if ((hdr->tp_status & LibC.TP_STATUS_LOSING) != 0)
            {
                DropsPending = true;
            }
            var sll = (sockaddr_ll*)((byte*)hdr + s_sockaddrOffset);
            if (sll->sll_pkttype != LibC.PACKET_OUTGOING
                && CopyFrame((byte*)hdr + hdr->tp_mac, hdr->tp_snaplen, hdr->tp_len, hdr->tp_status, hdr->hv1.tp_vlan_tpid,
                    (ushort)hdr->hv1.tp_vlan_tci, ref batch[count], capacity, ref errors))
            {
                count++;
            }
            if (--_left == 0)
            {
                ReleaseBlock(desc);
            }
        }
        batch.Count = count;
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

    public override long ReadDrops() => ReadStatistics<tpacket_stats_v3>().tp_drops;

    public override void Dispose()
    {
        if (_ring != null)
        {
            _ = TmdsLibC.munmap(_ring, (size_t)(ulong)MappedBytes);
            _ring = null;
        }
    }
}
