using Terminal.Gui.Input;
using VSwitch.Admin.Client.Capture;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Dialogs;
using Xunit.Abstractions;

namespace VSwitch.Console.Tests;

/// <summary>The trace screen's capture: the dialog that waits for a frame, and the frame shown decoded under the trace.</summary>
public sealed class CaptureConsoleTests(ITestOutputHelper output)
{
    private static readonly Port[] s_ports = [new() { Id = "p1", Name = "cli" }, new() { Id = "p2", Name = "srv" }];

    /// <summary>A TCP SYN from 198.18.0.1:40000 to 198.18.0.2:22, as a VM sends it.</summary>
    internal static byte[] Syn()
    {
        byte[] tcp = [0x9C, 0x40, 0x00, 0x16, 0, 0, 0, 7, 0, 0, 0, 0, 0x50, 0x02, 0x04, 0x00, 0, 0, 0, 0];
        byte[] ip = [0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2];
        return [0xfa, 0x16, 0x3e, 0, 0, 2, 0xfa, 0x16, 0x3e, 0, 0, 1, 0x08, 0x00, .. ip, .. tcp];
    }

    [Fact]
    public void Dialog_PortWayAndDrops_AreAsked_TheFrameThatCameClosesIt()
    {
        using var ui = new Headless(80, 24);
        var asked = new List<(string Port, string Direction, bool Drops)>();
        var frame = new CapturedFrame(DateTimeOffset.UnixEpoch, true, 54, Syn(), "dropped: security_group");
        using var dialog = new CaptureDialog(s_ports, "p2", (port, direction, drops, _) =>
        {
            asked.Add((port, direction, drops));
            return Task.FromResult<(CapturedFrame?, string?)>((frame, null));
        });
        var screen = "";
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                screen = ui.Screen();
                dialog.Direction.Value = 2;
                dialog.Which.Value = 1;
                ui.Press(Key.Enter);
            }
            return true;
        });
        output.WriteLine(screen);
        Assert.Contains("Capture a packet", screen);
        Assert.Equal(("p2", "both", true), Assert.Single(asked));
        Assert.True(dialog.Done);
        Assert.Equal("srv", dialog.Captured!.Value.Port.Name);
        Assert.Same(frame, dialog.Captured.Value.Frame);
    }

    [Fact]
    public void Dialog_EscWhileWaiting_StopsTheWait_AndStaysToSaySo()
    {
        using var ui = new Headless(80, 24);
        CancellationToken waited = default;
        using var dialog = new CaptureDialog(s_ports, "p1", async (_, _, _, cancellation) =>
        {
            waited = cancellation;
            try
            {
                await Task.Delay(Timeout.Infinite, cancellation);
            }
            catch (OperationCanceledException)
            {
            }
            return (null, "stopped waiting: no frame yet");
        });
        var waiting = "";
        var stopped = "";
        ui.RunModal(dialog, step =>
        {
            if (step == 1)
            {
                ui.Press(Key.Enter);
            }
            else if (step == 3)
            {
                waiting = ui.Screen();
                ui.Press(Key.Esc);
            }
            else if (step > 3 && ui.Screen().Contains("! stopped waiting", StringComparison.Ordinal))
            {
                stopped = ui.Screen();
                return false;
            }
            return true;
        });
        output.WriteLine(waiting);
        Assert.Contains("waiting up to 30 s for a frame on cli", waiting);
        Assert.True(waited.IsCancellationRequested);
        Assert.Contains("! stopped waiting: no frame yet", stopped);
        Assert.False(dialog.Done);
    }

    [Fact]
    public void TraceScreen_ShowsTheCapturedFrameDecoded_UnderTheTraceOfIt()
    {
        using var ui = new Headless(100, 60);
        ui.Window.Apply(ConsoleWindowTests.Snapshot(1, 2, 10));
        var state = ui.Window.State;
        state.Captured = new CapturedPacket("p02", "vm02", new CapturedFrame(DateTimeOffset.UnixEpoch, true, 54, Syn(), "dropped: security_group"));
        Assert.Equal("tcp 198.18.0.1:40000 > 198.18.0.2:22 syn src-mac fa:16:3e:00:00:01 dst-mac fa:16:3e:00:00:02", state.Captured.TracePacket);
        state.Trace = new PacketTrace { Verdict = "dropped", Reason = "security_group", Steps = [new TraceStep { Stage = "ingress", Result = "drop", Detail = "no rule of vm01's groups admits it" }] };
        state.Traced = ("p02", state.Captured.TracePacket!);
        ui.Press(Key.D5);
        var screen = ui.Screen();
        output.WriteLine(screen);
        Assert.Contains("Packet tcp 198.18.0.1:40000 > 198.18.0.2:22 syn", screen);
        Assert.Contains("DROPPED, reason security_group", screen);
        Assert.Contains("no rule of vm01's groups admits it", screen);
        Assert.Contains("Captured on vm02, in, 54 bytes at ", screen);
        Assert.Contains("198.18.0.1.40000 > 198.18.0.2.22: TCP [S] seq 7,", screen);
        Assert.Contains("length 0  DROPPED security_group", screen);
        Assert.Contains("Eth: destination = fa:16:3e:00:00:02", screen);
        Assert.Contains("TCP:  ******* TCP", screen);
    }

    [Fact]
    public void CapturedFrame_SentToThePort_OrDroppedForWhatWordsCannotSay_IsNotTraced()
    {
        var outbound = new CapturedPacket("p1", "cli", new CapturedFrame(DateTimeOffset.UnixEpoch, false, 54, Syn(), null));
        Assert.Null(outbound.TracePacket);
        Assert.Contains(", out, 54 bytes", outbound.Heading);
        // Its words would not carry what got it dropped (its size): a trace of them would say it passes.
        var overMtu = new CapturedPacket("p1", "cli", new CapturedFrame(DateTimeOffset.UnixEpoch, true, 54, Syn(), "dropped: mtu"));
        Assert.Null(overMtu.TracePacket);
        var denied = new CapturedPacket("p1", "cli", new CapturedFrame(DateTimeOffset.UnixEpoch, true, 54, Syn(), "dropped: security_group"));
        Assert.NotNull(denied.TracePacket);
    }
}
