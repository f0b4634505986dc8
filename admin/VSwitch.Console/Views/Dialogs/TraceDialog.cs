using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;

namespace VSwitch.Console.Views.Dialogs;

/// <summary>
/// Traces a packet: the port it enters by and its fields (protocol, addresses, ports, TCP flags); Enter asks the
/// daemon what its pipeline would do, and the verdict and every step appear in the dialog, which stays open to try
/// another packet. The last trace also stays on the trace screen.
/// </summary>
internal sealed class TraceDialog : FormDialog<(PacketTrace? Trace, string? Error)>
{
    /// <summary>Traces the packet (<see cref="TraceFields"/>): the trace, or why the daemon refused it.</summary>
    internal delegate Task<(PacketTrace? Trace, string? Error)> RunTrace(TraceFields fields);

    private const int FieldX = 13;
    private readonly List<Port> _ports;
    private readonly RunTrace _run;
    private readonly FilteredList _port;
    private readonly TextField _protocol;
    private readonly TextField _source;
    private readonly TextField _sourcePort;
    private readonly TextField _destination;
    private readonly TextField _destinationPort;
    private readonly TextField _flags;
    private readonly TextLine _verdict = new() { X = 0, Y = 10, Width = Dim.Fill(), Height = 1 };
    private TraceFields? _asked;
    private readonly TextLine _steps = new() { X = 0, Y = 11, Width = Dim.Fill(), Height = Dim.Fill(1) };

    public TraceDialog(IReadOnlyList<Port> ports, TraceFields last, RunTrace run)
        : base("Trace a packet", "Trace", 76, 22)
    {
        _run = run;
        (_ports, _port) = PortPicker.Create(ports, last.PortId, FieldX, 4);
        _protocol = Field(4, last.Protocol, 14);
        _source = Field(5, last.Source, 40);
        _sourcePort = Field(6, last.SourcePort, 8);
        _destination = Field(7, last.Destination, 40);
        _destinationPort = Field(8, last.DestinationPort, 8);
        _flags = Field(9, last.Flags, 20);
        Add(new Label { X = 0, Y = 1, Text = "Enters port:" }, _port,
            new Label { X = 0, Y = 4, Text = "Protocol:" }, new Label { X = FieldX + 15, Y = 4, Text = "tcp udp icmp ipv6-icmp" },
            new Label { X = 0, Y = 5, Text = "Source:" }, new Label { X = 0, Y = 6, Text = "Source port:" },
            new Label { X = 0, Y = 7, Text = "Destination:" }, new Label { X = 0, Y = 8, Text = "Dest. port:" },
            new Label { X = 0, Y = 9, Text = "TCP flags:" }, new Label { X = FieldX + 21, Y = 9, Text = "syn, ack, fin, rst" },
            _protocol, _source, _sourcePort, _destination, _destinationPort, _flags, _verdict, _steps);
        _port.SetFocus();
    }

    /// <summary>The fields as they were at the last trace, and its answer (null until one answered).</summary>
    public (TraceFields Fields, PacketTrace Trace)? Last { get; private set; }

    internal string VerdictText => _verdict.Text;

    internal string StepsText => _steps.Text;

    internal TextField DestinationPortField => _destinationPort;

    private TextField Field(int y, string text, int width) => new() { X = FieldX, Y = y, Width = width, Text = text };

    internal FilteredList PortList => _port;

    private TraceFields Fields() => new(_port.Selected is int i ? _ports[i].Id : "",
        _protocol.Text, _source.Text, _sourcePort.Text, _destination.Text, _destinationPort.Text, _flags.Text);

    protected override Task<(PacketTrace? Trace, string? Error)> Submit()
    {
        var fields = Fields();
        _asked = fields;
        return fields.PortId.Length > 0 ? _run(fields)
            : Task.FromResult<(PacketTrace?, string?)>((null, _ports.Count == 0 ? "no port to trace from" : "no port matches the filter"));
    }

    protected override bool Show((PacketTrace? Trace, string? Error) outcome)
    {
        if (outcome.Trace is not { } trace)
        {
            _verdict.Text = ErrorText(outcome.Error);
            _steps.Text = "";
            return false;
        }
        Last = (_asked!, trace);
        _verdict.Text = TraceScreen.Verdict(trace);
        _steps.Text = string.Join('\n', trace.Steps.Select(s => $"{s.Stage,-12} {s.Result,-8} {s.Detail}"));
        return false;
    }
}
