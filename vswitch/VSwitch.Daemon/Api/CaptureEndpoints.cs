using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;
using VSwitch.Daemon.Capture;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Capture;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>GET /v2.0/vswitch/capture?port_id=ID[&amp;direction=in|out|both][&amp;drops=true][&amp;count=N][&amp;duration=S][&amp;snaplen=B]</c>:
/// the frames of one port as a pcapng stream (<c>application/x-pcapng</c>), what <c>vswitchctl capture</c> writes.
/// </summary>
/// <remarks>
/// <para><b>Which frames.</b> <c>in</c>: those the switch receives on the port (the VM sent them); <c>out</c>: those it
/// sends there; <c>both</c> (the default). With <c>drops=true</c> only the frames the switch dropped: exactly those
/// behind the port's <c>vswitch_port_dropped_packets_total</c> of the directions taken (<c>in</c> is the metric's
/// <c>egress</c>, <c>out</c> its <c>ingress</c>); without it, the dropped frames are in the stream too, marked. A
/// dropped frame's comment is <c>dropped: REASON</c> with the metric's reason label.</para>
/// <para><b>How long.</b> Until <c>count</c> frames (1..1,000,000,000), <c>duration</c> seconds (1..86,400), the port's
/// deletion, the daemon stopping, or the client closing the connection; then an Interface Statistics Block with the
/// frames delivered, the frames lost to a full ring (<c>isb_usrdeliv</c>, <c>isb_osdrop</c>) and why it ended (its
/// comment: <c>end: count|duration|port deleted|daemon stopping</c>). <c>snaplen</c>: bytes kept per frame (64..65,535,
/// default 2,048; a GSO frame's length is kept whole); each worker's ring holds 1,024 frames, or 8 MiB of them.</para>
/// <para><b>Refusals.</b> Admin only (a capture shows any project's traffic). An unknown query parameter or a bad value
/// is 400; an unknown port 404; a port without a data-path slot 409 PortNotBound; more than
/// <see cref="Datapath.MaxCaptures"/> at once 409 TooManyCaptures.</para>
/// </remarks>
internal static class CaptureEndpoints
{
    public const int DefaultSnapLength = 2048;

    /// <summary>Frames each worker's ring holds at most: 2 MiB at the default snap length, ~100 ms of a 10 Gb/s port's full-size frames.</summary>
    public const int RingFrames = 1024;

    /// <summary>Bytes each worker's ring holds at most: a large snap length gets fewer frames (64 KiB frames: 128).</summary>
    public const int RingBytes = 8 << 20;

    private static readonly HashSet<string> s_parameters = ["port_id", "direction", "drops", "count", "duration", "snaplen"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api, Datapath datapath, CancellationToken stopping)
    {
        app.MapGet("/v2.0/vswitch/capture", async (HttpContext http) =>
        {
            api.RequireAdmin(http, "capture_vswitch");
            var query = http.Request.Query;
            if (query.Keys.FirstOrDefault(k => !s_parameters.Contains(k)) is { } unknown)
            {
                throw NeutronErrors.BadRequestMessage($"Unknown capture parameter '{unknown}'; known: {string.Join(", ", s_parameters)}.");
            }
            if (query["port_id"].Count > 1)
            {
                throw NeutronErrors.BadRequestMessage($"port_id is given {query["port_id"].Count} times.");
            }
            var model = api.Models.Current;
            var portId = StatsEndpoints.PortIdQuery(api, http) ?? throw NeutronErrors.BadRequestMessage("port_id is required.");
            var (received, sent) = Single(query, "direction") switch
            {
                null or "both" => (true, true),
                "in" => (true, false),
                "out" => (false, true),
                var other => throw NeutronErrors.BadRequestMessage($"Invalid direction '{other}': in, out or both."),
            };
            var drops = Single(query, "drops") switch
            {
                null or "false" or "False" => false,
                "true" or "True" => true,
                var other => throw NeutronErrors.BadRequestMessage($"Invalid drops '{other}': true or false."),
            };
            var count = Number(query, "count", 1, 1_000_000_000) ?? 0;
            var duration = Number(query, "duration", 1, 86_400);
            var snapLength = (int)(Number(query, "snaplen", 64, 65_535) ?? DefaultSnapLength);
            // Read once: a port deleted since the check above is the 404 it would have been a moment later.
            var port = model.Ports.GetValueOrDefault(portId) ?? throw new NeutronException(404, "PortNotFound", $"Port {portId} could not be found.");
            var slot = api.Reconciler.SlotOf(portId);
            if (slot < 0)
            {
                throw new NeutronException(409, "PortNotBound", $"Port {portId} is not attached to the data path: {api.Reconciler.Statuses.GetValueOrDefault(portId)?.Reason}");
            }
            var session = datapath.StartCapture(new CaptureFilter(slot, received, sent, drops), Math.Min(RingFrames, RingBytes / snapLength), snapLength)
                ?? throw new NeutronException(409, "TooManyCaptures", $"{Datapath.MaxCaptures} captures are running already; stop one first.");
            try
            {
                http.Response.ContentType = "application/x-pcapng";
                http.Response.Headers.CacheControl = "no-store";
                var stream = new CaptureStream(session, http.Response.BodyWriter);
                await stream.RunAsync(port.Name.Length > 0 ? port.Name : port.Id.ToString(), $"vswitch port {port.Id}", count,
                    duration is { } seconds ? DateTimeOffset.UtcNow.AddSeconds(seconds) : null,
                    () => api.Reconciler.SlotOf(portId) == slot, http.RequestAborted, stopping);
            }
            finally
            {
                datapath.StopCapture(session);
            }
        });
    }

    private static string? Single(IQueryCollection query, string name)
    {
        var values = query[name];
        return values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => throw NeutronErrors.BadRequestMessage($"{name} is given {values.Count} times."),
        };
    }

    private static long? Number(IQueryCollection query, string name, long min, long max)
    {
        if (Single(query, name) is not { } text)
        {
            return null;
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw NeutronErrors.BadRequestMessage($"Invalid {name} '{text}': a whole number from {min} to {max}.");
        }
        return value;
    }
}
