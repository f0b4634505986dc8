using System.Diagnostics;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;

namespace VSwitch.Ports.Linux.Tests.Infrastructure;

/// <summary>A received frame copied out of a batch.</summary>
internal sealed record ReceivedFrame(int Queue, byte[] Data, VirtioNetHeader Vnet);

/// <summary>
/// Drives a port the way a worker does (poll the ready fds, Receive until 0, Transmit), with time limits, receiving
/// into buffers of <paramref name="bufferSize"/> bytes.
/// </summary>
internal sealed unsafe class PortDriver(IPort port, int bufferSize = PacketBatch.DefaultBufferSize) : IDisposable
{
    private readonly PacketBatch _rx = new(bufferSize);
    private PortErrors _errors;

    public IPort Port { get; } = port;

    public PortErrors Errors => _errors;

    /// <summary>Transmits one frame on <paramref name="queue"/>; returns what Transmit returned.</summary>
    public int Send(byte[] frame, int queue = 0, VirtioNetHeader vnet = default)
    {
        using var tx = new PacketBatch();
        fixed (byte* p = frame)
        {
            tx.Add(new Frame { Data = p, Length = frame.Length, InPort = -1, Vnet = vnet });
            return Port.Transmit(queue, tx, ref _errors);
        }
    }

    /// <summary>Transmits up to a batch of frames in one Transmit call on <paramref name="queue"/>; returns what it returned.</summary>
    public int SendBatch(IReadOnlyList<(byte[] Frame, VirtioNetHeader Vnet)> frames, int queue = 0)
    {
        using var tx = new PacketBatch(PacketBatch.DefaultBufferSize);
        foreach (var (frame, vnet) in frames)
        {
            var i = tx.Count;
            frame.CopyTo(tx.Buffer(i));
            tx.Add(new Frame { Data = tx.Frames[i].Data, Length = frame.Length, InPort = -1, Vnet = vnet });
        }
        return Port.Transmit(queue, tx, ref _errors);
    }

    /// <summary>
    /// Transmits all <paramref name="frames"/> on <paramref name="queue"/>, resending what the kernel did not take, for
    /// up to <paramref name="timeout"/>; returns how many it took. The batches are filled first, so the frames leave
    /// back to back. For AF_PACKET ports only: it relies on Transmit sending a prefix of the batch, which a TAP port on
    /// io_uring does not promise (see IPort.Transmit).
    /// </summary>
    public int SendBurst(IReadOnlyList<(byte[] Frame, VirtioNetHeader Vnet)> frames, TimeSpan timeout, int queue = 0)
    {
        var batches = frames.Chunk(PacketBatch.MaxSize).Select(chunk =>
        {
            var tx = new PacketBatch(PacketBatch.DefaultBufferSize);
            foreach (var (frame, vnet) in chunk)
            {
                var i = tx.Count;
                frame.CopyTo(tx.Buffer(i));
                tx.Add(new Frame { Data = tx.Frames[i].Data, Length = frame.Length, InPort = -1, Vnet = vnet });
            }
            return tx;
        }).ToList();
        try
        {
            var sent = 0;
            var sw = Stopwatch.StartNew();
            foreach (var tx in batches)
            {
                while (tx.Count > 0 && sw.Elapsed < timeout)
                {
                    // Transmit sends from the first frame on: move the frames the kernel did not take to the front.
                    var n = Port.Transmit(queue, tx, ref _errors);
                    tx.Frames[n..tx.Count].CopyTo(tx.Frames);
                    tx.Count -= n;
                    sent += n;
                }
            }
            return sent;
        }
        finally
        {
            foreach (var tx in batches)
            {
                tx.Dispose();
            }
        }
    }

    /// <summary>Polls every queue for up to <paramref name="timeout"/> and returns the first frame that matches.</summary>
    public ReceivedFrame? WaitFor(Func<ReceivedFrame, bool> match, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            foreach (var f in Poll(50))
            {
                if (match(f))
                {
                    return f;
                }
            }
        }
        return null;
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for any queue to be ready, then receives from all until empty.</summary>
    public List<ReceivedFrame> Poll(int timeoutMs)
    {
        var frames = new List<ReceivedFrame>();
        var n = Port.QueueCount;
        var fds = stackalloc pollfd[n];
        for (var q = 0; q < n; q++)
        {
            fds[q].fd = Port.GetReadyFd(q);
            fds[q].events = LibC.POLLIN;
        }
        _ = LibC.poll(fds, (nuint)n, timeoutMs);
        for (var q = 0; q < n; q++)
        {
            if (fds[q].revents == 0)
            {
                continue;
            }
            while (true)
            {
                _rx.ResetForReceive();
                var count = Port.Receive(q, _rx, ref _errors);
                if (count == 0)
                {
                    break;
                }
                for (var i = 0; i < count; i++)
                {
                    frames.Add(new ReceivedFrame(q, _rx[i].Span.ToArray(), _rx[i].Vnet));
                }
            }
        }
        return frames;
    }

    public void Dispose() => _rx.Dispose();
}
