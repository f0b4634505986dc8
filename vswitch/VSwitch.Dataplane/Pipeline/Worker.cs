using System.Runtime.InteropServices;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.FlowCache;
using VSwitch.Dataplane.Ports;
using VSwitch.Dataplane.Routing;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// One data-path thread: it owns queue <see cref="Id"/> of every port and runs each received batch to completion
/// (parse, switch, transmit) before it receives the next.
/// </summary>
/// <remarks>
/// What: a dedicated thread, optionally pinned to one CPU, that blocks in <c>epoll_wait</c> on its queue of every
/// port plus a doorbell eventfd, and processes ready ports batch by batch (see <c>Worker.Loop.cs</c> and
/// <c>Worker.Stages.cs</c>).
/// Why: run-to-completion on a single thread needs no locks; per-worker receive buffers, transmit batches, parse
/// results and counters mean nothing is shared but the snapshot (read-only) and the MAC table (lock-free).
/// Idle workers sleep in the kernel instead of spinning (ARCHITECTURE §1).
/// Thread-safety: all fields belong to the worker thread, except <see cref="SeenGeneration"/> (read by the
/// publisher), <see cref="Counters"/> (read by any thread) and <see cref="SecurityGroupLog"/> (drained by the log writer).
/// </remarks>
public sealed partial class Worker : IDisposable
{
    private const ulong DoorbellToken = ulong.MaxValue;

    private readonly Datapath _datapath;
    private readonly int _epollFd;
    private readonly int _doorbellFd;
    private readonly PacketBatch _rx;
    private readonly PacketBatch?[] _tx;
    private readonly IPort?[] _registered;
    private readonly bool[] _deregistered;
    private readonly int[] _dirty;
    private readonly bool[] _isDirty;
    private readonly ParsedPacket[] _parsed = new ParsedPacket[PacketBatch.MaxSize];
    private readonly int[] _output = new int[PacketBatch.MaxSize];
    private readonly ExactMatchCache _flowCache;
    private readonly ConnLookup[] _ct = new ConnLookup[PacketBatch.MaxSize];
    private readonly ConnProbe[] _probe = new ConnProbe[PacketBatch.MaxSize];
    private readonly TrackMode[] _trackMode = new TrackMode[PacketBatch.MaxSize];
    private readonly int[] _egressRule = new int[PacketBatch.MaxSize];

    /// <summary>Per frame: the conntrack zone its connection lives in (the sender's network's, or the inside's after a floating IP's DNAT).</summary>
    private readonly int[] _ctZone = new int[PacketBatch.MaxSize];

    /// <summary>Per frame: its source was translated (a floating IP, SNAT); <see cref="_preNat"/> holds it as tracked (the fixed IP).</summary>
    private readonly bool[] _natted = new bool[PacketBatch.MaxSize];

    private readonly ParsedPacket[] _preNat = new ParsedPacket[PacketBatch.MaxSize];

    /// <summary>Per frame: the floating IP it came in by or goes out as (0: none), named by the security-group log.</summary>
    private readonly uint[] _viaFloating = new uint[PacketBatch.MaxSize];

    /// <summary>Per frame: routed inward from a gateway, its inside connection lookup waits for <see cref="InsideLookupStage{TMode}"/>.</summary>
    private readonly bool[] _insideLookup = new bool[PacketBatch.MaxSize];

    private int _insideLookups;

    /// <summary>Per frame: routed out by this router's gateway, its SNAT waits for <see cref="SnatStage"/> (null: none).</summary>
    private readonly LogicalRouter?[] _snatRouter = new LogicalRouter?[PacketBatch.MaxSize];

    private int _snatPending;

    /// <summary>Per translated frame: the SNAT binding it created, removed again if its connection cannot be committed.</summary>
    private readonly ConnHandle[] _snatCreated = new ConnHandle[PacketBatch.MaxSize];

    /// <summary>Per frame: a reply to a router's SNAT address whose binding lookup <see cref="PrefetchSnatReplies"/> prepared in <see cref="_probe"/>.</summary>
    private readonly bool[] _snatReplyPrepared = new bool[PacketBatch.MaxSize];

    /// <summary>The floating IP the frame being routed was sent to (0: none), for the quotes of the errors it causes.</summary>
    private uint _quotedFloating;

    /// <summary>The SNAT address the frame being routed was sent to (0: none), and its port there and inside, for the quotes of the errors it causes.</summary>
    private uint _quotedSnat;
    private ushort _quotedSnatPort;
    private ushort _quotedInsidePort;
    private readonly PacketBatch _replies = new(1024);
    private int _replyCount;
    private readonly Routing.IcmpRateLimit _icmpBudget = new();
    private readonly ArpRequestPacer _arpPacer = new();
    private readonly FlowKey[] _flowKeys = new FlowKey[PacketBatch.MaxSize];
    private readonly ulong[] _flowKeyPacketHash = new ulong[PacketBatch.MaxSize];
    private readonly bool[] _flowKeyBuilt = new bool[PacketBatch.MaxSize];
    private DataplaneSnapshot _snapshot = DataplaneSnapshot.Empty;
    private int _dirtyCount;
    private long _seenGeneration;
    private volatile bool _stopping;
    private Thread? _thread;

