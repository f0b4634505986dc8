namespace VSwitch.Control.Model;

/// <summary>A network (an L2 segment) as the operator wants it.</summary>
/// <param name="Id">Neutron-style UUID.</param>
/// <param name="Name">Human name (unique among the configuration file's networks; Neutron does not require it).</param>
/// <param name="AdminStateUp">False: the network forwards nothing.</param>
public sealed record NetworkSpec(Guid Id, string Name, bool AdminStateUp = true)
{
    /// <summary>The owning project (<see cref="ProjectId.None"/> for configuration-file networks).</summary>
    public ProjectId ProjectId { get; init; }

    public string Description { get; init; } = "";

    /// <summary>Neutron's <c>revision_number</c>: bumped by every update.</summary>
    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Neutron's <c>tags</c> (<see cref="TagOperations"/>): sorted, no duplicates.</summary>
    public EquatableArray<string> Tags { get; init; } = EquatableArray<string>.Empty;

    /// <summary>
    /// Neutron's <c>mtu</c>: the largest IP packet (L2 payload) the network carries. A port's larger frames that are not
    /// GSO super-frames are dropped and counted (<c>mtu</c>).
    /// </summary>
    public int Mtu { get; init; } = DefaultMtu;

    /// <summary>
    /// Neutron's <c>router:external</c>: the network where the outside world is attached (a port with port security
    /// off); routers set their external gateway on it and floating IPs come from its subnets.
    /// </summary>
    public bool External { get; init; }

    /// <summary>Neutron's <c>vlan_transparent</c> (set at creation): VLAN-tagged frames from ports are carried.</summary>
    public bool VlanTransparent { get; init; }

    /// <summary>The MTU of a network created without one (Neutron's <c>global_physnet_mtu</c> default).</summary>
    public const int DefaultMtu = 1500;

    /// <summary>The smallest MTU (IPv4's minimum datagram, RFC 791).</summary>
    public const int MinMtu = 68;

    /// <summary>The largest MTU: a 9,000-byte jumbo frame with room for encapsulation, as hypervisor NICs allow.</summary>
    public const int MaxMtu = 9216;
}
