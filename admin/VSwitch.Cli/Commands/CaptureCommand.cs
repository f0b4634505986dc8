using System.CommandLine;
using System.Globalization;
using VSwitch.Admin.Client.Capture;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>capture --port P [--direction in|out|both] [--drops] [-c N] [--duration S] [-s BYTES] [-w FILE|-] [-V]</c>: the
/// frames of one port, as <c>ovs-tcpdump</c> or <c>pktcap-uw</c> give them (<c>GET /v2.0/vswitch/capture</c>).
/// </summary>
/// <remarks>
/// <para><c>in</c> is what the switch receives on the port (the VM sent it), <c>out</c> what it sends there.
/// <c>--drops</c>: only the frames the switch dropped, each with its reason, exactly those its drop counters count.</para>
/// <para>With <c>-w FILE</c> the frames go to a pcapng file (a dropped frame's reason is its packet comment:
/// <c>tshark -r FILE -T fields -e frame.comment</c>); <c>-w -</c> writes the pcapng stream to stdout, for
/// <c>| tshark -r -</c>. Without <c>-w</c>, one line per frame, decoded (PacketDotNet), with the drop reason last;
/// <c>-V</c> adds every layer's fields. Ctrl-C stops the capture and keeps a whole file. The count of frames, and of frames
/// the daemon lost because a ring was full, is printed on stderr at the end, as tcpdump does.</para>
/// </remarks>
internal static class CaptureCommand
{
    public static Command Build(CliApp app)
    {
        var port = new Option<string>("--port") { Description = "Port to capture (name or ID)", Required = true, HelpName = "PORT" };
        var direction = new Option<string>("--direction") { Description = "in: frames the switch receives on the port; out: frames it sends there", DefaultValueFactory = _ => "both", HelpName = "in|out|both" };
        direction.AcceptOnlyFromAmong("in", "out", "both");
        var drops = new Option<bool>("--drops") { Description = "Only the frames the switch dropped, with the reason" };
        var count = new Option<long?>("--count", "-c") { Description = "Stop after N frames", HelpName = "N" };
        var duration = new Option<int?>("--duration") { Description = "Stop after S seconds", HelpName = "S" };
        var snap = new Option<int?>("--snaplen", "-s") { Description = "Bytes kept of each frame (64-65535; default 2048)", HelpName = "BYTES" };
        var write = new Option<string?>("--write", "-w") { Description = "Write pcapng to FILE, or to stdout with -", HelpName = "FILE" };
        var verbose = new Option<bool>("--verbose", "-V") { Description = "Without -w: every layer of each frame, field by field" };
        var command = new Command("capture", "Capture a port's frames, or only those the switch dropped, to pcapng or as text")
        {
            port, direction, drops, count, duration, snap, write, verbose,
        };
        app.SetAction(command, async (parse, client, cancellation) =>
        {
            if (parse.GetValue(count) is < 1)
            {
                throw new UsageException("--count must be at least 1");
            }
            if (parse.GetValue(duration) is < 1 or > 86_400)
            {
                throw new UsageException("--duration must be 1-86400 seconds");
            }
            if (parse.GetValue(snap) is < 64 or > 65_535)
            {
                throw new UsageException("--snaplen must be 64-65535 bytes");
            }
            var target = parse.GetValue(write);
            if (target is not null && parse.GetValue(verbose))
            {
                throw new UsageException("-V prints frames as text; it does not go with -w");
            }
            var portId = (await client.FindPortAsync(parse.GetValue(port)!, cancellation)).Id;
            var request = new CaptureRequest(portId, parse.GetValue(direction)!, parse.GetValue(drops), parse.GetValue(count), parse.GetValue(duration),
                parse.GetValue(snap));
            Stream? destination = null;
            TextWriter? text = null;
            // Stopped by Ctrl-C, or by the reader of a text pipe quitting (capture | head).
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            try
            {
                destination = target switch
                {
                    null => null,
                    "-" => app.OpenStandardOutput(),
                    _ => Create(target),
                };
                text = destination is null ? app.OpenTextOutput() : null;
                var layers = parse.GetValue(verbose);
                var summary = await client.CaptureAsync(request, destination, text is null ? null : frame =>
                {
                    try
                    {
                        Print(text, frame, layers);
                    }
                    catch (IOException)
                    {
                        stop.Cancel();
                    }
                }, stop.Token);
                app.Error.WriteLine(Summary(summary));
            }
            finally
            {
                if (destination is not null)
                {
                    await destination.DisposeAsync();
                }
                if (text is not null && !ReferenceEquals(text, app.Out))
                {
                    try
                    {
                        await text.DisposeAsync();
                    }
                    catch (IOException)
                    {
                        // The pipe's reader is gone: nothing left to flush to.
                    }
                }
            }
        });
        return command;
    }

    /// <summary>The file, created at the first block: a refused capture leaves an existing file as it was.</summary>
    private static LazyFile Create(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new CommandException($"cannot write {path}: there is no directory {directory}");
        }
        return new LazyFile(path);
    }

    private static void Print(TextWriter output, CapturedFrame frame, bool layers)
    {
        var time = frame.Time.ToLocalTime().ToString("HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        var way = frame.Inbound ? "in " : "out";
        var dropped = frame.DropReason is { } reason ? $"  DROPPED {reason}" : "";
        output.WriteLine($"{time} {way} {FrameDecoder.Summary(frame.Bytes)}, {frame.OriginalLength} bytes{dropped}");
        if (layers)
        {
            output.WriteLine(FrameDecoder.Layers(frame.Bytes));
            output.WriteLine();
        }
        output.Flush();
    }

    private static string Summary(CaptureSummary summary)
    {
        var frames = summary.Frames == 1 ? "1 frame captured" : $"{summary.Frames} frames captured";
        var lost = summary.Lost == 0 ? "" : $", {summary.Lost} lost (the daemon's capture ring was full; a smaller -s or a narrower capture helps)";
        var end = summary.EndReason is "port deleted" or "daemon stopping" ? $" (the capture ended: {summary.EndReason})" : "";
        return frames + lost + end;
    }
}
