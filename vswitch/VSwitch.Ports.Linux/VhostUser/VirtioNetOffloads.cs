using VSwitch.Interop;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>
/// What a vhost-user front-end negotiated that changes how frames cross its rings: the header's size, mergeable receive
/// buffers, and which checksum and segmentation offloads each side may leave to the other.
/// </summary>
/// <param name="HeaderSize">12 bytes with VERSION_1 or MRG_RXBUF (the header carries <c>num_buffers</c>), else 10.</param>
/// <param name="Mergeable">MRG_RXBUF: a received frame may span several of the guest's chains.</param>
/// <param name="GuestChecksum">GUEST_CSUM: frames to the guest may carry a partial checksum (NEEDS_CSUM).</param>
/// <param name="GuestTso4">GUEST_TSO4: TCP/IPv4 GSO frames may go to the guest whole.</param>
/// <param name="GuestTso6">GUEST_TSO6: TCP/IPv6 GSO frames may go to the guest whole.</param>
/// <param name="GuestEcn">GUEST_ECN: such frames may carry the ECN GSO flag.</param>
/// <param name="HostChecksum">CSUM: the guest may send partial checksums.</param>
/// <param name="HostTso4">HOST_TSO4: the guest may send TCP/IPv4 GSO frames.</param>
/// <param name="HostTso6">HOST_TSO6: the guest may send TCP/IPv6 GSO frames.</param>
internal sealed record VirtioNetOffloads(int HeaderSize, bool Mergeable, bool GuestChecksum, bool GuestTso4, bool GuestTso6, bool GuestEcn,
    bool HostChecksum, bool HostTso4, bool HostTso6)
{
    /// <summary>The virtio-net and ring features the back-end offers (bit 30, protocol features, is added by the session).</summary>
    public const ulong Offered =
        (1UL << LibC.VIRTIO_F_VERSION_1) | (1UL << LibC.VIRTIO_RING_F_EVENT_IDX) | (1UL << LibC.VIRTIO_RING_F_INDIRECT_DESC)
        | (1UL << LibC.VIRTIO_NET_F_MRG_RXBUF) | (1UL << LibC.VIRTIO_NET_F_MQ)
        | (1UL << LibC.VIRTIO_NET_F_CSUM) | (1UL << LibC.VIRTIO_NET_F_GUEST_CSUM)
        | (1UL << LibC.VIRTIO_NET_F_HOST_TSO4) | (1UL << LibC.VIRTIO_NET_F_HOST_TSO6) | (1UL << LibC.VIRTIO_NET_F_HOST_ECN)
        | (1UL << LibC.VIRTIO_NET_F_GUEST_TSO4) | (1UL << LibC.VIRTIO_NET_F_GUEST_TSO6) | (1UL << LibC.VIRTIO_NET_F_GUEST_ECN);

    /// <summary>The offloads of a negotiated feature set.</summary>
    public static VirtioNetOffloads From(ulong features)
    {
        bool Has(int bit) => (features & (1UL << bit)) != 0;
        return new VirtioNetOffloads(
            Has(LibC.VIRTIO_F_VERSION_1) || Has(LibC.VIRTIO_NET_F_MRG_RXBUF) ? 12 : 10,
            Has(LibC.VIRTIO_NET_F_MRG_RXBUF),
            Has(LibC.VIRTIO_NET_F_GUEST_CSUM),
            Has(LibC.VIRTIO_NET_F_GUEST_TSO4),
            Has(LibC.VIRTIO_NET_F_GUEST_TSO6),
            Has(LibC.VIRTIO_NET_F_GUEST_ECN),
            Has(LibC.VIRTIO_NET_F_CSUM),
            Has(LibC.VIRTIO_NET_F_HOST_TSO4),
            Has(LibC.VIRTIO_NET_F_HOST_TSO6));
    }

    /// <summary>The negotiated offloads in words, for the operator (<c>binding:vif_details</c>).</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Mergeable)
        {
            parts.Add("mrg_rxbuf");
        }
        if (HostChecksum)
        {
            parts.Add("csum");
        }
        if (HostTso4 || HostTso6)
        {
            parts.Add("host_tso");
        }
        if (GuestChecksum)
        {
            parts.Add("guest_csum");
        }
        if (GuestTso4 || GuestTso6)
        {
            parts.Add("guest_tso");
        }
        return parts.Count == 0 ? "none" : string.Join(',', parts);
    }
}
