namespace VSwitch.Dataplane.Pipeline;

/// <summary>One decision of a traced packet.</summary>
/// <param name="Stage">parse, port_security, conntrack, egress, l2, ingress, output.</param>
/// <param name="Result">What the stage decided (allowed, dropped, established, flood, ...).</param>
/// <param name="Detail">Why, in words.</param>
/// <param name="Port">The port slot the step is about, or -1.</param>
/// <param name="RuleSlot">The rule counter slot that allowed the packet, or -1.</param>
public sealed record TraceStep(string Stage, string Result, string Detail, int Port = -1, int RuleSlot = -1);

/// <summary>The decisions the pipeline made for one traced packet, in order.</summary>
public sealed class TraceLog
{
    public List<TraceStep> Steps { get; } = [];

    /// <summary>Port slots the packet would be transmitted on.</summary>
    public List<int> DeliveredTo { get; } = [];

    /// <summary>The drop reason of the last dropping step, when nothing was delivered.</summary>
    public DropReason? DropReason { get; set; }

    public bool Allowed => DeliveredTo.Count > 0;

    internal void Add(string stage, string result, string detail, int port = -1, int ruleSlot = -1) =>
        Steps.Add(new TraceStep(stage, result, detail, port, ruleSlot));

    internal void Drop(string stage, DropReason reason, string detail, int port = -1)
    {
        DropReason = reason;
        Steps.Add(new TraceStep(stage, "dropped", $"{reason.Label()}: {detail}", port));
    }
}
