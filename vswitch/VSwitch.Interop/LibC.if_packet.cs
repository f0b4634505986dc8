using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>linux/if_packet.h</c>: packet sockets, the TPACKET_V2 frame ring, the TPACKET_V3 block ring and fanout.
/// </summary>
/// <remarks>
/// A TPACKET_V2 RX ring is <c>tp_frame_nr</c> fixed-size frames (<c>tp_frame_size</c> bytes, packed into blocks of
/// <c>tp_block_size</c>); each starts with a <see cref="tpacket2_hdr"/> whose <c>tp_status</c> the kernel sets to
/// <see cref="TP_STATUS_USER"/> per frame, followed at <c>TPACKET_ALIGN(sizeof(tpacket2_hdr))</c> by a
/// <see cref="sockaddr_ll"/>. A frame too large for its slot is truncated; with <see cref="PACKET_COPY_THRESH"/> set the
/// kernel also queues the whole frame on the socket (<see cref="TP_STATUS_COPY"/>), to be read with <c>recvmsg</c>.
/// A TPACKET_V3 RX ring is <c>tp_block_nr</c> blocks of <c>tp_block_size</c> bytes. Each block starts with a
/// <see cref="tpacket_block_desc"/>; the kernel fills it with variable-sized <see cref="tpacket3_hdr"/> frames and hands
/// the whole block over (<see cref="TP_STATUS_USER"/>) when it is full or its retire timer fires. Each frame header is
/// followed, at <c>TPACKET_ALIGN(sizeof(tpacket3_hdr))</c>, by a <see cref="sockaddr_ll"/>; the frame itself starts at
/// <c>tp_mac</c>, and with <see cref="PACKET_VNET_HDR"/> the 10-byte <c>virtio_net_hdr</c> sits just before it.
/// </remarks>
public static unsafe partial class LibC
{
    public const int SOL_PACKET = 263;

    // sll_pkttype values.
    public const int PACKET_HOST = 0;
    public const int PACKET_BROADCAST = 1;
    public const int PACKET_MULTICAST = 2;
    public const int PACKET_OTHERHOST = 3;
    public const int PACKET_OUTGOING = 4;
    public const int PACKET_LOOPBACK = 5;

    // SOL_PACKET options.
    public const int PACKET_ADD_MEMBERSHIP = 1;
    public const int PACKET_DROP_MEMBERSHIP = 2;
    public const int PACKET_RX_RING = 5;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_COPY_THRESH = 7;
    public const int PACKET_VERSION = 10;
    public const int PACKET_HDRLEN = 11;
    public const int PACKET_RESERVE = 12;
    public const int PACKET_TX_RING = 13;
    public const int PACKET_LOSS = 14;
    public const int PACKET_VNET_HDR = 15;
    public const int PACKET_FANOUT = 18;
    public const int PACKET_TX_HAS_OFF = 19;
    public const int PACKET_QDISC_BYPASS = 20;
    public const int PACKET_IGNORE_OUTGOING = 23;

    public const int PACKET_FANOUT_HASH = 0;
    public const int PACKET_FANOUT_LB = 1;
    public const int PACKET_FANOUT_CPU = 2;
    public const int PACKET_FANOUT_FLAG_ROLLOVER = 0x1000;
    public const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    public const int PACKET_FANOUT_FLAG_DEFRAG = 0x8000;

    public const int PACKET_MR_MULTICAST = 0;
    public const int PACKET_MR_PROMISC = 1;
    public const int PACKET_MR_ALLMULTI = 2;

    // enum tpacket_versions.
    public const int TPACKET_V1 = 0;
    public const int TPACKET_V2 = 1;
    public const int TPACKET_V3 = 2;

    public const int TPACKET_ALIGNMENT = 16;

    /// <summary><c>TPACKET_ALIGN(sizeof(struct tpacket2_hdr)) + sizeof(struct sockaddr_ll)</c>.</summary>
    public const int TPACKET2_HDRLEN = 52;

    /// <summary><c>TPACKET_ALIGN(sizeof(struct tpacket3_hdr)) + sizeof(struct sockaddr_ll)</c>.</summary>
    public const int TPACKET3_HDRLEN = 68;

    // RX status bits.
    public const uint TP_STATUS_KERNEL = 0;
    public const uint TP_STATUS_USER = 1 << 0;
    public const uint TP_STATUS_COPY = 1 << 1;
    public const uint TP_STATUS_LOSING = 1 << 2;
    public const uint TP_STATUS_CSUMNOTREADY = 1 << 3;
    public const uint TP_STATUS_VLAN_VALID = 1 << 4;
    public const uint TP_STATUS_BLK_TMO = 1 << 5;
    public const uint TP_STATUS_VLAN_TPID_VALID = 1 << 6;
    public const uint TP_STATUS_CSUM_VALID = 1 << 7;

    // TX status bits.
    public const uint TP_STATUS_AVAILABLE = 0;
    public const uint TP_STATUS_SEND_REQUEST = 1 << 0;
    public const uint TP_STATUS_SENDING = 1 << 1;
    public const uint TP_STATUS_WRONG_FORMAT = 1 << 2;

    /// <summary><c>TPACKET_ALIGN(x)</c>: rounds up to <see cref="TPACKET_ALIGNMENT"/>.</summary>
    public static int TPACKET_ALIGN(int x) => (x + TPACKET_ALIGNMENT - 1) & ~(TPACKET_ALIGNMENT - 1);
}

/// <summary><c>struct sockaddr_ll</c>: a link-layer address for packet sockets (20 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct sockaddr_ll
{
    public ushort sll_family;
    /// <summary>Protocol in network byte order.</summary>
    public ushort sll_protocol;
    public int sll_ifindex;
    public ushort sll_hatype;
    public byte sll_pkttype;
    public byte sll_halen;
    public fixed byte sll_addr[8];
}

