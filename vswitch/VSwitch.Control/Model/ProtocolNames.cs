using System.Collections.Frozen;
using System.Globalization;

namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's security-group protocol vocabulary: the accepted names and numbers, how a request's value is stored, and
/// which protocols carry ports or ICMP type and code.
/// </summary>
/// <remarks>
/// <para><b>Source.</b> The names and numbers are neutron-lib's <c>constants.IP_PROTOCOL_MAP</c> (ah 51, dccp 33, egp
/// 8, esp 50, gre 47, hopopt 0, icmp 1, igmp 2, ip 0, ipip 4, ipv6-encap 41, ipv6-frag 44, ipv6-icmp 58, the legacy
/// alias icmpv6 58, ipv6-nonxt 59, ipv6-opts 60, ipv6-route 43, ospf 89, pgm 113, rsvp 46, sctp 132, tcp 6, udp 17,
/// udplite 136, vrrp 112). Neutron's <c>convert_protocol</c> lowercases a known name, keeps a number 0-255 as a
/// string, and rejects anything else with <c>SecurityGroupRuleInvalidProtocol</c> (400). Protocols with port ranges
/// are neutron's <c>SG_PORT_PROTO_NAMES</c> (dccp, sctp, tcp, udp, udplite); for ICMP and ICMPv6 the range fields are
/// type and code.</para>
/// <para><b>Where we differ, on purpose.</b> ARCHITECTURE.md §2 makes <c>any</c>, <c>0</c> and a missing protocol
/// mean the same thing, so every spelling of protocol 0 (<c>any</c>, <c>0</c>, <c>""</c>, <c>ip</c>,
/// <c>hopopt</c>) is stored as null (any). Neutron stores <c>0</c>/<c>ip</c> as given and, before its bug 2074056 was
/// addressed, rejected <c>any</c>; its firewall drivers treat protocol 0 as every protocol, which is what we store. A
/// number is stored in canonical decimal (<c>006</c> becomes <c>6</c>); names stay names (<c>6</c> and <c>tcp</c> are
/// both accepted and kept as given, and compare equal through <see cref="NumberOf"/>).</para>
/// </remarks>
public static class ProtocolNames
{
    /// <summary>neutron-lib's IP_PROTOCOL_MAP.</summary>
    private static readonly FrozenDictionary<string, int> s_numbers = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["ah"] = 51,
        ["dccp"] = 33,
        ["egp"] = 8,
        ["esp"] = 50,
        ["gre"] = 47,
        ["hopopt"] = 0,
        ["icmp"] = 1,
        ["igmp"] = 2,
        ["ip"] = 0,
        ["ipip"] = 4,
        ["ipv6-encap"] = 41,
        ["ipv6-frag"] = 44,
        ["ipv6-icmp"] = 58,
        ["icmpv6"] = 58,
        ["ipv6-nonxt"] = 59,
        ["ipv6-opts"] = 60,
        ["ipv6-route"] = 43,
        ["ospf"] = 89,
        ["pgm"] = 113,
        ["rsvp"] = 46,
        ["sctp"] = 132,
        ["tcp"] = 6,
        ["udp"] = 17,
        ["udplite"] = 136,
        ["vrrp"] = 112,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public const string Any = "any";
    public const string Tcp = "tcp";
    public const string Udp = "udp";
    public const string Icmp = "icmp";
    public const string Ipv6Icmp = "ipv6-icmp";

    /// <summary>The legacy IPv6 ICMP name (neutron's <c>PROTO_NAME_IPV6_ICMP_LEGACY</c>).</summary>
    public const string Icmpv6Legacy = "icmpv6";

    /// <summary>Every accepted name, for error messages (Neutron lists them in <c>SecurityGroupRuleInvalidProtocol</c>).</summary>
    public static IEnumerable<string> Names => s_numbers.Keys.Order(StringComparer.Ordinal);

    /// <summary>
    /// A request's <c>protocol</c> in stored form: null for any, a lowercase name, or a number 0-255 in decimal.
    /// </summary>
    /// <returns>False if the value is neither a known name nor a number 0-255.</returns>
    public static bool TryNormalize(string? value, out string? stored)
    {
        stored = null;
        if (string.IsNullOrEmpty(value) || string.Equals(value, Any, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        if (value.All(char.IsAsciiDigit))
        {
            if (value.Length > 3 || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > 255)
            {
                return false;
            }
            stored = number == 0 ? null : number.ToString(CultureInfo.InvariantCulture);
            return true;
        }
        var name = value.ToLowerInvariant();
        if (!s_numbers.TryGetValue(name, out var byName))
        {
            return false;
        }
        stored = byName == 0 ? null : name;
        return true;
    }

    /// <summary>The IP protocol number of a stored protocol, or null for any.</summary>
    public static int? NumberOf(string? stored)
    {
        if (stored is null)
        {
            return null;
        }
        if (s_numbers.TryGetValue(stored, out var number))
        {
            return number == 0 ? null : number;
        }
        return int.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out number) && number != 0 ? number : null;
    }

    /// <summary>Neutron's <c>SG_PORT_PROTO_NUMS</c>: dccp, sctp, tcp, udp, udplite take port ranges.</summary>
    public static bool HasPorts(int? number) => number is 6 or 17 or 132 or 33 or 136;

    /// <summary>ICMP (1) and ICMPv6 (58): the range fields are type and code.</summary>
    public static bool IsIcmp(int? number) => number is 1 or 58;

    /// <summary>
    /// Protocols that only exist for IPv6; Neutron's <c>_validate_ethertype_and_protocol</c> refuses them in an IPv4 rule
    /// (the legacy name <c>icmpv6</c> included).
    /// </summary>
    public static bool IsIpv6Only(string? stored) => NumberOf(stored) is 41 or 43 or 44 or 58 or 59 or 60;

    /// <summary>
    /// Neutron's <c>_make_canonical_ipv6_icmp_protocol</c>: in an IPv6 rule <c>icmp</c> and <c>icmpv6</c> become
    /// <c>ipv6-icmp</c>, and <c>1</c> becomes <c>58</c>.
    /// </summary>
    public static string? CanonicalForIpv6(string? stored) => stored switch
    {
        Icmp or Icmpv6Legacy => Ipv6Icmp,
        "1" => "58",
        _ => stored,
    };
}
