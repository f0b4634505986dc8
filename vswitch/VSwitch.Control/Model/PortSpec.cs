using VSwitch.Packets;

namespace VSwitch.Control.Model;

/// <summary>A switch port as the operator wants it.</summary>
/// <remarks>
/// The positional members are what the data path needs to open the port; the init-only members are Neutron's port
/// security: its addresses (which anti-spoofing allows and remote-group rules match), its security groups and
/// whether port security applies at all. A port with port security and no groups passes nothing but the implicit
/// rules (ARP, DHCP client, ND for its own addresses).
/// </remarks>
/// <param name="Id">Neutron-style UUID.</param>
/// <param name="Name">Human name (unique among the configuration file's ports; Neutron does not require it).</param>
/// <param name="NetworkId">The network the port belongs to.</param>
/// <param name="Device">Backend: <c>tap:NAME[@NETNS]</c>, <c>afpacket:IFNAME</c> or <c>memory</c>; empty for a port
/// created through the API without a <c>binding:profile</c> device (it is not attached).</param>
/// <param name="Mac">The VM's MAC: a static MAC-table entry, and the address a TAP port's interface gets.</param>
/// <param name="AdminStateUp">False: frames from and to the port are dropped as <c>port_down</c>.</param>
public sealed record PortSpec(Guid Id, string Name, Guid NetworkId, string Device, MacAddress? Mac, bool AdminStateUp = true)
{
    /// <summary>The owning project (<see cref="ProjectId.None"/> for configuration-file ports).</summary>
    public ProjectId ProjectId { get; init; }

    public string Description { get; init; } = "";

    /// <summary>
    /// The port's own addresses (Neutron's <c>fixed_ips</c>, given as plain addresses: no subnets here), as host
    /// prefixes (/32, /128) that keep their family: an IPv4-mapped IPv6 address such as <c>::ffff:198.18.0.5</c> stays
    /// IPv6, as in Neutron, and never lets the port send IPv4.
    /// </summary>
    public EquatableArray<IpPrefix> FixedIps { get; init; } = EquatableArray<IpPrefix>.Empty;

    /// <summary>Further addresses the port may use (Neutron's <c>allowed_address_pairs</c>).</summary>
    public EquatableArray<AllowedAddressPair> AllowedAddressPairs { get; init; } = EquatableArray<AllowedAddressPair>.Empty;

    /// <summary>The port's groups (a set; kept in the order first given).</summary>
    public EquatableArray<Guid> SecurityGroupIds { get; init; } = EquatableArray<Guid>.Empty;

    /// <summary>Neutron's <c>port_security_enabled</c>: false switches off anti-spoofing and groups (then it has none).</summary>
    public bool PortSecurityEnabled { get; init; } = true;

    /// <summary>
    /// Switch-specific (in <c>binding:profile</c> as <c>conntrack_limit</c>): the most tracked connections the port
    /// may have, counted on both ends of each connection, as OVN's <c>ct-zone-limit</c>; 0 is no limit, null the
    /// switch's default (the configuration's <c>conntrack_port_limit</c>).
    /// </summary>
    public int? ConntrackLimit { get; init; }

    /// <summary>
    /// Neutron's <c>device_owner</c>: empty for a VM's port, <see cref="RouterOperations.InterfaceOwner"/> for a router's
    /// interface (created and deleted through the router, never attached to a device).
    /// </summary>
    public string DeviceOwner { get; init; } = "";

    /// <summary>Neutron's <c>device_id</c>: the owning router's id for a router interface, else empty.</summary>
    public string DeviceId { get; init; } = "";

    /// <summary>True for a router's interface port.</summary>
    public bool IsRouterInterface => DeviceOwner == RouterOperations.InterfaceOwner;

    /// <summary>True for a router's interface or gateway port.</summary>
    public bool IsRouterPort => IsRouterInterface || DeviceOwner == RouterOperations.GatewayOwner;

    /// <summary>
    /// True for a port the switch owns and answers on itself (a router's interface or gateway, a floating IP's address):
    /// never attached to a device, not deletable through the ports API.
    /// </summary>
    public bool IsServicePort => DeviceOwner.StartsWith("network:", StringComparison.Ordinal);

    /// <summary>Neutron's <c>revision_number</c>: bumped by every update.</summary>
    public long RevisionNumber { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Neutron's <c>tags</c> (<see cref="TagOperations"/>): sorted, no duplicates.</summary>
    public EquatableArray<string> Tags { get; init; } = EquatableArray<string>.Empty;
}
