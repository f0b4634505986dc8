using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Capture;
using VSwitch.Control.Tracing;
using VSwitch.Daemon.Capture;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Capture;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Api.Tests;

/// <summary>
/// <c>GET /v2.0/vswitch/capture</c> and the client that reads it: a port's frames through the real workers, as pcapng
/// that tshark reads, with directions and drop reasons; refusals; a full ring's losses reported.
/// </summary>
public sealed class CaptureApiTests : IAsyncLifetime
{
    private ApiHost _host = null!;
    private HttpClient _http = null!;
    private VSwitchClient _client = null!;
    private string _a = "";
    private string _b = "";

    public async Task InitializeAsync()
    {
        _host = await ApiHost.StartAsync(startWorkers: true);
        _http = _host.Client();
        _client = new VSwitchClient(_host.Client());
        var net = (string)(await _http.CreateAsync("networks", "network", """{"network": {"name": "n"}}"""))["id"]!;
        var group = (string)(await _http.CreateAsync("security-groups", "security_group", """{"security_group": {"name": "www"}}"""))["id"]!;
        await _http.CreateAsync("security-group-rules", "security_group_rule",
            $$$"""{"security_group_rule": {"security_group_id": "{{{group}}}", "direction": "ingress", "ethertype": "IPv4", "protocol": "tcp", "port_range_min": 80, "port_range_max": 80}}""");
        _a = (string)(await _http.CreateAsync("ports", "port",
            $$$"""{"port": {"name": "a", "network_id": "{{{net}}}", "mac_address": "fa:16:3e:00:00:01", "fixed_ips": [{"ip_address": "198.18.0.1"}], "binding:profile": {"device": "memory:a"} } }"""))["id"]!;
        _b = (string)(await _http.CreateAsync("ports", "port",
            $$$"""{"port": {"name": "b", "network_id": "{{{net}}}", "mac_address": "fa:16:3e:00:00:02", "fixed_ips": [{"ip_address": "198.18.0.2"}], "security_groups": ["{{{group}}}"], "binding:profile": {"device": "memory:b"} } }"""))["id"]!;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _http.Dispose();
        await _host.DisposeAsync();
    }

    /// <summary>Sends the packet from a, built as the trace builds it (a's MAC, b's MAC).</summary>
    private void SendFromA(string packet)
    {
        var model = _host.Models.Current;
        var frame = PacketDescription.Parse(packet).ToFrame(model, model.Ports[Guid.Parse(_a)]);
        _host.MemoryPorts["memory:a"].Inject(frame);
    }

    /// <summary>Starts a capture and waits until the data path runs it.</summary>
    private async Task<Task<CaptureSummary>> StartCapture(CaptureRequest request, Stream destination, List<CapturedFrame>? frames = null)
    {
        var running = _host.Datapath.CaptureCount;
        var capture = _client.CaptureAsync(request, destination, frames is null ? null : f => { lock (frames) { frames.Add(f); } });
        var deadline = Stopwatch.StartNew();
        while (_host.Datapath.CaptureCount == running && !capture.IsCompleted && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }
        Assert.False(capture.IsCompleted, capture.IsFaulted ? capture.Exception!.ToString() : "the capture ended before it began");
        return capture;
    }

    private static string Tshark(string file, params string[] fields)
    {
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-r", file, "-n", "-T", "fields", "-E", "separator=|" }.Concat(fields.SelectMany(f => new[] { "-e", f })))
        {
            psi.ArgumentList.Add(arg);
        }
        using var tshark = Process.Start(psi)!;
        var output = tshark.StandardOutput.ReadToEndAsync();
        var error = tshark.StandardError.ReadToEndAsync();
        Assert.True(tshark.WaitForExit(60_000), "tshark did not finish");
        Assert.True(tshark.ExitCode == 0, $"tshark failed: {error.Result}");
        return output.Result;
    }

