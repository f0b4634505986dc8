using System.Diagnostics;
using VSwitch.Dataplane.Capture;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Fragments;
using VSwitch.Dataplane.L2;
using VSwitch.Dataplane.Routing;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Dataplane;

/// <summary>
/// The data path: the workers, the snapshot they forward with, the MAC table and the counters.
/// </summary>
/// <remarks>
/// What: the one object the control plane talks to. It publishes snapshots (<see cref="Publish"/>), and reads
/// counters summed over the workers, less a per-slot baseline taken when a slot is given to a new port.
/// Why: the control plane never reaches into a worker; it swaps a snapshot and waits for every worker to report that
/// it has moved past the old one, after which ports that the old snapshot alone held can be closed safely.
/// Thread-safety: <see cref="Publish"/> and the baseline methods are for one control thread at a time; the readers
/// may run on any thread.
/// </remarks>
public sealed class Datapath : IDisposable
{
    private readonly TimeProvider _time;
    private readonly long[] _baseline;
    private readonly int _baselineStride;
    private readonly long[] _ruleBaseline;
    private bool _started;
    private readonly object _traceGate = new();
    private Worker? _tracer;
    private readonly Lock _captureGate = new();
    private volatile CaptureSession[] _captures = [];

    public Datapath(DatapathOptions options, TimeProvider? time = null)
    {
        if (options.Workers < 1 || options.Workers > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"workers must be 1..256, not {options.Workers}");
        }
        if (options.BusyPollMicroseconds < 0 || options.BusyPollMicroseconds > DatapathOptions.MaxBusyPollMicroseconds)
        {
            throw new ArgumentOutOfRangeException(nameof(options), $"busy-poll window must be 0..{DatapathOptions.MaxBusyPollMicroseconds} microseconds, not {options.BusyPollMicroseconds}");
        }
        Options = options;
        _time = time ?? TimeProvider.System;
        Macs = new MacTable(options.MacTableCapacity, options.MacAgingSeconds * 1000L);
        Conntrack = new ConnTable(new ConnTableOptions
        {
            MaxEntries = options.ConntrackMaxEntries,
            ShardCount = Math.Min(64, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, options.ConntrackMaxEntries / 1024))),
            Timeouts = options.ConntrackTimeouts,
            MaxPorts = Math.Min(options.MaxPorts, ushort.MaxValue),
        });
        Fragments = new FragmentTable(options.FragmentMaxDatagrams, options.FragmentTimeoutMs);
        Workers = new Worker[options.Workers];
        for (var i = 0; i < Workers.Length; i++)
        {
            Workers[i] = new Worker(this, i);
        }
        _baselineStride = WorkerCounters.PortStride;
        _baseline = new long[options.MaxPorts * _baselineStride];
        _ruleBaseline = new long[options.MaxRules];
    }

    public DatapathOptions Options { get; }

    public SnapshotPublisher Publisher { get; } = new();

    public MacTable Macs { get; }

    /// <summary>The next hops routers resolved with ARP on external networks, shared by all workers.</summary>
    public NeighborCache Neighbors { get; } = new();

    /// <summary>The connection table shared by all workers.</summary>
    public ConnTable Conntrack { get; }

    /// <summary>The first fragments of fragmented datagrams in flight, shared by all workers.</summary>
    public FragmentTable Fragments { get; }

    public Worker[] Workers { get; }

    /// <summary>Milliseconds on the data path's clock (a fake clock in tests).</summary>
    public long NowMs() => _time.GetTimestamp() * 1000 / _time.TimestampFrequency;

    /// <summary>Wall-clock milliseconds since the Unix epoch on the data path's clock (log event times).</summary>
    public long UnixTimeMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Wall-clock nanoseconds since the Unix epoch, to 100 ns (capture times).</summary>
    public long UnixTimeNs() => (_time.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) * 100;

    /// <summary>Captures that may run at once (each holds a ring per worker).</summary>
    public const int MaxCaptures = 8;

    /// <summary>The running captures (the workers' one check per batch is that this is empty).</summary>
    internal CaptureSession[] Captures => _captures;

    /// <summary>
    /// Starts copying the frames <paramref name="filter"/> takes into a new session's per-worker rings of
    /// <paramref name="ringCapacity"/> frames of up to <paramref name="snapLength"/> bytes; null when
    /// <see cref="MaxCaptures"/> are already running.
    /// </summary>
    public CaptureSession? StartCapture(CaptureFilter filter, int ringCapacity, int snapLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(filter.Slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(filter.Slot, Options.MaxPorts);
        if (_captures.Length >= MaxCaptures)
        {
            return null; // before the rings are allocated; checked again below
        }
        var session = new CaptureSession(filter, Workers.Length, ringCapacity, snapLength);
        lock (_captureGate)
        {
            if (_captures.Length >= MaxCaptures)
            {
                return null;
            }
            _captures = [.. _captures, session];
        }
        return session;
    }

    /// <summary>Stops a capture: the workers stop offering it frames from their next batch on.</summary>
    public void StopCapture(CaptureSession session)
    {
        lock (_captureGate)
        {
            _captures = [.. _captures.Where(c => c != session)];
        }
    }

    /// <summary>
    /// Ends the captures of a slot whose port is going or whose slot is given to another port (the reconciler calls it
    /// before the new port's frames can flow): their readers see <see cref="CaptureSession.Ended"/>.
    /// </summary>
    public void EndCaptures(int slot)
    {
        lock (_captureGate)
        {
            if (!_captures.Any(c => c.Filter.Slot == slot))
            {
                return;
            }
            foreach (var c in _captures.Where(c => c.Filter.Slot == slot))
            {
                c.End();
            }
            _captures = [.. _captures.Where(c => c.Filter.Slot != slot)];
        }
    }

    /// <summary>How many captures are running.</summary>
    public int CaptureCount => _captures.Length;

    /// <summary>Starts one thread per worker, pinned to the allowed CPUs in turn when <see cref="DatapathOptions.Pin"/>.</summary>
    public void Start()
    {
        if (_started)
        {
            return;
        }
        var cpus = ThreadAffinity.AllowedCpus();
        foreach (var w in Workers)
        {
            w.Start(Options.Pin && cpus.Length > 0 ? cpus[w.Id % cpus.Length] : -1);
        }
        _started = true;
    }

    /// <summary>How long <see cref="Publish"/> yields to the workers before it sleeps between checks of their switch.</summary>
    private const long PublishYieldMicroseconds = 500;

    /// <summary>
    /// Makes <paramref name="snapshot"/> current and, when the workers run, waits until each of them has switched to
    /// it (their next batch boundary). Returns false if a worker did not switch within <paramref name="timeout"/>
    /// (default <see cref="DatapathOptions.PublishTimeout"/>): a worker may then still use anything the previous
    /// snapshots referenced, and the caller must not release it before <see cref="WorkersReached"/> says so.
    /// </summary>
    public bool Publish(DataplaneSnapshot snapshot, TimeSpan? timeout = null)
    {
        Publisher.Write(snapshot);
        if (!_started)
        {
            return true;
        }
        foreach (var w in Workers)
        {
            w.Ring();
        }
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)((timeout ?? Options.PublishTimeout).TotalSeconds * Stopwatch.Frequency);
        var yieldUntil = start + (PublishYieldMicroseconds * Stopwatch.Frequency / 1_000_000);
        var spinner = default(SpinWait);
        foreach (var w in Workers)
        {
            while (w.SeenGeneration < snapshot.Generation)
            {
                var now = Stopwatch.GetTimestamp();
                if (now > deadline)
                {
                    return false;
                }
                // A worker blocked in epoll wakes on its doorbell within tens of microseconds: yield the core to it
                // (never sleep a whole millisecond, which every change paid before) for a short while, then sleep.
                if (now < yieldUntil)
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
                else
                {
                    Thread.Sleep(1);
                }
            }
        }
        return true;
    }

    /// <summary>
    /// True when no worker can still use a snapshot older than <paramref name="generation"/>: every running worker has
    /// switched to it or a later one, or the workers are stopped.
    /// </summary>
    public bool WorkersReached(long generation)
    {
        if (!_started)
        {
            return true;
        }
        foreach (var w in Workers)
        {
            if (w.SeenGeneration < generation)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Explains what the data path does with <paramref name="frame"/> arriving on port slot <paramref name="inSlot"/>:
    /// the workers' own stages run in trace mode on a private worker, so the answer is the data path's, and nothing
    /// shared (MAC table, connections, counters) changes.
    /// </summary>
    public TraceLog Trace(int inSlot, ReadOnlySpan<byte> frame)
    {
        lock (_traceGate)
        {
            _tracer ??= new Worker(this, 0, isTracer: true);
            return _tracer.Trace(inSlot, frame);
        }
    }

    /// <summary>Starts counting slot <paramref name="slot"/> from zero (a new port took it).</summary>
    public void ResetBaseline(int slot)
    {
        for (var c = 0; c < (int)PortCounter.Count; c++)
        {
            _baseline[(slot * _baselineStride) + c] = SumRaw(slot, (PortCounter)c);
        }
        for (var r = 0; r < (int)DropReason.Count; r++)
        {
            for (var d = 0; d < 2; d++)
            {
                _baseline[(slot * _baselineStride) + (int)PortCounter.Count + (r * 2) + d] = SumRawDrop(slot, (DropReason)r, (Direction)d);
            }
        }
    }

    /// <summary>A port counter summed over the workers since the slot's baseline.</summary>
    public long Read(int slot, PortCounter counter) => SumRaw(slot, counter) - _baseline[(slot * _baselineStride) + (int)counter];

    /// <summary>A drop counter summed over the workers since the slot's baseline.</summary>
    public long ReadDrop(int slot, DropReason reason, Direction direction) =>
        SumRawDrop(slot, reason, direction) - _baseline[(slot * _baselineStride) + (int)PortCounter.Count + ((int)reason * 2) + (int)direction];

    /// <summary>Starts counting rule slot <paramref name="ruleSlot"/> from zero (a new rule took it).</summary>
    public void ResetRuleBaseline(int ruleSlot) => _ruleBaseline[ruleSlot] = SumRuleHits(ruleSlot);

    /// <summary>Packets allowed by the rule in <paramref name="ruleSlot"/>, summed over the workers.</summary>
    public long ReadRuleHits(int ruleSlot) =>
        (uint)ruleSlot < (uint)_ruleBaseline.Length ? SumRuleHits(ruleSlot) - _ruleBaseline[ruleSlot] : 0;

    private long SumRuleHits(int ruleSlot)
    {
        long sum = 0;
        foreach (var w in Workers)
        {
            sum += w.Counters.ReadRuleHits(ruleSlot);
        }
        return sum;
    }

    /// <summary>A worker counter summed over the workers.</summary>
    public long Read(WorkerCounter counter)
    {
        long sum = 0;
        foreach (var w in Workers)
        {
            sum += w.Counters.Read(counter);
        }
        return sum;
    }

    private long SumRaw(int slot, PortCounter counter)
    {
        long sum = 0;
        foreach (var w in Workers)
        {
            sum += w.Counters.Read(slot, counter);
        }
        return sum;
    }

    private long SumRawDrop(int slot, DropReason reason, Direction direction)
    {
        long sum = 0;
        foreach (var w in Workers)
        {
            sum += w.Counters.ReadDrop(slot, reason, direction);
        }
        return sum;
    }

    public void Stop()
    {
        foreach (var w in Workers)
        {
            w.Stop();
        }
        _started = false;
    }

    public void Dispose()
    {
        foreach (var w in Workers)
        {
            w.Dispose();
        }
        _tracer?.Dispose();
        Conntrack.Dispose();
    }
}
