namespace VSwitch.Admin.Client.Capture;

/// <summary>One frame of a capture, as its pcapng Enhanced Packet Block gives it.</summary>
/// <param name="Time">When the switch received, sent or dropped it.</param>
/// <param name="Inbound">True: the switch received it on the port (the VM sent it); false: the switch sent it (or was sending it) there.</param>
/// <param name="OriginalLength">Its length on the wire.</param>
/// <param name="Bytes">The bytes kept (at most the snap length).</param>
/// <param name="Comment">The switch's comment: <c>dropped: REASON</c> for a frame it dropped, else null.</param>
public sealed record CapturedFrame(DateTimeOffset Time, bool Inbound, int OriginalLength, byte[] Bytes, string? Comment)
{
    /// <summary>The drop reason (the metric's label), or null for a frame the switch forwarded.</summary>
    public string? DropReason => Comment is { } c && c.StartsWith(DroppedPrefix, StringComparison.Ordinal) ? c[DroppedPrefix.Length..] : null;

    private const string DroppedPrefix = "dropped: ";
}
