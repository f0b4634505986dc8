using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using VSwitch.Admin.Client.Capture;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Views.Dialogs;

/// <summary>
/// Captures one frame of a port for the trace screen: the port (a list with a filter box), which way, and whether only
/// a frame the switch drops; Enter waits for the next such frame (up to <see cref="WaitSeconds"/>), Esc stops waiting.
/// </summary>
internal sealed class CaptureDialog : FormDialog<(CapturedFrame? Frame, string? Error)>
{
    /// <summary>Captures one frame: the port's id, <c>in</c>/<c>out</c>/<c>both</c>, drops only; the frame, or why none came.</summary>
    internal delegate Task<(CapturedFrame? Frame, string? Error)> RunCapture(string portId, string direction, bool dropsOnly, CancellationToken cancellation);

    /// <summary>How long the dialog waits for a frame.</summary>
    public const int WaitSeconds = 30;

    private const int FieldX = 13;
    private static readonly string[] s_directions = ["in", "out", "both"];
    private readonly List<Port> _ports;
    private readonly RunCapture _run;
    private readonly FilteredList _port;
    private readonly OptionSelector _direction = new() { X = FieldX, Y = 5, Labels = ["in (the VM sends)", "out (sent to it)", "both"], Orientation = Orientation.Horizontal, Value = 0 };
    private readonly OptionSelector _which = new() { X = FieldX, Y = 6, Labels = ["any frame", "a frame the switch drops"], Orientation = Orientation.Horizontal, Value = 0 };
    private CancellationTokenSource? _waiting;
    private string _portId = "";

    public CaptureDialog(IReadOnlyList<Port> ports, string? lastPortId, RunCapture run)
        : base("Capture a packet", "Capture", 72, 14)
    {
        _run = run;
        (_ports, _port) = PortPicker.Create(ports, lastPortId, FieldX, 5);
        Add(new Label { X = 0, Y = 1, Text = "On port:" }, _port, new Label { X = 0, Y = 5, Text = "Frames:" }, _direction,
            new Label { X = 0, Y = 6, Text = "Take:" }, _which);
        _port.SetFocus();
    }

    /// <summary>The frame captured and the port it was captured on; set when the dialog ends by its action.</summary>
    public (Port Port, CapturedFrame Frame)? Captured { get; private set; }

    internal FilteredList PortList => _port;

    internal OptionSelector Direction => _direction;

    internal OptionSelector Which => _which;

    protected override Task<(CapturedFrame? Frame, string? Error)> Submit()
    {
        if (_port.Selected is not int i)
        {
            return Task.FromResult<(CapturedFrame?, string?)>((null, _ports.Count == 0 ? "no port to capture on" : "no port matches the filter"));
        }
        _portId = _ports[i].Id;
        _waiting?.Dispose();
        _waiting = new CancellationTokenSource();
        Footer.Text = $"waiting up to {WaitSeconds} s for a frame on {PortPicker.Label(_ports[i])}… (Esc stops waiting)";
        return _run(_portId, s_directions[_direction.Value ?? 0], _which.Value == 1, _waiting.Token);
    }

    /// <summary>Esc or Cancel while waiting stops the wait (the dialog then stays, saying so); otherwise they close it.</summary>
    protected override bool OnIsRunningChanging(bool oldIsRunning, bool newIsRunning)
    {
        if (oldIsRunning && !newIsRunning)
        {
            _waiting?.Cancel();
        }
        return base.OnIsRunningChanging(oldIsRunning, newIsRunning);
    }

    protected override bool Show((CapturedFrame? Frame, string? Error) outcome)
    {
        if (outcome.Frame is not { } frame)
        {
            Footer.Text = ErrorText(outcome.Error ?? "no frame came");
            return false;
        }
        Captured = (_ports.First(p => p.Id == _portId), frame);
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _waiting?.Dispose();
        }
        base.Dispose(disposing);
    }
}
