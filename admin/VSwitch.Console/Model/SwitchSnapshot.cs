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

    // Names by id, built at the first look-up: the flows screen names two ports for each of up to 1,000 connections.
    private Dictionary<string, string>? _groupNames;
    private Dictionary<string, string>? _portNames;

    /// <summary>The group's name for an id, or the id itself when the group is gone.</summary>
    public string GroupName(string id) =>
        (_groupNames ??= Names(Groups.Select(g => (g.Id, g.Name)))).GetValueOrDefault(id) ?? id;

    /// <summary>The port's name for an id (its id when it has no name or is gone).</summary>
    public string PortName(string? id) =>
        id is null ? "" : (_portNames ??= Names(Ports.Select(p => (p.Id, p.Name)))).GetValueOrDefault(id) ?? id;

    private static Dictionary<string, string> Names(IEnumerable<(string Id, string Name)> items)
    {
        var names = new Dictionary<string, string>();
        foreach (var (id, name) in items)
        {
            if (name is { Length: > 0 })
            {
                names.TryAdd(id, name);
            }
        }
        return names;
    }
}
