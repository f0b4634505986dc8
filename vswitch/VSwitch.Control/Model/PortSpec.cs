using VSwitch.Packets;

namespace VSwitch.Control.Model;

/// <summary>A switch port as the operator wants it.</summary>
/// <param name="Id">Neutron-style UUID.</param>
/// <param name="Name">Unique, human name.</param>
/// <param name="NetworkId">The network the port belongs to.</param>
/// <param name="Device">Backend: <c>tap:NAME[@NETNS]</c>, <c>afpacket:IFNAME</c> or <c>memory</c>.</param>
/// <param name="Mac">The VM's MAC: a static MAC-table entry, and the address a TAP port's interface gets.</param>
/// <param name="AdminStateUp">False: frames from and to the port are dropped as <c>port_down</c>.</param>
public sealed record PortSpec(Guid Id, string Name, Guid NetworkId, string Device, MacAddress? Mac, bool AdminStateUp = true);
