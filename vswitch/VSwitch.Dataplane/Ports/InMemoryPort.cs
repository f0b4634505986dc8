using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using VSwitch.Interop;
using VSwitch.Packets;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Dataplane.Ports;

/// <summary>
/// A port that lives inside the process: tests and benchmarks inject frames and take what the switch transmits,
/// through the same worker code path as TAP and AF_PACKET ports (OVS <c>netdev-dummy</c>).
/// </summary>
/// <remarks>
/// Each queue has an eventfd that polls readable while injected frames wait, so workers block in epoll exactly as
/// they do for kernel ports. Receive resets the eventfd before draining the queue, so a frame injected meanwhile
/// leaves it readable and no wake-up is lost.
/// Thread-safety: <see cref="Inject"/> and <see cref="TryTake"/> from any thread; queue q is received by worker q.
/// </remarks>
public sealed unsafe class InMemoryPort : IPort
{
    private readonly ConcurrentQueue<(byte[] Frame, VirtioNetHeader Vnet)>[] _rx;
    private readonly int[] _eventFds;
    private readonly BlockingCollection<byte[]> _transmitted = new(new ConcurrentQueue<byte[]>());
    private long _transmittedCount;
    private string? _failure;

    public InMemoryPort(string device = "memory", int queueCount = 1, bool captureTransmitted = true)
    {
        Device = device;
        QueueCount = queueCount;
        CaptureTransmitted = captureTransmitted;
        _rx = new ConcurrentQueue<(byte[], VirtioNetHeader)>[queueCount];
        _eventFds = new int[queueCount];
        for (var q = 0; q < queueCount; q++)
        {
            _rx[q] = new ConcurrentQueue<(byte[], VirtioNetHeader)>();
            _eventFds[q] = TmdsLibC.eventfd(0, TmdsLibC.EFD_NONBLOCK | TmdsLibC.EFD_CLOEXEC);
            if (_eventFds[q] < 0)
            {
                throw new PortException($"{device}: eventfd failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
            }
        }
    }

    public string Device { get; }

    public int QueueCount { get; }

    /// <summary>When false, transmitted frames are only counted (benchmarks: nothing is allocated).</summary>
    public bool CaptureTransmitted { get; }

    /// <summary>Frames the switch has transmitted on this port so far.</summary>
    public long TransmittedCount => Interlocked.Read(ref _transmittedCount);

    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Makes the port fail as a vanished interface would.</summary>
    public void Fail(string reason)
    {
        Volatile.Write(ref _failure, reason);
        Signal(0);
    }

    /// <summary>Queues a frame as if the VM had sent it.</summary>
    public void Inject(ReadOnlySpan<byte> frame, int queue = 0, VirtioNetHeader vnet = default)
    {
        _rx[queue].Enqueue((frame.ToArray(), vnet));
        Signal(queue);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the next frame the switch transmits.</summary>
    public bool TryTake(out byte[] frame, TimeSpan timeout)
    {
        var taken = _transmitted.TryTake(out var f, timeout);
        frame = f ?? [];
        return taken;
    }

    /// <summary>Takes every frame transmitted so far, waiting up to <paramref name="settle"/> for stragglers.</summary>
    public List<byte[]> Drain(TimeSpan settle)
    {
        var list = new List<byte[]>();
        while (_transmitted.TryTake(out var f, settle))
        {
            list.Add(f);
        }
        return list;
    }

    public int GetReadyFd(int queue) => _eventFds[queue];

    public int Receive(int queue, PacketBatch batch, ref PortErrors errors)
    {
        ulong counter;
        LibC.read(_eventFds[queue], &counter, sizeof(ulong));
        if (Failure is not null)
        {
            return 0;
        }
        var rx = _rx[queue];
        var n = 0;
        while (n < PacketBatch.MaxSize && rx.TryDequeue(out var item))
        {
            if (item.Frame.Length > batch.BufferSize)
            {
                errors.RxErrors++;
                continue;
            }
            ref var f = ref batch[n];
            item.Frame.CopyTo(new Span<byte>(f.Data, batch.BufferSize));
            f.Length = item.Frame.Length;
            f.Vnet = item.Vnet;
            n++;
        }
        if (!rx.IsEmpty)
        {
            Signal(queue);
        }
        batch.Count = n;
        return n;
    }

    public int Transmit(int queue, PacketBatch batch, ref PortErrors errors)
    {
        if (Failure is not null)
        {
            return 0;
        }
        if (CaptureTransmitted)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                _transmitted.Add(batch[i].Span.ToArray());
            }
        }
        Interlocked.Add(ref _transmittedCount, batch.Count);
        return batch.Count;
    }

    private void Signal(int queue)
    {
        ulong one = 1;
        LibC.write(_eventFds[queue], &one, sizeof(ulong));
    }

    public void Dispose()
    {
        for (var q = 0; q < _eventFds.Length; q++)
        {
            if (_eventFds[q] > 0)
            {
                TmdsLibC.close(_eventFds[q]);
                _eventFds[q] = -1;
            }
        }
        _transmitted.Dispose();
    }
}
