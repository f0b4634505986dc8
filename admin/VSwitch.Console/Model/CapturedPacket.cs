using System.Globalization;
using VSwitch.Admin.Client.Capture;

namespace VSwitch.Console.Model;

/// <summary>A frame captured on a port for the trace screen: where, which way, and the frame.</summary>
public sealed record CapturedPacket(string PortId, string PortName, CapturedFrame Frame)
{
    /// <summary>"Captured on vm01, in, 98 bytes at 12:00:01.123456: …  DROPPED security_group".</summary>
    public string Heading =>
        $"Captured on {PortName}, {(Frame.Inbound ? "in" : "out")}, {Frame.OriginalLength} bytes at " +
        $"{Frame.Time.ToLocalTime().ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}: {FrameDecoder.Summary(Frame.Bytes)}" +
        (Frame.DropReason is { } reason ? $"  DROPPED {reason}" : "");

    /// <summary>
    /// The packet in the trace's words when it can be traced again: a frame the port received (a trace enters by a
    /// port), of a protocol the trace describes, and not dropped for what the words cannot say (its size, tags, TTL,
    /// fragments or malformation: a trace of the words would wrongly say it passes); null otherwise.
    /// </summary>
    public string? TracePacket =>
        Frame.Inbound && Frame.DropReason is not ("malformed" or "vlan" or "mtu" or "fragment" or "ttl_exceeded")
            ? FrameDecoder.TraceDescription(Frame.Bytes) : null;
}
