using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>
/// Everything the console shows, read from the API at one refresh: stats, ports, groups (with their rules) and, when
/// the flows screen is open, the tracked connections; when the routers screen is open, the routers and floating IPs.
/// <see cref="At"/> is a monotonic time, so rates never see the wall clock jump.
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
    // Each remembers the list it was built from, so a copy made with `with` and other lists never reads stale names.
    private (IReadOnlyList<SecurityGroup> From, Dictionary<string, string> Names)? _groupNames;
    private (IReadOnlyList<Port> From, Dictionary<string, string> Names)? _portNames;

    /// <summary>The group's name for an id, or the id itself when the group is gone.</summary>
    public string GroupName(string id)
    {
        if (_groupNames is not { } cache || !ReferenceEquals(cache.From, Groups))
        {
            _groupNames = cache = (Groups, Names(Groups.Select(g => (g.Id, g.Name))));
        }
        return cache.Names.GetValueOrDefault(id) ?? id;
    }

    /// <summary>The port's name for an id (its id when it has no name or is gone).</summary>
    public string PortName(string? id)
    {
        if (id is null)
        {
            return "";
        }
        if (_portNames is not { } cache || !ReferenceEquals(cache.From, Ports))
        {
            _portNames = cache = (Ports, Names(Ports.Select(p => (p.Id, p.Name))));
        }
        return cache.Names.GetValueOrDefault(id) ?? id;
    }

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
