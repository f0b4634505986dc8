using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using VSwitch.Console.Views.Tables;

namespace VSwitch.Console.Views;

/// <summary>Trace: the last traced packet, its verdict with the rule or reason, and the pipeline's steps; <c>t</c> traces another.</summary>
internal sealed class TraceScreen : ScreenView
{
    private readonly IConsoleCommands _commands;
    private readonly TextLine _verdict = new() { X = 0, Y = 1, Width = Dim.Fill(), Height = 1 };
    private readonly RowTable<(int Number, TraceStep Step)> _steps;
    private string _heading = "";

    public TraceScreen(IConsoleCommands commands)
        : base(Screen.Trace, "t trace a packet")
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
        Add(_verdict, _steps);
    }

    protected override IFilterable PrimaryList => _steps;

    internal string VerdictText => _verdict.Text;

    internal RowTable<(int Number, TraceStep Step)> Steps => _steps;

    public override IReadOnlyList<Key> OwnKeys => [Key.T];

    public override void Update(ConsoleState state)
    {
        _heading = state.Trace is null ? "No packet traced yet: t traces one"
            : $"Packet {state.TraceFields.ToPacket()} entering port {state.Current.PortName(state.TraceFields.PortId)}";
        _verdict.Show(state.Trace is { } trace ? Verdict(trace) : "");
        _steps.SetRows(state.Trace?.Steps.Select((s, i) => (i + 1, s)) ?? []);
        ShowTitle();
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
        return false;
    }
}
