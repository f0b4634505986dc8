namespace VSwitch.Dataplane.Capture;

/// <summary>
/// One running capture of one port: its filter and one <see cref="CaptureRing"/> per worker, read by one consumer
/// (<c>GET /v2.0/vswitch/capture</c>).
/// </summary>
/// <remarks>
/// Started and stopped by <see cref="Datapath.StartCapture"/> and <see cref="Datapath.StopCapture"/>; while it runs the
/// workers offer it the frames of its port (<c>Worker.Capture.cs</c>). A worker still holding the session for the
/// batch it is in when the session stops writes into a ring nobody reads any more, which is harmless.
/// </remarks>
public sealed class CaptureSession
{
    private readonly CaptureRing[] _rings;
    private int _next;

    internal CaptureSession(CaptureFilter filter, int workers, int ringCapacity, int snapLength)
    {
        Filter = filter;
        _rings = new CaptureRing[workers];
        for (var i = 0; i < workers; i++)
        {
            _rings[i] = new CaptureRing(ringCapacity, snapLength);
        }
    }

    public CaptureFilter Filter { get; }

    /// <summary>The port's slot was freed or given to another port (<see cref="Datapath.EndCaptures"/>): no more frames will come.</summary>
    public bool Ended => Volatile.Read(ref _ended);

    private bool _ended;

    internal void End() => Volatile.Write(ref _ended, true);

    /// <summary>Bytes kept of each frame.</summary>
    public int SnapLength => _rings[0].SnapLength;

    /// <summary>Frames lost because a worker's ring was full, over all workers.</summary>
    public long Lost
    {
        get
        {
            long lost = 0;
            foreach (var ring in _rings)
            {
                lost += ring.Lost;
            }
            return lost;
        }
    }

    /// <summary>The ring worker <paramref name="worker"/> writes.</summary>
    internal CaptureRing Ring(int worker) => _rings[worker];

    /// <summary>
    /// Consumer only: the oldest unread frame of one worker's ring, taking the workers in turn so that none is starved;
    /// pass it back with <see cref="Advance"/> before the next call. Frames of one worker come in order; frames of
    /// different workers (a port's queues) may interleave slightly out of time order, as on a multi-queue NIC.
    /// </summary>
    public bool TryPeek(out CaptureRecord record, out ReadOnlySpan<byte> bytes)
    {
        for (var k = 0; k < _rings.Length; k++)
        {
            var i = (_next + k) % _rings.Length;
            if (_rings[i].TryPeek(out record, out bytes))
            {
                _next = i;
                return true;
            }
        }
        record = default;
        bytes = default;
        return false;
    }

    /// <summary>Consumer only: releases the frame the last <see cref="TryPeek"/> returned, and moves to the next worker's ring.</summary>
    public void Advance()
    {
        _rings[_next].Advance();
        _next = (_next + 1) % _rings.Length;
    }
}