    private readonly bool _isTracer;
    private TraceLog? _trace;

    internal Worker(Datapath datapath, int id, bool isTracer = false)
    {
        _datapath = datapath;
        _isTracer = isTracer;
        Id = id;
        var maxPorts = datapath.Options.MaxPorts;
        Counters = new WorkerCounters(maxPorts, datapath.Options.MaxRules);
        SecurityGroupLog = new SecurityGroupLogRing(isTracer ? 2 : datapath.Options.SecurityGroupLogRingSize);
        _flowCache = new ExactMatchCache(datapath.Options.FlowCacheEntries);
        _rx = new PacketBatch(datapath.Options.BufferSize);
        _tx = new PacketBatch?[maxPorts];
        _registered = new IPort?[maxPorts];
        _deregistered = new bool[maxPorts];
        _isDirty = new bool[maxPorts];
        _dirty = new int[maxPorts];
        _epollFd = TmdsLibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        _doorbellFd = TmdsLibC.eventfd(0, TmdsLibC.EFD_NONBLOCK | TmdsLibC.EFD_CLOEXEC);
        if (_epollFd < 0 || _doorbellFd < 0)
        {
            throw new InvalidOperationException($"worker {id}: epoll/eventfd failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        EpollAdd(_doorbellFd, DoorbellToken);
    }

    /// <summary>The worker's index: it uses queue <see cref="Id"/> of every port.</summary>
    public int Id { get; }

    /// <summary>The worker's counters (single writer: this worker).</summary>
    public WorkerCounters Counters { get; }

    /// <summary>The worker's security-group log events (producer: this worker; consumer: the log writer).</summary>
    public SecurityGroupLogRing SecurityGroupLog { get; }

    /// <summary>The CPU the worker is pinned to, or -1.</summary>
    public int Cpu { get; private set; } = -1;

    /// <summary>The generation of the snapshot the worker last switched to.</summary>
    public long SeenGeneration => Volatile.Read(ref _seenGeneration);

    /// <summary>Starts the worker thread.</summary>
    internal void Start(int cpu)
    {
        _thread = new Thread(() => Run(cpu))
        {
            IsBackground = true,
            Name = $"vswitch-worker-{Id}",
            Priority = ThreadPriority.AboveNormal,
        };
        _thread.Start();
    }

    /// <summary>Wakes the worker so that it looks at the current snapshot (or stops).</summary>
    internal unsafe void Ring()
    {
        ulong one = 1;
        LibC.write(_doorbellFd, &one, sizeof(ulong));
    }

    internal void Stop()
    {
        _stopping = true;
        Ring();
        _thread?.Join();
        _thread = null;
    }

    /// <summary>
    /// Runs one frame through the same stages the workers run, in trace mode: every decision is recorded, and nothing
    /// shared changes (no MAC learning, conntrack is only peeked at, nothing is transmitted). Tracer worker only.
    /// </summary>
    internal TraceLog Trace(int inSlot, ReadOnlySpan<byte> frame)
    {
        SyncSnapshot();
        var snapshot = _snapshot;
        if ((uint)inSlot >= (uint)snapshot.Ports.Length || snapshot.Ports[inSlot] is not { } port)
        {
            throw new ArgumentException($"no port in slot {inSlot}", nameof(inSlot));
        }
        if (frame.Length > _rx.BufferSize)
        {
            throw new ArgumentException($"frame of {frame.Length} bytes is larger than a buffer ({_rx.BufferSize})", nameof(frame));
        }
        _trace = new TraceLog(snapshot.Ports, snapshot.Routers);
        try
        {
            _rx.ResetForReceive();
            frame.CopyTo(_rx.Buffer(0));
            _rx[0].Length = frame.Length;
            _rx.Count = 1;
            ProcessBatch<Tracing>(snapshot, port, _rx, replay: false);
            return _trace;
        }
        finally
        {
            _trace = null;
        }
    }

    private unsafe void EpollAdd(int fd, ulong token)
    {
        if (_isTracer)
        {
            return;
        }
        var ev = new epoll_event { events = LibC.EPOLLIN, data = token };
        TmdsLibC.epoll_ctl(_epollFd, LibC.EPOLL_CTL_ADD, fd, (Tmds.Linux.epoll_event*)&ev);
    }

    private unsafe void EpollDelete(int fd)
    {
        if (_isTracer)
        {
            return;
        }
        var ev = default(epoll_event);
        TmdsLibC.epoll_ctl(_epollFd, LibC.EPOLL_CTL_DEL, fd, (Tmds.Linux.epoll_event*)&ev);
    }

    public void Dispose()
    {
        Stop();
        TmdsLibC.close(_epollFd);
        TmdsLibC.close(_doorbellFd);
        _rx.Dispose();
        _replies.Dispose();
        _hold.Dispose();
    }
}
