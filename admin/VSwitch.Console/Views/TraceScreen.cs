using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using VSwitch.Admin.Client.Capture;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Tables;

namespace VSwitch.Console.Views;

/// <summary>
/// Trace: the last traced packet, its verdict with the rule or reason, and the pipeline's steps; <c>t</c> traces another.
/// <c>c</c> captures a frame from a port: it is shown decoded, layer by layer, under the steps, and a frame the port
/// received is traced as well (the steps say why it was allowed or dropped).
/// </summary>
internal sealed class TraceScreen : ScreenView
{
    private readonly IConsoleCommands _commands;
    private readonly TextLine _verdict = new() { X = 0, Y = 1, Width = Dim.Fill(), Height = 1 };

    /// <summary>The captured frame, decoded: the lower part of the screen when there is one.</summary>
    private readonly TextLine _captured = new() { X = 0, Width = Dim.Fill(), Visible = false };
    private readonly RowTable<(int Number, TraceStep Step)> _steps;
    private string _heading = "";

    public TraceScreen(IConsoleCommands commands)
        : base(Screen.Trace, "t trace a packet  c capture one")
    {
        _commands = commands;
        _steps = new RowTable<(int Number, TraceStep Step)>(
            [
                new("Stage", s => s.Step.Stage),
                new("Result", s => s.Step.Result ?? ""),
                new("Detail", s => s.Step.Detail ?? ""),
            ],
            s => s.Number.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            X = 0,
            Y = 2,
            Width = Dim.Fill(),
            Height = Dim.Fill(),
        };
        Add(_verdict, _steps, _captured);
    }

    protected override IFilterable PrimaryList => _steps;

    internal string VerdictText => _verdict.Text;

    internal RowTable<(int Number, TraceStep Step)> Steps => _steps;

    internal string CapturedText => _captured.Visible ? _captured.Text : "";

    public override IReadOnlyList<Key> OwnKeys => [Key.T, Key.C];

    public override void Update(ConsoleState state)
    {
        _heading = state.Trace is null ? (state.Captured is null ? "No packet traced yet: t traces one, c captures one" : "The packet captured is not traced")
            : state.Traced is { } traced ? $"Packet {traced.Packet} entering port {state.Current.PortName(traced.PortId)}" : "Packet traced";
        _verdict.Show(state.Trace is { } trace ? Verdict(trace) : "");
        _steps.SetRows(state.Trace?.Steps.Select((s, i) => (i + 1, s)) ?? []);
        ShowCaptured(state.Captured);
        ShowTitle();
    }

    /// <summary>The captured frame's heading and layers below the steps: what the steps leave, and at least half the screen.</summary>
    private void ShowCaptured(CapturedPacket? captured)
    {
        if (captured is null)
        {
            _captured.Visible = false;
            _steps.Height = Dim.Fill();
            return;
        }
        var text = captured.Heading + "\n" + FrameDecoder.Layers(captured.Frame.Bytes);
        var lines = text.Count(c => c == '\n') + 1;
        // What the steps leave (their rows, a header and a rule; the heading and verdict above), but at least half.
        var steps = _steps.ShownCount + 2;
        var height = Dim.Func(_ => Math.Min(lines, Math.Max((Viewport.Height - 2) / 2, Viewport.Height - 2 - steps)));
        _captured.Height = height;
        _captured.Y = Pos.AnchorEnd();
        _steps.Height = Dim.Fill(height);
        _captured.Show(text);
        _captured.Visible = true;
    }

    /// <summary>"ALLOWED by ingress rule …" or "DROPPED, reason security_group".</summary>
    internal static string Verdict(PacketTrace trace)
    {
        if (trace.Verdict == "allowed")
        {
            var decided = trace.Steps.LastOrDefault(s => s.Detail?.Contains(" rule ", StringComparison.Ordinal) == true)?.Detail;
            return "ALLOWED" + (decided is null ? "" : " by " + decided);
        }
        return $"DROPPED, reason {trace.Reason ?? "?"}";
    }

    protected override string TitleText() => _heading;

    public override bool HandleKey(Key key)
    {
        if (key == Key.T)
        {
            _commands.Trace();
            return true;
        }
        if (key == Key.C)
        {
            _commands.CapturePacket();
            return true;
        }
        return false;
    }
}
