using System.IO.Pipelines;
using VSwitch.Dataplane.Capture;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Daemon.Capture;

/// <summary>
/// Moves one capture's frames from the workers' rings to a pcapng stream until it has enough, its time is up, its port
/// goes, or the reader leaves.
/// </summary>
/// <remarks>
/// The rings are read every <see cref="PollInterval"/> when they were empty, at once otherwise; each pass ends with a
/// flush, so a reader sees a frame within about that long. A ring that filled up between two passes lost frames: they
/// are reported in an Interface Statistics Block as soon as seen (at most once a second) and at the end.
/// </remarks>
public sealed class CaptureStream(CaptureSession session, PipeWriter output, TimeProvider? time = null)
{
    /// <summary>How long the reader sleeps when every ring was empty.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private static readonly string[] s_comments = [.. Enumerable.Range(0, (int)DropReason.Count).Select(r => $"dropped: {((DropReason)r).Label()}")];

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Frames written so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>Why the stream ended.</summary>
    public CaptureEnd End { get; private set; }

    /// <summary>
    /// Writes the header, then frames until <paramref name="count"/> (0: no limit) or <paramref name="until"/> (null: no
    /// limit), or until <paramref name="portStillThere"/> says no or <paramref name="cancellation"/> fires; then the
    /// final statistics, unless the reader left.
    /// </summary>
    public async Task RunAsync(string interfaceName, string interfaceDescription, long count, DateTimeOffset? until, Func<bool> portStillThere,
        CancellationToken cancellation)
    {
        var writer = new PcapNgWriter(output);
        var start = UnixNs();
        writer.WriteHeader("vswitchd", interfaceName, interfaceDescription, session.SnapLength);
        if (!await FlushAsync(cancellation))
        {
            return;
        }
        long lostReported = 0;
        var lastStatistics = start;
        try
        {
            while (true)
            {
                if (!portStillThere())
                {
                    End = CaptureEnd.PortGone;
                    break;
                }
                var wrote = 0;
                while ((count == 0 || Delivered < count) && session.TryPeek(out var record, out var bytes))
                {
                    writer.WritePacket(record.UnixTimeNs, bytes, record.OriginalLength,
                        record.Direction == Direction.Egress ? PcapNgWriter.Inbound : PcapNgWriter.Outbound,
                        record.Dropped ? s_comments[(int)record.Reason] : null);
                    session.Advance();
                    Delivered++;
                    if (++wrote % 256 == 0 && !await FlushAsync(cancellation))
                    {
                        return;
                    }
                }
                var now = UnixNs();
                var lost = session.Lost;
                if (lost != lostReported && now - lastStatistics >= 1_000_000_000)
                {
                    writer.WriteStatistics(now, start, Delivered, lost);
                    lostReported = lost;
                    lastStatistics = now;
                }
                if (!await FlushAsync(cancellation))
                {
                    return;
                }
                if (count != 0 && Delivered >= count)
                {
                    End = CaptureEnd.Count;
                    break;
                }
                if (until is { } deadline && _time.GetUtcNow() >= deadline)
                {
                    End = CaptureEnd.Duration;
                    break;
                }
                if (wrote == 0)
                {
                    await Task.Delay(PollInterval, _time, cancellation);
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The reader left (then nothing more can be written) or the daemon is stopping (then the file is closed
            // properly below, if the reader is still there).
            End = CaptureEnd.Cancelled;
        }
        writer.WriteStatistics(UnixNs(), start, Delivered, session.Lost);
        await FlushAsync(CancellationToken.None);
    }

    private async ValueTask<bool> FlushAsync(CancellationToken cancellation)
    {
        try
        {
            var result = await output.FlushAsync(cancellation);
            if (result.IsCompleted || result.IsCanceled)
            {
                End = CaptureEnd.ReaderGone;
                return false;
            }
            return true;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            End = CaptureEnd.ReaderGone;
            return false;
        }
    }

    private long UnixNs() => (_time.GetUtcNow().UtcTicks - DateTime.UnixEpoch.Ticks) * 100;
}

/// <summary>Why a capture stream ended.</summary>
public enum CaptureEnd
{
    /// <summary>Still running.</summary>
    None,

    /// <summary>It had the frames it was asked for.</summary>
    Count,

    /// <summary>Its time was up.</summary>
    Duration,

    /// <summary>Its port was deleted or moved to another data-path slot.</summary>
    PortGone,

    /// <summary>The reader went away.</summary>
    ReaderGone,

    /// <summary>The reader or the daemon cancelled it.</summary>
    Cancelled,
}
