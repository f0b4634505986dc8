namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's floating IP: an address of an external network that a router translates 1:1 to a port's fixed IP
/// (<see cref="FloatingIpOperations"/>). Its address is held by a port the switch owns on the external network
/// (<see cref="FloatingIpOperations.AddressOwner"/>), so IPAM never gives it to anyone else.
/// </summary>
/// <param name="Id">Neutron-style UUID.</param>
/// <param name="ProjectId">The owning project.</param>
/// <param name="FloatingNetworkId">The external network the address is on.</param>
/// <param name="FloatingIpAddress">The address (a host prefix).</param>
public sealed record FloatingIp(Guid Id, ProjectId ProjectId, Guid FloatingNetworkId, IpPrefix FloatingIpAddress)
{
    /// <summary>The port the address is translated to, or null (not associated).</summary>
    public Guid? PortId { get; init; }

    /// <summary>The port's fixed IP it is translated to, with <see cref="PortId"/>.</summary>
    public IpPrefix? FixedIpAddress { get; init; }

    /// <summary>The router that translates it: the one with a gateway on the floating network and an interface on the fixed IP's subnet.</summary>
    public Guid? RouterId { get; init; }

    public string Description { get; init; } = "";

    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public EquatableArray<string> Tags { get; init; } = EquatableArray<string>.Empty;

    /// <summary>Neutron's status: ACTIVE when associated, DOWN when not.</summary>
    public string Status => PortId is null ? "DOWN" : "ACTIVE";
}

/// <summary>A floating IP create or update as the API received it; null means "not given".</summary>
/// <param name="FloatingNetworkId">Create only, required: an external network.</param>
/// <param name="FloatingIpAddress">Create only: the address; default, one allocated from the network's subnets.</param>
/// <param name="SubnetId">Create only: the external subnet to allocate from.</param>
/// <param name="PortId">The port to associate; on update JSON null disassociates (<paramref name="Disassociate"/>).</param>
/// <param name="FixedIpAddress">Which of the port's fixed IPs (needed only when it has several IPv4 ones).</param>
/// <param name="Disassociate">True when <c>port_id</c> was JSON null.</param>
/// <param name="Description">Default <c>""</c>.</param>
/// <param name="ProjectId">Create only; default: the caller's project.</param>
public sealed record FloatingIpBody(
    Guid? FloatingNetworkId = null,
    string? FloatingIpAddress = null,
    Guid? SubnetId = null,
    Guid? PortId = null,
    string? FixedIpAddress = null,
    bool Disassociate = false,
    string? Description = null,
    string? ProjectId = null);
