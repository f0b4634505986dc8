using System.Runtime.InteropServices;

namespace VSwitch.Packets;

/// <summary>
/// <c>struct virtio_net_hdr</c> (10 bytes, little-endian on x86-64): the offload metadata that TAP (<c>IFF_VNET_HDR</c>)
/// and packet sockets (<c>PACKET_VNET_HDR</c>) put in front of each frame.
/// </summary>
/// <remarks>
/// Why: frames from a veth or TAP peer usually carry a partial checksum (<see cref="NeedsChecksum"/>) and may be GSO
/// super-frames of up to 64 KiB. The switch forwards this header with the frame so that the receiving kernel completes
/// the checksum or segments, instead of the switch doing it per 1,500-byte frame.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 1, Size = Size)]
public struct VirtioNetHeader
{
    /// <summary>Bytes in the header without the <c>num_buffers</c> field.</summary>
    public const int Size = 10;

    /// <summary><c>VIRTIO_NET_HDR_F_NEEDS_CSUM</c>.</summary>
    public const byte NeedsChecksum = 1;

    /// <summary><c>VIRTIO_NET_HDR_F_DATA_VALID</c>.</summary>
    public const byte DataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;

    /// <summary>UDP segmentation (USO, VIRTIO_NET_HDR_GSO_UDP_L4): each segment a UDP datagram of its own.</summary>
    public const byte GsoUdpL4 = 5;
    public const byte GsoTcpV6 = 4;
    public const byte GsoEcn = 0x80;

    public byte Flags;
    public byte GsoType;
    public ushort HeaderLength;
    public ushort GsoSize;
    public ushort ChecksumStart;
    public ushort ChecksumOffset;

    public readonly bool IsGso => (GsoType & ~GsoEcn) != GsoNone;
}
