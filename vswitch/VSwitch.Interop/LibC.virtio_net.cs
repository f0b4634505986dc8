namespace VSwitch.Interop;

/// <summary>
/// <c>linux/virtio_net.h</c>: flag and GSO values of <c>struct virtio_net_hdr</c>, whose layout is
/// <c>VSwitch.Packets.VirtioNetHeader</c> (the interop layout test checks both).
/// </summary>
public static partial class LibC
{
    public const int VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
    public const int VIRTIO_NET_HDR_F_DATA_VALID = 2;
    public const int VIRTIO_NET_HDR_GSO_NONE = 0;
    public const int VIRTIO_NET_HDR_GSO_TCPV4 = 1;
    public const int VIRTIO_NET_HDR_GSO_UDP = 3;
    public const int VIRTIO_NET_HDR_GSO_TCPV6 = 4;
    public const int VIRTIO_NET_HDR_GSO_ECN = 0x80;
}
