using System.Runtime.InteropServices;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Dataplane.Capture;

/// <summary>
/// What a capture keeps of one frame besides its bytes: when, which way, how long it was, and why it was dropped.
/// </summary>
/// <remarks>
/// Blittable and fixed-size, so that a worker records a frame with one struct store and one byte copy; the port is not
/// in it because a <see cref="CaptureSession"/> captures one port.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public struct CaptureRecord
{
    /// <summary>The reason byte of a frame that was not dropped.</summary>
    public const byte NotDropped = byte.MaxValue;

    /// <summary>Wall-clock time, nanoseconds since the Unix epoch (one reading per batch).</summary>
    public long UnixTimeNs;

    /// <summary>The frame's length on the wire (a GSO frame's whole length).</summary>
    public int OriginalLength;

    /// <summary>The bytes kept: at most the session's snap length.</summary>
    public int CapturedLength;

    private byte _direction;
    private byte _reason;

    /// <summary>From the VM's view, as the drop counters: <see cref="Direction.Egress"/> the switch received the frame on the port, <see cref="Direction.Ingress"/> it sent it (or was sending it) there.</summary>
    public Direction Direction
    {
        readonly get => (Direction)_direction;
        set => _direction = (byte)value;
    }

    /// <summary>Whether the switch dropped the frame (then <see cref="Reason"/> says why).</summary>
    public readonly bool Dropped => _reason != NotDropped;

    /// <summary>Why the frame was dropped; meaningless unless <see cref="Dropped"/>.</summary>
    public readonly DropReason Reason => (DropReason)_reason;

    /// <summary>Sets the drop reason, or null for a frame that was forwarded.</summary>
    public void SetReason(DropReason? reason) => _reason = reason is { } r ? (byte)r : NotDropped;
}
