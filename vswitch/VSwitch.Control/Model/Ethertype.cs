namespace VSwitch.Control.Model;

/// <summary>
/// A security-group rule's address family, Neutron's <c>ethertype</c> (<c>IPv4</c> or <c>IPv6</c>). Not to be confused
/// with <c>VSwitch.Packets.EtherType</c>, the Ethernet type field of a frame.
/// </summary>
public enum Ethertype
{
    IPv4,
    IPv6,
}

/// <summary>Neutron's spelling of <see cref="Ethertype"/>.</summary>
public static class Ethertypes
{
    /// <summary><c>IPv4</c> or <c>IPv6</c>, as Neutron returns it.</summary>
    public static string ToNeutron(this Ethertype ethertype) => ethertype == Ethertype.IPv4 ? "IPv4" : "IPv6";

    /// <summary>
    /// Neutron's <c>convert_ethertype_to_case_insensitive</c>: <c>ipv4</c>, <c>IPV6</c>... are accepted.
    /// </summary>
    public static bool TryParse(string? text, out Ethertype ethertype)
    {
        ethertype = Ethertype.IPv4;
        if (string.Equals(text, "IPv4", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (string.Equals(text, "IPv6", StringComparison.OrdinalIgnoreCase))
        {
            ethertype = Ethertype.IPv6;
            return true;
        }
        return false;
    }
}
