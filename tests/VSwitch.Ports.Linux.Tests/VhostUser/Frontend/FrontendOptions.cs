using VSwitch.Interop;

namespace VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

/// <summary>What the test's "VM" asks for: the driver's features, its queues and rings, its RAM, and how it lays out chains.</summary>
/// <param name="Features">The features the driver wants (virtio bits and <c>VHOST_USER_F_PROTOCOL_FEATURES</c>, bit 30); the
/// frontend negotiates their intersection with the back-end's.</param>
/// <param name="QueuePairs">Queue pairs to start; more than one needs <c>VIRTIO_NET_F_MQ</c> and the MQ protocol feature.</param>
/// <param name="RingSize">Entries of every ring (a power of 2).</param>
/// <param name="MemoryMiB">Guest RAM, split evenly into <paramref name="Regions"/> memfd regions.</param>
/// <param name="Regions">memfd regions of guest RAM (1 to 8), each at its own guest-physical and front-end address.</param>
/// <param name="SplitDescriptors">TX chains put the virtio-net header in its own descriptor and the frame in descriptors of at
/// most <see cref="SplitChunk"/> bytes; RX chains put the header in its own descriptor and the rest in another.</param>
/// <param name="UseIndirect">Every chain, TX and RX, goes through an indirect descriptor table (needs
/// <c>VIRTIO_RING_F_INDIRECT_DESC</c>).</param>
/// <param name="RxBufferSize">Bytes of each posted RX buffer, header included; 0 for the spec's size (header + 1,518 bytes, or
/// header + 65,589 bytes when guest GSO is negotiated without mergeable buffers).</param>
/// <param name="ReplyTimeoutMs">How long the frontend waits for each reply of the back-end.</param>
internal sealed record FrontendOptions(
    ulong Features,
    int QueuePairs = 1,
    int RingSize = 256,
    int MemoryMiB = 16,
    int Regions = 1,
    bool SplitDescriptors = false,
    bool UseIndirect = false,
    int RxBufferSize = 0,
    int ReplyTimeoutMs = 5000)
{
    /// <summary>The largest frame piece in one TX descriptor with <see cref="SplitDescriptors"/>.</summary>
    public const int SplitChunk = 1024;

    /// <summary><c>VHOST_USER_F_PROTOCOL_FEATURES</c>.</summary>
    public const ulong ProtocolFeatures = 1UL << VhostUserFlags.ProtocolFeaturesBit;

    /// <summary>What a modern Linux guest's virtio-net driver asks a vhost-user NIC for.</summary>
    public const ulong Modern =
        (1UL << LibC.VIRTIO_F_VERSION_1) | (1UL << LibC.VIRTIO_NET_F_MRG_RXBUF) | (1UL << LibC.VIRTIO_RING_F_EVENT_IDX) |
        (1UL << LibC.VIRTIO_RING_F_INDIRECT_DESC) | (1UL << LibC.VIRTIO_NET_F_CSUM) | (1UL << LibC.VIRTIO_NET_F_GUEST_CSUM) |
        (1UL << LibC.VIRTIO_NET_F_HOST_TSO4) | (1UL << LibC.VIRTIO_NET_F_HOST_TSO6) |
        (1UL << LibC.VIRTIO_NET_F_GUEST_TSO4) | (1UL << LibC.VIRTIO_NET_F_GUEST_TSO6) | (1UL << LibC.VIRTIO_NET_F_MQ) |
        ProtocolFeatures;

    public static ulong Bit(int bit) => 1UL << bit;

    public TimeSpan ReplyTimeout => TimeSpan.FromMilliseconds(ReplyTimeoutMs);
}
