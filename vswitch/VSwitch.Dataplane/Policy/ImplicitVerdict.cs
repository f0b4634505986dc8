namespace VSwitch.Dataplane.Policy;

/// <summary>The outcome of port security and the implicit rules, before any security-group rule is consulted.</summary>
public enum ImplicitVerdict : byte
{
    /// <summary>An IP packet that the security-group rules decide.</summary>
    UseRules,

    /// <summary>Allowed by an implicit rule (ARP, DHCP client/server, IPv6 ND, MLD), no security-group rule needed.</summary>
    Allow,

    /// <summary>A forged source MAC or IP, a DHCP server reply or router advertisement sent by a VM.</summary>
    DropSpoofing,

    /// <summary>A frame no rule can allow (not IP and not ARP).</summary>
    DropNotAllowed,
}
