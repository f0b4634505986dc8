namespace VSwitch.Control.Model;

/// <summary>A router create or update as the API received it; null means "not given".</summary>
/// <param name="Name">Default <c>""</c>.</param>
/// <param name="Description">Default <c>""</c>.</param>
/// <param name="AdminStateUp">Default true.</param>
/// <param name="Routes">(destination, nexthop) texts; an empty list removes every route.</param>
/// <param name="Gateway">A non-empty <c>external_gateway_info</c>: the gateway to set.</param>
/// <param name="ClearGateway">True when <c>external_gateway_info</c> was null or <c>{}</c>: the gateway is removed.</param>
/// <param name="ProjectId">Create only; default: the caller's project.</param>
public sealed record RouterBody(
    string? Name = null,
    string? Description = null,
    bool? AdminStateUp = null,
    IReadOnlyList<(string? Destination, string? NextHop)>? Routes = null,
    GatewayBody? Gateway = null,
    bool ClearGateway = false,
    string? ProjectId = null);

/// <summary><c>external_gateway_info</c> as received: the network, SNAT (Neutron's default true) and fixed IPs on it.</summary>
public sealed record GatewayBody(Guid? NetworkId, bool? EnableSnat = null, IReadOnlyList<FixedIpBody>? ExternalFixedIps = null);

/// <summary>The result of adding or removing a router interface, as Neutron answers it.</summary>
public sealed record RouterInterfaceInfo(Guid RouterId, Guid PortId, Guid SubnetId, Guid NetworkId, ProjectId ProjectId);
