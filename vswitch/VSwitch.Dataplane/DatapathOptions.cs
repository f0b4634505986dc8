using VSwitch.Packets;

namespace VSwitch.Dataplane;

/// <summary>Sizes and switches of the data path, fixed when it starts.</summary>
public sealed record DatapathOptions
{
    /// <summary>Worker threads (and queues per port). Default: one per allowed CPU.</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Busy-poll mode: after a poll that found frames, a worker keeps polling its ports without sleeping
    /// (<c>epoll_wait</c> with a zero timeout) for this many microseconds before it blocks again. It saves the wake-up
    /// of a sleeping thread on every packet of a request/response exchange (lower latency) and burns the core while
    /// traffic is intermittent: for hosts that dedicate cores to the switch. 0 (the default) is off.
    /// </summary>
    public int BusyPollMicroseconds { get; init; }

    /// <summary>The largest busy-poll window accepted (one second).</summary>
    public const int MaxBusyPollMicroseconds = 1_000_000;

    /// <summary>Pin worker i to the i-th allowed CPU.</summary>
    public bool Pin { get; init; } = true;

    /// <summary>Port slots (the largest number of ports at once).</summary>
    public int MaxPorts { get; init; } = 1024;

    /// <summary>Receive buffer per frame; 64 KiB + headers so GSO super-frames fit.</summary>
    public int BufferSize { get; init; } = PacketBatch.DefaultBufferSize;

    /// <summary>Security-group rule counter slots (the largest number of rules at once).</summary>
    public int MaxRules { get; init; } = 65536;

    /// <summary>Exact-match flow-cache entries per worker (a power of two).</summary>
    public int FlowCacheEntries { get; init; } = 8192;

    /// <summary>Connection-tracking entries (preallocated; 152 bytes each).</summary>
    public int ConntrackMaxEntries { get; init; } = 65536;

    /// <summary>
    /// The most tracked connections a port may have when its own limit is not set (0: no limit); see
    /// <see cref="Pipeline.SwitchPort.ConntrackLimit"/>.
    /// </summary>
    public int ConntrackPortLimit { get; init; }

    /// <summary>Connection-tracking timeouts (Linux defaults).</summary>
    public Conntrack.ConnTimeouts ConntrackTimeouts { get; init; } = Conntrack.ConnTimeouts.Default;

    /// <summary>Fragmented datagrams whose first fragment the data path remembers at once (64 bytes each).</summary>
    public int FragmentMaxDatagrams { get; init; } = 8192;

    /// <summary>Milliseconds a fragmented datagram's first fragment is remembered after its last fragment was seen.</summary>
    public int FragmentTimeoutMs { get; init; } = 5000;

    /// <summary>MAC-table entries over all networks.</summary>
    public int MacTableCapacity { get; init; } = 65536;

    /// <summary>Security-group log events each worker can hold until the log writer takes them (rounded up to a power of two).</summary>
    public int SecurityGroupLogRingSize { get; init; } = Pipeline.SecurityGroupLogRing.DefaultCapacity;

    /// <summary>
    /// How long <see cref="Datapath.Publish"/> waits for every worker to switch to a new snapshot before it reports
    /// that one has not (the control plane then keeps what the old snapshot references open until it has).
    /// </summary>
    public TimeSpan PublishTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Seconds a learned MAC lives without traffic (OVS and Linux bridges default to 300).</summary>
    public int MacAgingSeconds { get; init; } = 300;
}
