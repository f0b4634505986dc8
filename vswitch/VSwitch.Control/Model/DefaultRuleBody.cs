namespace VSwitch.Control.Model;

/// <summary>A <c>default-security-group-rules</c> create request; null members take Neutron's defaults.</summary>
public sealed record DefaultRuleBody(
    string? Direction = null,
    string? Ethertype = null,
    string? Protocol = null,
    int? PortRangeMin = null,
    int? PortRangeMax = null,
    string? RemoteIpPrefix = null,
    string? RemoteGroupId = null,
    string? Description = null,
    bool? UsedInDefaultSg = null,
    bool? UsedInNonDefaultSg = null);
