namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's router, distributed in the switch: it routes between the subnets it has interfaces on (<see
/// cref="RouterOperations"/>). An interface is a port of the subnet's network owned by the router
/// (<see cref="PortSpec.DeviceOwner"/> <see cref="RouterOperations.InterfaceOwner"/>, <see cref="PortSpec.DeviceId"/> the
/// router's id) that holds the address the router answers on, normally the subnet's gateway.
/// </summary>
public sealed record Router(Guid Id, string Name, ProjectId ProjectId)
{
    public string Description { get; init; } = "";

    /// <summary>False: the router forwards nothing and answers nothing.</summary>
    public bool AdminStateUp { get; init; } = true;

    /// <summary>
    /// Neutron's <c>external_gateway_info</c>: the external network the router's gateway port is on (its default route
    /// leaves there, through the external subnet's gateway), or null for none.
    /// </summary>
    public RouterGateway? ExternalGateway { get; init; }

    /// <summary>Neutron's extra routes (<c>routes</c>): destination via a next hop on one of the router's subnets.</summary>
    public EquatableArray<HostRoute> Routes { get; init; } = EquatableArray<HostRoute>.Empty;

    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Neutron's <c>tags</c>: sorted, no duplicates.</summary>
    public EquatableArray<string> Tags { get; init; } = EquatableArray<string>.Empty;
}

/// <summary>A router's gateway: the external network (its port there is owned by the router as
/// <see cref="RouterOperations.GatewayOwner"/>) and whether ports without a floating IP reach out through SNAT.</summary>
public sealed record RouterGateway(Guid NetworkId, bool EnableSnat);
