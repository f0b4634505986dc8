using System.Diagnostics;
using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Capture;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

// vswitchctl capture: the worker's side. With no capture running, the data path pays one load and one test per
// received batch, per flushed transmit batch and per drop (Datapath.Captures is empty); the copies are made off the
// common path (NoInlining) and never wait: a full ring loses the frame and counts it (CaptureRing).

public sealed partial class Worker
{
    /// <summary>The frames of a received batch, for the captures of their port.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CaptureReceived(int slot, PacketBatch rx, int n)
    {
        var captures = _datapath.Captures;
        if (captures.Length != 0)
        {
            Offer(captures, slot, Direction.Egress, null, rx, 0, n);
        }
    }

    /// <summary>The frames a port's transmit batch sent, for the captures of that port.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CaptureSent(int slot, PacketBatch tx, int sent)
    {
        var captures = _datapath.Captures;
        if (captures.Length != 0 && sent > 0)
        {
            Offer(captures, slot, Direction.Ingress, null, tx, 0, sent);
        }
    }

    /// <summary>Counts the drop of <paramref name="frame"/> on port <paramref name="slot"/>, and offers it to the captures of that port's drops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DropFrame(int slot, DropReason reason, Direction direction, in Frame frame)
    {
        Debug.Assert(reason.IsCountedIn(direction), "the metrics publish this pair only once it counts: add it to DropReasonNames.IsCountedIn");
        Counters.Drop(slot, reason, direction);
        var captures = _datapath.Captures;
        if (captures.Length != 0)
        {
            OfferDrop(captures, slot, reason, direction, in frame);
        }
    }

    /// <summary>Counts the drop of frames [<paramref name="start"/>, <paramref name="end"/>) of a batch, and offers them to the captures of the port's drops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DropFrames(int slot, DropReason reason, Direction direction, PacketBatch batch, int start, int end)
    {
        Debug.Assert(reason.IsCountedIn(direction), "the metrics publish this pair only once it counts: add it to DropReasonNames.IsCountedIn");
        Counters.Drop(slot, reason, direction, end - start);
        var captures = _datapath.Captures;
        if (captures.Length != 0)
        {
            Offer(captures, slot, direction, reason, batch, start, end);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void OfferDrop(CaptureSession[] captures, int slot, DropReason reason, Direction direction, in Frame frame)
    {
        if (_isTracer)
        {
            return;
        }
        // The clock is read only for a capture that takes the frame: another port's capture costs no more than the test.
        long now = 0;
        foreach (var capture in captures)
        {
            if (capture.Filter.Slot == slot && capture.Filter.Takes(direction, dropped: true))
            {
                now = now == 0 ? _datapath.UnixTimeNs() : now;
                capture.Ring(Id).TryWrite(frame.Span, now, direction, reason);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Offer(CaptureSession[] captures, int slot, Direction direction, DropReason? reason, PacketBatch batch, int start, int end)
    {
        if (_isTracer)
        {
            return;
        }
        long now = 0;
        foreach (var capture in captures)
        {
            if (capture.Filter.Slot != slot || !capture.Filter.Takes(direction, reason is not null))
            {
                continue;
            }
            now = now == 0 ? _datapath.UnixTimeNs() : now;
            var ring = capture.Ring(Id);
            for (var i = start; i < end; i++)
            {
                ring.TryWrite(batch[i].Span, now, direction, reason);
            }
        }
    }
}
