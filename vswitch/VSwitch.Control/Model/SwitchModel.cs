using System.Collections.Immutable;

namespace VSwitch.Control.Model;

/// <summary>
/// The desired state of the whole switch: an immutable value that the configuration file (and later the API) edits
/// and the <see cref="Reconciler"/> applies.
/// </summary>
public sealed record SwitchModel(ImmutableSortedDictionary<Guid, NetworkSpec> Networks, ImmutableSortedDictionary<Guid, PortSpec> Ports)
{
    public static readonly SwitchModel Empty = new(
        ImmutableSortedDictionary<Guid, NetworkSpec>.Empty,
        ImmutableSortedDictionary<Guid, PortSpec>.Empty);
}
