namespace VSwitch.Control.Model;

/// <summary>A router create or update as the API received it; null means "not given".</summary>
/// <param name="Name">Default <c>""</c>.</param>
/// <param name="Description">Default <c>""</c>.</param>
/// <param name="AdminStateUp">Default true.</param>
/// <param name="Routes">(destination, nexthop) texts; an empty list removes every route.</param>
/// <param name="ExternalGateway">True when a non-null <c>external_gateway_info</c> was given.</param>
/// <param name="ProjectId">Create only; default: the caller's project.</param>
public sealed record RouterBody(
    string? Name = null,
    string? Description = null,
    bool? AdminStateUp = null,
    IReadOnlyList<(string? Destination, string? NextHop)>? Routes = null,
    bool ExternalGateway = false,
    string? ProjectId = null);

/// <summary>The result of adding or removing a router interface, as Neutron answers it.</summary>
public sealed record RouterInterfaceInfo(Guid RouterId, Guid PortId, Guid SubnetId, Guid NetworkId, ProjectId ProjectId);
