using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Dataplane.Capture;

/// <summary>
/// A bounded single-producer, single-consumer ring of captured frames: how a capture's copies leave one worker.
/// </summary>
/// <remarks>
/// <para><b>What.</b> A power-of-two number of fixed slots, each a <see cref="CaptureRecord"/> and room for
/// <see cref="SnapLength"/> bytes, with two monotonic cursors, as <see cref="SecurityGroupLogRing"/>: the worker (the
/// only producer) fills a slot and publishes <c>head + 1</c> with a release store; the capture's reader (the only
/// consumer) reads up to the head it acquired and then publishes its <c>tail</c>. No lock, no allocation.</para>
/// <para><b>Full.</b> <see cref="TryWrite"/> returns false when the reader has not made room, and the frame is lost
/// to the capture and counted in <see cref="Lost"/> (pcapng's <c>isb_osdrop</c>): a slow reader never holds up
/// forwarding, as a kernel packet socket's ring does not.</para>
/// <para><b>Thread-safety.</b> Exactly one producer thread and one consumer thread; <see cref="Lost"/> is written by
/// the producer only and read by anyone.</para>
/// </remarks>
public sealed class CaptureRing
{
    private readonly CaptureRecord[] _records;
    private readonly byte[] _bytes;
    private readonly int _mask;
    private PaddedCursor _head;
    private PaddedCursor _tail;
    private long _lost;

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedCursor
    {
        [FieldOffset(64)] public long Value;
    }

    /// <summary>The most bytes a ring may hold.</summary>
    public const int MaxBytes = 256 << 20;

    /// <param name="capacity">Frames the ring holds; rounded up to a power of two (at least 2).</param>
    /// <param name="snapLength">Bytes kept of each frame (the rest is cut, its length kept).</param>
    public CaptureRing(int capacity, int snapLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(snapLength, 1 << 20);
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        if ((long)size * snapLength > MaxBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), $"{size} frames of {snapLength} bytes is more than {MaxBytes >> 20} MiB");
        }
        _records = new CaptureRecord[size];
        _bytes = new byte[(long)size * snapLength];
        _mask = size - 1;
        SnapLength = snapLength;
    }

    /// <summary>Frames the ring holds.</summary>
    public int Capacity => _records.Length;

    /// <summary>Bytes kept of each frame.</summary>
    public int SnapLength { get; }

    /// <summary>Frames lost because the ring was full.</summary>
    public long Lost => Volatile.Read(ref _lost);

    /// <summary>Frames written and not yet read (a snapshot).</summary>
    public int Count => (int)(Volatile.Read(ref _head.Value) - Volatile.Read(ref _tail.Value));

    /// <summary>
    /// Producer only: copies <paramref name="frame"/> (cut to <see cref="SnapLength"/>) with its time, direction and
    /// drop reason (null: not dropped), or counts it lost when the ring is full.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(ReadOnlySpan<byte> frame, long unixTimeNs, Direction direction, DropReason? reason)
    {
        var head = _head.Value;
        if (head - Volatile.Read(ref _tail.Value) >= _records.Length)
        {
            _lost++;
            return false;
        }
        var index = (int)head & _mask;
        var kept = Math.Min(frame.Length, SnapLength);
        frame[..kept].CopyTo(_bytes.AsSpan(index * SnapLength, kept));
        ref var record = ref _records[index];
        record.UnixTimeNs = unixTimeNs;
        record.OriginalLength = frame.Length;
        record.CapturedLength = kept;
        record.Direction = direction;
        record.SetReason(reason);
        // Release: the slot is written before the consumer can see the new head.
        Volatile.Write(ref _head.Value, head + 1);
        return true;
    }

    /// <summary>Consumer only: the oldest frame not yet read, if any; it stays valid until <see cref="Advance"/>.</summary>
    public bool TryPeek(out CaptureRecord record, out ReadOnlySpan<byte> bytes)
    {
        var tail = _tail.Value;
        if (Volatile.Read(ref _head.Value) == tail)
        {
            record = default;
            bytes = default;
            return false;
        }
        var index = (int)tail & _mask;
        record = _records[index];
        bytes = _bytes.AsSpan(index * SnapLength, record.CapturedLength);
        return true;
    }

    /// <summary>Consumer only: gives the frame <see cref="TryPeek"/> returned back to the producer.</summary>
    public void Advance() =>
        // Release: the slot is read before the producer may overwrite it.
        Volatile.Write(ref _tail.Value, _tail.Value + 1);
}
