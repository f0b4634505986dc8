using VSwitch.Packets;

namespace VSwitch.Dataplane.Ports;

/// <summary>
/// The contract every port backend implements (as OVS's <c>struct netdev_class</c>): receive and transmit batches on
/// one queue per worker, and a file descriptor per queue that becomes readable when frames wait.
/// </summary>
/// <remarks>
/// Thread-safety: queue <c>q</c> is used only by worker <c>q</c>, so <see cref="Receive"/> and <see cref="Transmit"/>
/// need no locks; different queues of one port run concurrently. <c>Dispose</c> is called by the control plane
/// only after every worker has stopped using the port (after a snapshot grace period).
/// Neither method throws or allocates in steady state: errors are counted or reported through <see cref="Failure"/>.
/// </remarks>
public interface IPort : IDisposable
{
    /// <summary>The device string the port was created from, such as <c>tap:web0@vm-web</c>.</summary>
    string Device { get; }

    /// <summary>Queues the port was opened with (one per worker).</summary>
    int QueueCount { get; }

    /// <summary>
    /// A file descriptor that polls readable when queue <paramref name="queue"/> has frames to receive
    /// (level-triggered), or when the port has failed.
    /// </summary>
    int GetReadyFd(int queue);

    /// <summary>
    /// Receives up to <see cref="PacketBatch.MaxSize"/> frames into <paramref name="batch"/>, which arrives empty with
    /// every descriptor pointing at a buffer of <see cref="PacketBatch.BufferSize"/> bytes. The port fills the buffers
    /// (or repoints descriptors), sets lengths and offload headers and <see cref="PacketBatch.Count"/>, and returns the
    /// count: 0 when nothing waits. Frames too large for the buffer are dropped and counted in <paramref name="errors"/>.
    /// </summary>
    int Receive(int queue, PacketBatch batch, ref PortErrors errors);

    /// <summary>
    /// Transmits the frames of <paramref name="batch"/> on queue <paramref name="queue"/> and returns how many the
    /// kernel took; the caller counts the rest as <c>tx_failed</c>. The batch is not modified. The count is not always
    /// a prefix: an AF_PACKET queue and a TAP queue on system calls stop at the first frame the kernel refuses, a TAP
    /// queue on io_uring submits every frame and a refused one may be followed by sent ones.
    /// </summary>
    int Transmit(int queue, PacketBatch batch, ref PortErrors errors);

    /// <summary>Why the port stopped working (its interface vanished, a read failed), or null while it works.</summary>
    string? Failure { get; }

    /// <summary>
    /// Why the port's far end is absent for now (a vhost-user VM that has not connected), or null: the port stays open
    /// and registered, reports DOWN with this reason, and frames to it count as <c>port_down</c>
    /// (<see cref="PortErrors.TxLinkDown"/>). Unlike <see cref="Failure"/> it comes and goes by itself.
    /// </summary>
    string? LinkDown => null;

    /// <summary>
    /// Set when the port works on a slower path than its default because the kernel could not provide the faster one
    /// (a TAP port without io_uring): why, for the operator. The control plane logs it when the port attaches.
    /// </summary>
    string? Fallback => null;

    /// <summary>
    /// How the port was opened, for the operator (Neutron's <c>binding:vif_details</c>): the I/O path, ring type and
    /// queues, in the device string's own words (<c>io</c> = <c>uring</c>, <c>rx</c> = <c>v2</c>); a port whose far end
    /// comes and goes (vhost-user) also says how it stands now (the control plane looks again at each health check).
    /// For the control plane only: each call builds a new dictionary.
    /// </summary>
    IReadOnlyDictionary<string, string> Details => new Dictionary<string, string> { ["queues"] = QueueCount.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}

/// <summary>Error tallies a port reports to the worker that called it; the worker adds them to its counters.</summary>
public struct PortErrors
{
    /// <summary>Frames received but not delivered (too large, truncated by the ring).</summary>
    public long RxErrors;

    /// <summary>Transmit calls that failed with an error other than a full queue.</summary>
    public long TxErrors;

    /// <summary>
    /// Frames the kernel dropped before the port saw them because its receive ring was full (AF_PACKET's
    /// <c>PACKET_STATISTICS</c> <c>tp_drops</c>), reported as the port reads them.
    /// </summary>
    public long RxRingDrops;

    /// <summary>
    /// Frames <see cref="IPort.Transmit"/> did not send because the port's far end is not there (a vhost-user VM whose
    /// front-end is not connected): counted as <c>port_down</c> rather than <c>tx_failed</c>.
    /// </summary>
    public long TxLinkDown;
}
