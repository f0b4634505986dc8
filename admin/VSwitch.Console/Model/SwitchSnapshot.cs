using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>
/// Everything the console shows, read from the API at one refresh: stats, ports, groups (with their rules) and, when
/// the flows screen is open, the tracked connections; when the routers screen is open, the routers and floating IPs. <see cref="At"/> is a monotonic time, so rates never see the
/// wall clock jump.
/// </summary>
public sealed record SwitchSnapshot(
    TimeSpan At,
    SwitchStats Stats,
    IReadOnlyList<Port> Ports,
    IReadOnlyList<SecurityGroup> Groups,
    IReadOnlyList<FlowEntry>? Flows,
    RoutingInventory? Routing = null)
{
    /// <summary>An empty snapshot (before the first refresh answered).</summary>
    public static SwitchSnapshot Empty { get; } = new(TimeSpan.Zero, new SwitchStats(), [], [], null);

    /// <summary>The group's name for an id, or the id itself when the group is gone.</summary>
    public string GroupName(string id) => Groups.FirstOrDefault(g => g.Id == id)?.Name is { Length: > 0 } name ? name : id;

    /// <summary>The port's name for an id (its id when it has no name or is gone).</summary>
    public string PortName(string? id) => id is null ? "" : Ports.FirstOrDefault(p => p.Id == id)?.Name is { Length: > 0 } name ? name : id;
}
