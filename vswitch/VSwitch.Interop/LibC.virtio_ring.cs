using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary>
/// <c>linux/virtio_ring.h</c>, <c>linux/virtio_config.h</c>, <c>linux/virtio_net.h</c>: the split virtqueue's shared
/// structures and the feature bits a vhost-user backend negotiates with a virtio-net frontend.
/// </summary>
public static partial class LibC
{
    public const int VRING_DESC_F_NEXT = 1;
    public const int VRING_DESC_F_WRITE = 2;
    public const int VRING_DESC_F_INDIRECT = 4;
    public const int VRING_USED_F_NO_NOTIFY = 1;
    public const int VRING_AVAIL_F_NO_INTERRUPT = 1;

    public const int VIRTIO_RING_F_INDIRECT_DESC = 28;
    public const int VIRTIO_RING_F_EVENT_IDX = 29;
    public const int VIRTIO_F_VERSION_1 = 32;
    public const int VIRTIO_F_ACCESS_PLATFORM = 33;
    public const int VIRTIO_F_RING_PACKED = 34;
    public const int VIRTIO_F_IN_ORDER = 35;

    public const int VIRTIO_NET_F_CSUM = 0;
    public const int VIRTIO_NET_F_GUEST_CSUM = 1;
    public const int VIRTIO_NET_F_MTU = 3;
    public const int VIRTIO_NET_F_MAC = 5;
    public const int VIRTIO_NET_F_GUEST_TSO4 = 7;
    public const int VIRTIO_NET_F_GUEST_TSO6 = 8;
    public const int VIRTIO_NET_F_GUEST_ECN = 9;
    public const int VIRTIO_NET_F_GUEST_UFO = 10;
    public const int VIRTIO_NET_F_HOST_TSO4 = 11;
    public const int VIRTIO_NET_F_HOST_TSO6 = 12;
    public const int VIRTIO_NET_F_HOST_ECN = 13;
    public const int VIRTIO_NET_F_HOST_UFO = 14;
    public const int VIRTIO_NET_F_MRG_RXBUF = 15;
    public const int VIRTIO_NET_F_STATUS = 16;
    public const int VIRTIO_NET_F_CTRL_VQ = 17;
    public const int VIRTIO_NET_F_GUEST_ANNOUNCE = 21;
    public const int VIRTIO_NET_F_MQ = 22;
}

/// <summary><c>struct vring_desc</c>: one buffer of a descriptor chain (guest-physical address, length, flags, next).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vring_desc
{
    public ulong addr;
    public uint len;
    public ushort flags;
    public ushort next;
}

/// <summary><c>struct vring_used_elem</c>: a chain the device has finished with (its head, and bytes written into it).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct vring_used_elem
{
    public uint id;
    public uint len;
}
