using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>One decision of a traced packet, in words (rendered from its <see cref="TraceEvent"/> by <see cref="TraceText"/>).</summary>
/// <param name="Event">The coded decision.</param>
/// <param name="Stage">parse, dhcp, nd, port_security, fragment, conntrack, egress, l2, ingress, output.</param>
/// <param name="Result">What the stage decided (allowed, dropped, established, flood, ...).</param>
/// <param name="Detail">Why, in words.</param>
/// <param name="Port">The port slot the step is about, or -1.</param>
/// <param name="RuleSlot">The rule counter slot that allowed the packet, or -1.</param>
public sealed record TraceStep(TraceEvent Event, string Stage, string Result, string Detail, int Port = -1, int RuleSlot = -1);

/// <summary>One coded decision as the pipeline recorded it: the event and its numbers, nothing formatted.</summary>
/// <param name="Event">What was decided.</param>
/// <param name="Reason">The drop reason of a dropping step; null otherwise.</param>
/// <param name="Port">The port slot the step is about, or -1.</param>
/// <param name="RuleSlot">The rule counter slot that allowed the packet, or -1.</param>
/// <param name="A">The event's first number (see <see cref="TraceEvent"/>).</param>
/// <param name="B">The event's second number.</param>
/// <param name="C">The event's code (a verdict, an error), when it has one.</param>
/// <param name="Packet">The packet as the stage saw it (for events that describe it); default otherwise.</param>
internal readonly record struct TraceRecord(TraceEvent Event, DropReason? Reason, int Port, int RuleSlot, long A, long B, int C, ParsedPacket Packet);

/// <summary>
/// The decisions the pipeline made for one traced packet, in order. The pipeline records coded events
/// (a <see cref="TraceEvent"/> and its numbers); <see cref="Steps"/> renders them into
/// words once, with the names of the snapshot's ports.
/// </summary>
public sealed class TraceLog
{
    private readonly SwitchPort?[] _ports;
    private readonly List<TraceRecord> _records = [];
    private List<TraceStep>? _steps;

    private readonly Routing.LogicalRouter?[] _routers;

    /// <param name="ports">The traced snapshot's ports, by slot (for their names).</param>
    /// <param name="routers">The traced snapshot's routers, by index (for their names).</param>
    internal TraceLog(SwitchPort?[] ports, Routing.LogicalRouter?[]? routers = null)
    {
        _ports = ports;
        _routers = routers ?? [];
    }

    /// <summary>The steps in words, in the order the pipeline took them.</summary>
    public IReadOnlyList<TraceStep> Steps => _steps ??= [.. _records.Select(r => TraceText.Render(in r, PortName, RouterName))];

    /// <summary>Port slots the packet would be transmitted on.</summary>
    public List<int> DeliveredTo { get; } = [];

    /// <summary>The drop reason of the last dropping step, when nothing was delivered.</summary>
    public DropReason? DropReason { get; private set; }

    public bool Allowed => DeliveredTo.Count > 0;

    internal void Record(TraceEvent e, int port = -1, int ruleSlot = -1, long a = 0, long b = 0, int c = 0) =>
        Add(new TraceRecord(e, null, port, ruleSlot, a, b, c, default));

    internal void Record(TraceEvent e, in ParsedPacket packet, int port = -1) =>
        Add(new TraceRecord(e, null, port, -1, 0, 0, 0, packet));

    internal void Drop(TraceEvent e, DropReason reason, int port = -1, long a = 0, long b = 0, int c = 0)
    {
        DropReason = reason;
        Add(new TraceRecord(e, reason, port, -1, a, b, c, default));
    }

    internal void Drop(TraceEvent e, DropReason reason, in ParsedPacket packet, int port = -1)
    {
        DropReason = reason;
        Add(new TraceRecord(e, reason, port, -1, 0, 0, 0, packet));
    }

    private void Add(TraceRecord record)
    {
        _records.Add(record);
        _steps = null;
    }

    private string RouterName(int index) =>
        (uint)index < (uint)_routers.Length && _routers[index] is { } router ? router.Name : index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string PortName(int slot) =>
        (uint)slot < (uint)_ports.Length && _ports[slot] is { } port ? port.Name : slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
