using System.Diagnostics;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>Batches taken from one port before the worker looks at the others (fairness).</summary>
    private const int BatchesPerTurn = 8;

    /// <summary>Ready events taken from the kernel per <c>epoll_wait</c>.</summary>
    private const int EventCount = 64;

    private unsafe void Run(int cpu)
    {
        try
        {
            if (cpu >= 0 && ThreadAffinity.PinCurrentThread(cpu))
            {
                Cpu = cpu;
            }
            var events = stackalloc epoll_event[EventCount];
            var busyPollTicks = _datapath.Options.BusyPollMicroseconds * Stopwatch.Frequency / 1_000_000;
            var lastActive = long.MinValue / 2;
            while (!_stopping)
            {
                // Busy poll: keep polling without sleeping while frames arrived within the window.
                var spinning = busyPollTicks > 0 && Stopwatch.GetTimestamp() - lastActive < busyPollTicks;
                if (PollOnce(events, EventCount, timeoutMs: spinning ? 0 : _hold.Count > 0 ? HoldPollMs : 1000) > 0 && busyPollTicks > 0)
                {
                    lastActive = Stopwatch.GetTimestamp();
                }
            }
        }
        catch (Exception ex)
        {
            // A worker that limps on after an unexpected fault could forward against a half-updated state.
            Environment.FailFast($"vswitch worker {Id} failed", ex);
        }
    }

    /// <summary>
    /// One iteration: switch to the current snapshot, wait up to <paramref name="timeoutMs"/> for ready ports, and
    /// process them. Returns the number of frames processed.
    /// </summary>
    internal unsafe int PollOnce(epoll_event* events, int capacity, int timeoutMs)
    {
        SyncSnapshot();
        Counters.Add(timeoutMs == 0 ? WorkerCounter.BusyPolls : WorkerCounter.Waits, 1);
        var ready = LibC.epoll_wait(_epollFd, events, capacity, timeoutMs);
        AdvertisePeriodically();
        if (ready <= 0)
        {
            if (_hold.Count > 0)
            {
                ReplayHeld();
            }
            return 0;
        }
        var started = Stopwatch.GetTimestamp();
        SyncSnapshot();
        var frames = 0;
        for (var e = 0; e < ready; e++)
        {
            var token = events[e].data;
            if (token == DoorbellToken)
            {
                ulong value;
                LibC.read(_doorbellFd, &value, sizeof(ulong));
                continue;
            }
            frames += ServicePort((int)token);
        }
        if (_hold.Count > 0)
        {
            ReplayHeld();
        }
        Counters.Add(WorkerCounter.BusyNanoseconds, (long)Stopwatch.GetElapsedTime(started).TotalNanoseconds);
        return frames;
    }

    /// <summary>Receives and processes up to <see cref="BatchesPerTurn"/> batches from the port in <paramref name="slot"/>.</summary>
    private int ServicePort(int slot)
    {
        var ports = _snapshot.Ports;
        if ((uint)slot >= (uint)ports.Length || ports[slot] is not { } port || !ReferenceEquals(_registered[slot], port.Port))
        {
            return 0;
        }
        var frames = 0;
        var errors = default(PortErrors);
        for (var turn = 0; turn < BatchesPerTurn; turn++)
        {
            _rx.ResetForReceive();
            var n = port.Port.Receive(Id, _rx, ref errors);
            if (n == 0)
            {
                break;
            }
            ProcessBatch(_snapshot, port, _rx);
            frames += n;
            if (n < PacketBatch.MaxSize)
            {
                break;
            }
        }
        if (errors.RxErrors != 0)
        {
            Counters.Add(slot, PortCounter.RxErrors, errors.RxErrors);
        }
        if (errors.RxRingDrops != 0)
        {
            Counters.Add(slot, PortCounter.RxRingDrops, errors.RxRingDrops);
        }
        if (port.Port.Failure is not null && !_deregistered[slot])
        {
            // The interface is gone: stop polling it; the control plane reports it and marks the port down.
            EpollDelete(port.Port.GetReadyFd(Id));
            _deregistered[slot] = true;
        }
        return frames;
    }

    /// <summary>Switches to the published snapshot at a batch boundary, registering new ports and dropping old ones.</summary>
    internal void SyncSnapshot()
    {
        var current = _datapath.Publisher.Current;
        if (ReferenceEquals(current, _snapshot))
        {
            return;
        }
        var ports = current.Ports;
        var limit = Math.Max(ports.Length, _snapshot.Ports.Length);
        for (var slot = 0; slot < limit && slot < _registered.Length; slot++)
        {
            var next = slot < ports.Length ? ports[slot]?.Port : null;
            var previous = _registered[slot];
            if (ReferenceEquals(next, previous))
            {
                continue;
            }
            if (previous is not null && !_deregistered[slot])
            {
                EpollDelete(previous.GetReadyFd(Id));
            }
            _registered[slot] = next;
            _deregistered[slot] = false;
            if (_hold.Count > 0)
            {
                // Fragments held from the port that left the slot go with it.
                _hold.Discard(slot);
            }
            if (next is not null)
            {
                _tx[slot] ??= new PacketBatch();
                _tx[slot]!.Count = 0;
                if (next.Failure is null)
                {
                    EpollAdd(next.GetReadyFd(Id), (ulong)slot);
                }
                else
                {
                    _deregistered[slot] = true;
                }
            }
        }
        _snapshot = current;
        Volatile.Write(ref _seenGeneration, current.Generation);
    }
}