/// <summary><c>struct packet_mreq</c> for <c>PACKET_ADD_MEMBERSHIP</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct packet_mreq
{
    public int mr_ifindex;
    public ushort mr_type;
    public ushort mr_alen;
    public fixed byte mr_address[8];
}

/// <summary><c>struct tpacket_req</c>: the ring request for TPACKET_V1 and TPACKET_V2.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct tpacket_req
{
    /// <summary>Bytes per block: a multiple of the page size; frames never cross a block.</summary>
    public uint tp_block_size;
    public uint tp_block_nr;
    /// <summary>Bytes per frame slot: a multiple of <see cref="LibC.TPACKET_ALIGNMENT"/>.</summary>
    public uint tp_frame_size;
    /// <summary>Must equal <c>tp_block_size / tp_frame_size * tp_block_nr</c>.</summary>
    public uint tp_frame_nr;
}

/// <summary><c>struct tpacket_req3</c>: the ring request for TPACKET_V3.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct tpacket_req3
{
    public uint tp_block_size;
    public uint tp_block_nr;
    public uint tp_frame_size;
    public uint tp_frame_nr;
    /// <summary>Block retire timeout in milliseconds (RX only; must be 0 for a TX ring).</summary>
    public uint tp_retire_blk_tov;
    public uint tp_sizeof_priv;
    public uint tp_feature_req_word;
}

/// <summary><c>struct tpacket_stats</c> from <c>PACKET_STATISTICS</c> under TPACKET_V1/V2 (reading resets the counters).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct tpacket_stats
{
    /// <summary>Frames seen (delivered plus dropped) since the last read.</summary>
    public uint tp_packets;
    /// <summary>Frames dropped since the last read (ring full, or no memory for a copy).</summary>
    public uint tp_drops;
}

/// <summary><c>struct tpacket_stats_v3</c> from <c>PACKET_STATISTICS</c> (reading resets the counters).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct tpacket_stats_v3
{
    public uint tp_packets;
    public uint tp_drops;
    public uint tp_freeze_q_cnt;
}

/// <summary><c>struct tpacket2_hdr</c>: the header of one TPACKET_V2 frame slot (32 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct tpacket2_hdr
{
    /// <summary><see cref="LibC.TP_STATUS_KERNEL"/> while the kernel owns the slot; <see cref="LibC.TP_STATUS_USER"/> and flags once filled.</summary>
    public uint tp_status;
    /// <summary>Bytes of the frame on the wire; larger than <see cref="tp_snaplen"/> when the slot truncated it.</summary>
    public uint tp_len;
    /// <summary>Bytes of the frame present in the slot.</summary>
    public uint tp_snaplen;
    /// <summary>Offset from this header to the first byte of the Ethernet header.</summary>
    public ushort tp_mac;
    public ushort tp_net;
    public uint tp_sec;
    public uint tp_nsec;
    /// <summary>The VLAN tag the kernel took out of the frame, valid with <see cref="LibC.TP_STATUS_VLAN_VALID"/>.</summary>
    public ushort tp_vlan_tci;
    /// <summary>Its TPID, valid with <see cref="LibC.TP_STATUS_VLAN_TPID_VALID"/>.</summary>
    public ushort tp_vlan_tpid;
    public fixed byte tp_padding[4];
}

/// <summary><c>struct tpacket_hdr_variant1</c>: hash and VLAN metadata of a TPACKET_V3 frame.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct tpacket_hdr_variant1
{
    public uint tp_rxhash;
    public uint tp_vlan_tci;
    public ushort tp_vlan_tpid;
    public ushort tp_padding;
}

/// <summary><c>struct tpacket3_hdr</c>: one frame inside a TPACKET_V3 block (48 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct tpacket3_hdr
{
    /// <summary>Offset from this header to the next frame's header in the block; 0 for the last.</summary>
    public uint tp_next_offset;
    public uint tp_sec;
    public uint tp_nsec;
    /// <summary>Bytes of the frame present in the ring.</summary>
    public uint tp_snaplen;
    /// <summary>Bytes of the frame on the wire; larger than <see cref="tp_snaplen"/> when the ring truncated it.</summary>
    public uint tp_len;
    public uint tp_status;
    /// <summary>Offset from this header to the first byte of the Ethernet header.</summary>
    public ushort tp_mac;
    public ushort tp_net;
    public tpacket_hdr_variant1 hv1;
    public fixed byte tp_padding[8];
}

/// <summary><c>struct tpacket_bd_ts</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
public struct tpacket_bd_ts
{
    [FieldOffset(0)] public uint ts_sec;
    [FieldOffset(4)] public uint ts_usec;
    [FieldOffset(4)] public uint ts_nsec;
}

/// <summary><c>struct tpacket_hdr_v1</c>: the block header of a TPACKET_V3 block.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct tpacket_hdr_v1
{
    /// <summary><see cref="LibC.TP_STATUS_KERNEL"/> while the kernel owns the block, <see cref="LibC.TP_STATUS_USER"/> once handed over.</summary>
    public uint block_status;
    public uint num_pkts;
    public uint offset_to_first_pkt;
    public uint blk_len;
    public ulong seq_num;
    public tpacket_bd_ts ts_first_pkt;
    public tpacket_bd_ts ts_last_pkt;
}

/// <summary><c>union tpacket_bd_header_u</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct tpacket_bd_header_u
{
    public tpacket_hdr_v1 bh1;
}

/// <summary><c>struct tpacket_block_desc</c>: the start of every TPACKET_V3 block.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct tpacket_block_desc
{
    public uint version;
    public uint offset_to_priv;
    public tpacket_bd_header_u hdr;
}
