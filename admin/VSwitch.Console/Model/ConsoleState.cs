using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>The console's screens, in the status bar's order (the digit keys select them).</summary>
public enum Screen
{
    Overview,
    Groups,
    Ports,
    Flows,
    Trace,
    Routers,
}

/// <summary>
/// Everything the screens show and the keys change: the last two snapshots, the current screen and its selections,
/// the status message, the last trace and the rates' history. Owned by the console's UI thread only.
/// </summary>
public sealed class ConsoleState
{
    /// <summary>Where the console is connected (for the header).</summary>
    public string Endpoint { get; init; } = "";

    public Screen Screen { get; set; } = Screen.Overview;

    /// <summary>The snapshot before <see cref="Current"/> (rates are between the two); null until the second refresh.</summary>
    public SwitchSnapshot? Previous { get; private set; }

    public SwitchSnapshot Current { get; private set; } = SwitchSnapshot.Empty;

    /// <summary>The rates between <see cref="Previous"/> and <see cref="Current"/> (computed once per refresh).</summary>
    public Overview Overview { get; private set; } = Overview.Build(null, SwitchSnapshot.Empty);

    /// <summary>The last connection listing and when it was read (the flows screen rates connections against it).</summary>
    public (IReadOnlyList<FlowEntry> Flows, TimeSpan At)? PreviousFlows { get; private set; }

    /// <summary>Why the last refresh failed (the daemon is unreachable, ...), null when it succeeded.</summary>
    public string? RefreshError { get; set; }

    public Message? Message { get; set; }

    public GroupList Groups { get; } = new();

    /// <summary>Every port's rates over the last minutes (the graphs).</summary>
    public PortHistory History { get; } = new();

    /// <summary>The flows screen shows only connections through this port (null: all).</summary>
    public string? FlowPortId { get; set; }

    /// <summary>
    /// The flows screen reads only the connections that carried a packet in the last seconds (true), or the first
    /// ones of the table, idle or not (false).
    /// </summary>
    public bool ActiveFlowsOnly { get; set; } = true;

    /// <summary>The trace dialog's fields as last used (the next trace starts from them).</summary>
    public TraceFields TraceFields { get; set; } = TraceFields.Default;

    public PacketTrace? Trace { get; set; }

    /// <summary>The packet <see cref="Trace"/> traced, in the trace's words, and the port it entered by.</summary>
    public (string PortId, string Packet)? Traced { get; set; }

    /// <summary>The last frame captured from the trace screen (<c>c</c>), shown decoded there.</summary>
    public CapturedPacket? Captured { get; set; }

    /// <summary>Takes a new snapshot; the current one becomes the previous one.</summary>
    public void Push(SwitchSnapshot snapshot)
    {
        if (Current.Flows is { } flows)
        {
            PreviousFlows = (flows, Current.At);
        }
        Previous = ReferenceEquals(Current, SwitchSnapshot.Empty) ? null : Current;
        Current = snapshot;
        Overview = Overview.Build(Previous, Current);
        if (Previous is not null)
        {
            History.Add(Overview);
        }
    }
}