    [Fact]
    public async Task Capture_OfTheReceiver_TsharkReadsEachFrameWithItsDirectionAndItsDropReason()
    {
        var file = Path.Combine(_host.StateDir, "b.pcapng");
        List<CapturedFrame> frames = [];
        CaptureSummary summary;
        await using (var output = File.Create(file))
        {
            var capture = await StartCapture(new CaptureRequest(_b, Count: 2), output, frames);
            SendFromA("tcp 198.18.0.1:40000 > 198.18.0.2:80 syn");
            SendFromA("tcp 198.18.0.1:40001 > 198.18.0.2:22 syn");
            summary = await capture.WaitAsync(TimeSpan.FromSeconds(20));
        }
        Assert.Equal(new CaptureSummary(2, 0, Complete: true, "count"), summary);
        Assert.Equal(0, _host.Datapath.CaptureCount);

        // Both were sent toward b (outbound on b's port); the one to 22 was dropped by b's groups, and says so.
        var lines = Tshark(file, "tcp.dstport", "frame.comment", "frame.packet_flags_direction", "frame.interface_name")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["22|dropped: security_group|0x00000002|b", "80||0x00000002|b"], lines);
        Assert.Equal([null, "security_group"], frames.Select(f => f.DropReason).Order());
        Assert.All(frames, f => Assert.False(f.Inbound));
        Assert.Contains(frames, f => FrameDecoder.Summary(f.Bytes).StartsWith("198.18.0.1.40001 > 198.18.0.2.22: TCP [S] seq ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Capture_DropsOnly_InDirection_TakesOnlyTheSendersDrops()
    {
        using var output = new MemoryStream();
        List<CapturedFrame> frames = [];
        var capture = await StartCapture(new CaptureRequest(_a, Direction: "in", DropsOnly: true, Count: 1), output, frames);
        // Allowed (not a drop), then dropped at b (b's drop, not a's), then a spoofed source: a's own drop.
        SendFromA("tcp 198.18.0.1:40000 > 198.18.0.2:80 syn");
        SendFromA("tcp 198.18.0.1:40001 > 198.18.0.2:22 syn");
        SendFromA("udp 198.18.0.1:40002 > 198.18.0.2:80");
        await Task.Delay(200);
        Assert.False(capture.IsCompleted);
        SendFromA("udp 198.18.0.99:5000 > 198.18.0.2:80");
        var summary = await capture.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, summary.Frames);
        var frame = Assert.Single(frames);
        Assert.True(frame.Inbound);
        Assert.Equal("spoofing", frame.DropReason);
        Assert.StartsWith("198.18.0.99.5000 > 198.18.0.2.80: UDP", FrameDecoder.Summary(frame.Bytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capture_ReaderLeaves_TheSessionStops()
    {
        using var cancel = new CancellationTokenSource();
        using var output = new MemoryStream();
        var locked = new Locked(output);
        var running = _host.Datapath.CaptureCount;
        var capture = _client.CaptureAsync(new CaptureRequest(_b), locked, null, cancel.Token);
        // Once the headers are in (the section's and the interface's blocks), the caller's stop ends the capture with a
        // summary (before, it is an OperationCanceledException).
        Assert.True(SpinWait.SpinUntil(() => locked.Blocks >= 2, TimeSpan.FromSeconds(10)));
        cancel.Cancel();
        var summary = await capture.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(summary.Complete);
        Assert.True(SpinWait.SpinUntil(() => _host.Datapath.CaptureCount == running, TimeSpan.FromSeconds(10)), "the daemon kept capturing for a reader that left");
        // What the reader kept is a whole pcapng stream: the section and interface headers.
        output.Position = 0;
        var reader = new PcapNgReader(output);
        Assert.False((await reader.ReadBlockAsync(default)).IsEmpty);
        Assert.False((await reader.ReadBlockAsync(default)).IsEmpty);
        Assert.True((await reader.ReadBlockAsync(default)).IsEmpty);
    }

    [Fact]
    public async Task Capture_PortDeleted_EndsTheStream()
    {
        using var output = new MemoryStream();
        var capture = await StartCapture(new CaptureRequest(_b), output);
        var (status, _) = await _http.DeleteJson($"/v2.0/ports/{_b}");
        Assert.Equal(HttpStatusCode.NoContent, status);
        var summary = await capture.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(summary.Complete);
        Assert.Equal("port deleted", summary.EndReason);
        Assert.Equal(0, _host.Datapath.CaptureCount);
    }

    [Theory]
    [InlineData("direction=sideways", "direction")]
    [InlineData("drops=maybe", "drops")]
    [InlineData("count=0", "count")]
    [InlineData("count=-1", "count")]
    [InlineData("duration=86401", "duration")]
    [InlineData("snaplen=63", "snaplen")]
    [InlineData("snaplen=65536", "snaplen")]
    [InlineData("port=x", "Unknown capture parameter 'port'")]
    [InlineData("count=1&count=2", "count is given 2 times")]
    public async Task Capture_BadParameter_Is400NamingIt(string query, string named)
    {
        var answer = await _http.GetJson($"/v2.0/vswitch/capture?port_id={_b}&{query}");
        var message = ApiAssert(answer, HttpStatusCode.BadRequest);
        Assert.Contains(named, message, StringComparison.Ordinal);
        Assert.Equal(0, _host.Datapath.CaptureCount);
    }

    [Fact]
    public async Task Capture_MissingOrUnknownPort_IsRefused()
    {
        ApiAssert(await _http.GetJson("/v2.0/vswitch/capture"), HttpStatusCode.BadRequest);
        ApiAssert(await _http.GetJson($"/v2.0/vswitch/capture?port_id={Guid.NewGuid()}"), HttpStatusCode.NotFound);
        var error = await Assert.ThrowsAsync<VSwitchApiException>(() => _client.CaptureAsync(new CaptureRequest(Guid.NewGuid().ToString()), null, null));
        Assert.Equal(404, error.StatusCode);
    }

    [Fact]
    public async Task Capture_BeyondMaxCaptures_Is409_AndTheOthersRunOn()
    {
        var port = _host.Reconciler.SlotOf(Guid.Parse(_b));
        var running = Enumerable.Range(0, Datapath.MaxCaptures).Select(_ => _host.Datapath.StartCapture(new CaptureFilter(port, true, true, false), 2, 64)!).ToList();
        try
        {
            ApiAssert(await _http.GetJson($"/v2.0/vswitch/capture?port_id={_b}"), HttpStatusCode.Conflict, "TooManyCaptures");
            Assert.Equal(Datapath.MaxCaptures, _host.Datapath.CaptureCount);
        }
        finally
        {
            running.ForEach(_host.Datapath.StopCapture);
        }
    }

    [Fact]
    public async Task Stream_FullRing_ReportsTheLostFramesInItsStatistics_TsharkReadsTheFile()
    {
        using var datapath = new Datapath(new DatapathOptions { Workers = 2, Pin = false, MaxPorts = 8, BufferSize = 2048 });
        var session = datapath.StartCapture(new CaptureFilter(0, true, true, false), 2, 128)!;
        var frame = new byte[60];
        frame[12] = 0x88;
        frame[13] = 0xB5;
        for (var i = 0; i < 5; i++)
        {
            session.Ring(i % 2).TryWrite(frame, 1_700_000_000_000_000_000 + i, Direction.Egress, i == 0 ? DropReason.Vlan : null);
        }
        Assert.Equal(1, session.Lost);
        var pipe = new Pipe();
        var stream = new CaptureStream(session, pipe.Writer);
        await stream.RunAsync("p", "vswitch port p", count: 0, DateTimeOffset.UtcNow.AddMilliseconds(300), () => true, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        Assert.Equal(CaptureEnd.Duration, stream.End);
        Assert.Equal(4, stream.Delivered);

        var file = Path.Combine(_host.StateDir, "lost.pcapng");
        await using (var output = File.Create(file))
        {
            await pipe.Reader.AsStream().CopyToAsync(output);
        }
        await using (var input = File.OpenRead(file))
        {
            var reader = new PcapNgReader(input);
            var frames = new List<CapturedFrame>();
            while (await reader.ReadBlockAsync(default) is { IsEmpty: false } block)
            {
                if (reader.Frame(block.Span) is { } f)
                {
                    frames.Add(f);
                }
            }
            Assert.Equal(4, frames.Count);
            Assert.Equal(1, reader.Lost);
            Assert.Equal("duration", reader.EndReason);
            Assert.Equal(new DateTimeOffset(2023, 11, 14, 22, 13, 20, TimeSpan.Zero), frames[0].Time);
        }
        var comments = Tshark(file, "frame.comment", "frame.len", "frame.cap_len").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, comments.Length);
        Assert.Contains("dropped: vlan|60|60", comments);
    }

    [Fact]
    public async Task Stream_PortBusierThanItsReader_StillEndsOnTime_AndWhenThePortGoes()
    {
        // A ring holding four passes' worth of frames: the reader must still look at the clock and at the port after
        // each pass instead of draining a port that keeps it full. Filled beforehand, so no producer thread has to be
        // scheduled in time (one on the thread pool once fell behind a busy suite).
        using var datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048 });
        var session = datapath.StartCapture(new CaptureFilter(3, true, true, false), 4 * CaptureStream.FramesPerPass, 64)!;
        var frame = new byte[60];
        for (var i = 0; i < 4 * CaptureStream.FramesPerPass; i++)
        {
            Assert.True(session.Ring(0).TryWrite(frame, 1, Direction.Egress, null));
        }
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var drain = pipe.Reader.AsStream().CopyToAsync(Stream.Null);

        var stream = new CaptureStream(session, pipe.Writer);
        await stream.RunAsync("p", "d", 0, DateTimeOffset.UtcNow, () => true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(CaptureEnd.Duration, stream.End);
        Assert.Equal(CaptureStream.FramesPerPass, stream.Delivered);

        datapath.EndCaptures(3);
        Assert.Equal(0, datapath.CaptureCount);
        var after = new CaptureStream(session, pipe.Writer);
        await after.RunAsync("p", "d", 0, null, () => true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(CaptureEnd.PortGone, after.End);
        Assert.Equal(CaptureStream.FramesPerPass, after.Delivered);
        Assert.True(session.TryPeek(out _, out _), "frames were left in the ring");
        await pipe.Writer.CompleteAsync();
        await drain;
    }

    [Theory]
    [InlineData("idb-short")]
    [InlineData("isb-short")]
    [InlineData("caplen-huge")]
    [InlineData("length-lies")]
    [InlineData("cut")]
    public async Task Reader_LyingOrCutBlocks_AreInvalidData(string how)
    {
        static byte[] Block(uint type, int length, byte[]? body = null)
        {
            var b = new byte[length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b, type);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)length);
            body?.CopyTo(b, 8);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(length - 4), (uint)length);
            return b;
        }
        var shb = Block(0x0A0D0D0A, 28, [0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        byte[] epb = Block(6, 32 + 4);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(epb.AsSpan(20), 0x7FFFFFFF);
        byte[] stream = how switch
        {
            "idb-short" => [.. shb, .. Block(1, 16)],
            "isb-short" => [.. shb, .. Block(5, 20)],
            "caplen-huge" => [.. shb, .. epb],
            "length-lies" => [.. shb, .. Block(6, 40)[..36]],
            _ => [.. shb, .. Block(6, 40)[..20]],
        };
        var reader = new PcapNgReader(new MemoryStream(stream));
        Assert.False((await reader.ReadBlockAsync(default)).IsEmpty);
        await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            var block = await reader.ReadBlockAsync(default);
            reader.Frame(block.Span);
        });
    }

    private static string ApiAssert((HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body) answer, HttpStatusCode status, string? type = null) =>
        Http.AssertError(answer, status, type);

    /// <summary>A stream the test may look at while the capture writes it.</summary>
    private sealed class Locked(MemoryStream inner) : Stream
    {
        private int _blocks;

        /// <summary>Writes so far: the client writes one whole block at a time.</summary>
        public int Blocks => Volatile.Read(ref _blocks);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length
        {
            get
            {
                lock (inner)
                {
                    return inner.Length;
                }
            }
        }

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (inner)
            {
                inner.Write(buffer, offset, count);
            }
            Interlocked.Increment(ref _blocks);
        }
    }
}
