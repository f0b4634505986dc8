namespace VSwitch.Admin.Client.Capture;

/// <summary>How a capture went: frames received, frames the daemon's rings lost, and whether the daemon ended it.</summary>
/// <param name="Frames">Frames read.</param>
/// <param name="Lost">Frames the daemon could not keep (a full ring), as of its last statistics block.</param>
/// <param name="Complete">The daemon ended the stream (count, duration or the port's deletion); false when the caller stopped it.</param>
/// <param name="EndReason">Why the daemon ended it: <c>count</c>, <c>duration</c>, <c>port deleted</c>, <c>daemon stopping</c> (null: unknown, or the caller stopped it).</param>
public sealed record CaptureSummary(long Frames, long Lost, bool Complete, string? EndReason = null);
