using System.IO.Pipelines;
using VSwitch.Dataplane.Capture;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Daemon.Capture;

/// <summary>
/// Moves one capture's frames from the workers' rings to a pcapng stream until it has enough, its time is up, its port
/// goes, the daemon stops, or the reader leaves.
/// </summary>
/// <remarks>
/// The rings are read in passes of at most <see cref="FramesPerPass"/> frames, each ending with a flush and the checks
/// (count, time, port), so a port busier than its reader still ends on time; between passes the reader sleeps
/// <see cref="PollInterval"/> when the rings were empty. Frames lost to a full ring are reported in an Interface
/// Statistics Block as soon as seen (at most once a second), and in the last one, whose comment says why the capture
/// ended (<c>end: count</c>, <c>end: duration</c>, <c>end: port deleted</c>, <c>end: daemon stopping</c>); a reader that
/// left gets nothing more.
/// </remarks>
public sealed class CaptureStream(CaptureSession session, PipeWriter output, TimeProvider? time = null)
{
    /// <summary>How long the reader sleeps when every ring was empty.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Frames written between two flushes and checks.</summary>
    public const int FramesPerPass = 4096;

    private static readonly string[] s_comments = [.. Enumerable.Range(0, (int)DropReason.Count).Select(r => $"dropped: {((DropReason)r).Label()}")];

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Frames written so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>Why the stream ended.</summary>
    public CaptureEnd End { get; private set; }

    /// <summary>
    /// Writes the header, then frames until <paramref name="count"/> (0: no limit) or <paramref name="until"/> (null: no
    /// limit), until the session ends or <paramref name="portStillThere"/> says no, until <paramref name="stopping"/>
    /// (the daemon) or <paramref name="readerGone"/> fires; then the final statistics, unless the reader left.
    /// </summary>
    public async Task RunAsync(string interfaceName, string interfaceDescription, long count, DateTimeOffset? until, Func<bool> portStillThere,
        CancellationToken readerGone, CancellationToken stopping = default)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(readerGone, stopping);
        var cancellation = either.Token;
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
            while (End == CaptureEnd.None)
            {
                var wrote = 0;
                while (wrote < FramesPerPass && (count == 0 || Delivered < count) && session.TryPeek(out var record, out var bytes))
                {
                    writer.WritePacket(record.UnixTimeNs, bytes, record.OriginalLength,
                        record.Direction == Direction.Egress ? PcapNgWriter.Inbound : PcapNgWriter.Outbound,
                        record.Dropped ? s_comments[(int)record.Reason] : null);
                    session.Advance();
                    Delivered++;
                    wrote++;
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
                End = count != 0 && Delivered >= count ? CaptureEnd.Count
                    : until is { } deadline && _time.GetUtcNow() >= deadline ? CaptureEnd.Duration
                    : session.Ended || !portStillThere() ? CaptureEnd.PortGone
                    : CaptureEnd.None;
                if (End == CaptureEnd.None && wrote == 0)
                {
                    await Task.Delay(PollInterval, _time, cancellation);
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            if (readerGone.IsCancellationRequested)
            {
                End = CaptureEnd.ReaderGone;
                return;
            }
            End = CaptureEnd.Stopping;
        }
        writer.WriteStatistics(UnixNs(), start, Delivered, session.Lost, End switch
        {
            CaptureEnd.Count => "end: count",
            CaptureEnd.Duration => "end: duration",
            CaptureEnd.PortGone => "end: port deleted",
            _ => "end: daemon stopping",
        });
        // The daemon stopping does not wait for a reader that stopped reading: a second or it is left.
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await FlushAsync(End == CaptureEnd.Stopping ? last.Token : readerGone);
    }

    /// <summary>Flushes; false when the reader is gone (or the flush was cancelled, then the end is noted).</summary>
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
            End = End == CaptureEnd.None ? CaptureEnd.ReaderGone : End;
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

    /// <summary>The daemon is stopping.</summary>
    Stopping,
}
