namespace VSwitch.Control.Model;

/// <summary>A network (an L2 segment) as the operator wants it.</summary>
/// <param name="Id">Neutron-style UUID.</param>
/// <param name="Name">Unique, human name.</param>
/// <param name="AdminStateUp">False: the network forwards nothing.</param>
public sealed record NetworkSpec(Guid Id, string Name, bool AdminStateUp = true);
