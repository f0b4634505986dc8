namespace VSwitch.Control.Model;

/// <summary>
/// A security-group rule create as the API (or a preset in the configuration) gave it, before Neutron's normalisation
/// (<see cref="SecurityGroupRuleOperations"/>). Null means "not given".
/// </summary>
/// <param name="SecurityGroupId">Required (a preset's rules leave it null: the preset's own group is meant).</param>
/// <param name="Direction">Required: <c>ingress</c> or <c>egress</c>.</param>
/// <param name="Ethertype"><c>IPv4</c> (default) or <c>IPv6</c>, any case.</param>
/// <param name="Protocol">A name, a number 0-255, <c>any</c> or null (any).</param>
/// <param name="PortRangeMin">Lowest port, or ICMP type.</param>
/// <param name="PortRangeMax">Highest port, or ICMP code.</param>
/// <param name="RemoteIpPrefix">A CIDR or plain address of the rule's ethertype.</param>
/// <param name="RemoteGroupId">A group whose members are the remote side (not with a prefix).</param>
/// <param name="Description">Default <c>""</c>.</param>
/// <param name="ProjectId">Default: the group's project.</param>
/// <param name="RemoteAddressGroupId">An address group whose addresses are the remote side (not with a prefix or group).</param>
public sealed record SecurityGroupRuleBody(
    Guid? SecurityGroupId = null,
    string? Direction = null,
    string? Ethertype = null,
    string? Protocol = null,
    int? PortRangeMin = null,
    int? PortRangeMax = null,
    string? RemoteIpPrefix = null,
    Guid? RemoteGroupId = null,
    string? Description = null,
    string? ProjectId = null,
    Guid? RemoteAddressGroupId = null);
