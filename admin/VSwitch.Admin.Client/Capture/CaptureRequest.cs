namespace VSwitch.Admin.Client.Capture;

/// <summary>What to capture (<c>GET /v2.0/vswitch/capture</c>'s parameters).</summary>
/// <param name="PortId">The port's id.</param>
/// <param name="Direction"><c>in</c> (frames the switch receives on the port), <c>out</c> (frames it sends there) or <c>both</c>.</param>
/// <param name="DropsOnly">Only the frames the switch dropped.</param>
/// <param name="Count">Stop after this many frames (null: no limit).</param>
/// <param name="DurationSeconds">Stop after this many seconds (null: no limit).</param>
/// <param name="SnapLength">Bytes kept per frame (null: the daemon's default).</param>
public sealed record CaptureRequest(string PortId, string Direction = "both", bool DropsOnly = false, long? Count = null, int? DurationSeconds = null,
    int? SnapLength = null)
{
    /// <summary>The request's path and query.</summary>
    public string Path
    {
        get
        {
            var query = new List<string> { $"port_id={Uri.EscapeDataString(PortId)}", $"direction={Uri.EscapeDataString(Direction)}" };
            if (DropsOnly)
            {
                query.Add("drops=true");
            }
            if (Count is { } count)
            {
                query.Add(FormattableString.Invariant($"count={count}"));
            }
            if (DurationSeconds is { } seconds)
            {
                query.Add(FormattableString.Invariant($"duration={seconds}"));
            }
            if (SnapLength is { } snap)
            {
                query.Add(FormattableString.Invariant($"snaplen={snap}"));
            }
            return "v2.0/vswitch/capture?" + string.Join('&', query);
        }
    }
}
