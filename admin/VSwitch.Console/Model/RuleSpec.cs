using System.Globalization;
using System.Net;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>
/// A security-group rule typed on one line, as an operator says it: <c>ingress tcp 80</c>,
/// <c>ingress tcp 8000:8080 198.18.0.0/24</c>, <c>egress udp 53</c>, <c>ingress icmp 8</c>,
/// <c>ingress ipv6 tcp 22 group=admins</c>.
/// </summary>
/// <remarks>
/// Words in any order: a direction (<c>ingress</c>/<c>egress</c>, required), an ethertype (<c>ipv4</c>/<c>ipv6</c>;
/// default: the remote prefix's family, else IPv4), a protocol (<c>tcp</c>, <c>udp</c>, <c>sctp</c>, <c>icmp</c>,
/// <c>ipv6-icmp</c>, <c>any</c>, or <c>proto=N</c>), a port or range <c>N</c>/<c>N:M</c> (for ICMP: type[:code]),
/// a remote prefix (an address or CIDR) or <c>group=NAME</c>. <see cref="TryParse"/> catches what is clearly wrong
/// before anything is sent; the API checks the rest (its NeutronError message is shown as it is). Either way the
/// rule is one request, so a refused rule changes nothing.
/// </remarks>
public sealed record RuleSpec(string Direction, string Ethertype, string? Protocol, int? PortRangeMin, int? PortRangeMax,
    string? RemoteIpPrefix, string? RemoteGroupName)
{
    /// <summary>The words <see cref="TryParse"/> knows (the add-rule dialog's quick line).</summary>
    public const string Syntax = "ingress|egress [ipv4|ipv6] [tcp|udp|icmp|proto=N] [PORT[:PORT]] [CIDR | group=NAME]";

    private static readonly HashSet<string> s_portProtocols = ["tcp", "udp", "sctp"];
    private static readonly HashSet<string> s_icmpProtocols = ["icmp", "ipv6-icmp", "icmpv6"];

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what is wrong, in one line.</summary>
    public static bool TryParse(string text, out RuleSpec? rule, out string? error)
    {
        rule = null;
        error = null;
        string? direction = null, ethertype = null, protocol = null, remote = null, group = null;
        int? min = null, max = null;
        var explicitMax = false;
        foreach (var raw in text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var word = raw.ToLowerInvariant();
            switch (word)
            {
                case "ingress" or "in":
                    if (!Once(ref direction, "ingress", "direction", out error)) { return false; }
                    break;
                case "egress" or "out":
                    if (!Once(ref direction, "egress", "direction", out error)) { return false; }
                    break;
                case "ipv4":
                    if (!Once(ref ethertype, "IPv4", "ethertype", out error)) { return false; }
                    break;
                case "ipv6":
                    if (!Once(ref ethertype, "IPv6", "ethertype", out error)) { return false; }
                    break;
                case "tcp" or "udp" or "sctp" or "icmp" or "ipv6-icmp" or "icmpv6" or "any":
                    if (!Once(ref protocol, word == "icmpv6" ? "ipv6-icmp" : word, "protocol", out error)) { return false; }
                    break;
                default:
                    if (word.StartsWith("proto=", StringComparison.Ordinal))
                    {
                        if (!byte.TryParse(word[6..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                        {
                            error = $"'{raw}': a protocol number is 0 to 255";
                            return false;
                        }
                        if (!Once(ref protocol, number.ToString(CultureInfo.InvariantCulture), "protocol", out error)) { return false; }
                    }
                    else if (word.StartsWith("group=", StringComparison.Ordinal) && raw.Length > 6)
                    {
                        if (!Once(ref group, raw[6..], "remote group", out error)) { return false; }
                    }
                    else if (char.IsAsciiDigit(word[0]) && !word.Contains('.') && !word.Contains('/') && word.Count(c => c == ':') <= 1)
                    {
                        if (min is not null)
                        {
                            error = $"'{raw}': the port range was already given";
                            return false;
                        }
                        if (!Range(word, out min, out max, out explicitMax, out error))
                        {
                            return false;
                        }
                    }
                    else if (Prefix(raw) is { } prefix)
                    {
                        if (!Once(ref remote, prefix, "remote prefix", out error)) { return false; }
                    }
                    else
                    {
                        error = $"'{raw}' is not understood; a rule is: {Syntax}";
                        return false;
                    }
                    break;
            }
        }
        if (direction is null)
        {
            error = "say ingress or egress";
            return false;
        }
        if (remote is not null && group is not null)
        {
            error = "a rule has a remote prefix or a remote group, not both";
            return false;
        }
        var family = remote is null ? null : remote.Contains(':') ? "IPv6" : "IPv4";
        if (ethertype is not null && family is not null && ethertype != family)
        {
            error = $"remote prefix {remote} is not {ethertype}";
            return false;
        }
        ethertype ??= family ?? "IPv4";
        if (min is not null)
        {
            if (protocol is null || !(s_portProtocols.Contains(protocol) || s_icmpProtocols.Contains(protocol)))
            {
                error = "a port range needs tcp, udp or sctp (or a type for icmp)";
                return false;
            }
            if (s_portProtocols.Contains(protocol) && (min < 1 || max > 65535))
            {
                error = "ports are 1 to 65535";
                return false;
            }
            if (s_icmpProtocols.Contains(protocol) && (min > 255 || max > 255))
            {
                error = "an ICMP type and code are 0 to 255";
                return false;
            }
            if (s_portProtocols.Contains(protocol) && min > max)
            {
                error = $"port range {min}:{max} is backwards";
                return false;
            }
        }
        // For ICMP a lone number is the type (any code); for ports it is a one-port range.
        var icmpTypeOnly = s_icmpProtocols.Contains(protocol ?? "") && !explicitMax;
        rule = new RuleSpec(direction, ethertype, protocol == "any" ? null : protocol, min, icmpTypeOnly ? null : max, remote, group);
        return true;
    }

    /// <summary>The add-rule dialog's fields for this rule (the dialog's quick line fills them).</summary>
    public RuleForm ToForm()
    {
        var icmp = Protocol is { } p && s_icmpProtocols.Contains(p);
        var ports = PortRangeMin is not { } min ? ""
            : PortRangeMax is not { } max ? $"{min}"
            : icmp || max != min ? $"{min}:{max}" : $"{min}";
        var (kind, remote) = RemoteIpPrefix is { } prefix ? (RemoteKind.Prefix, prefix)
            : RemoteGroupName is { } group ? (RemoteKind.Group, group)
            : (RemoteKind.Any, "");
        return new RuleForm(Direction, Ethertype, Protocol ?? "any", ports, kind, remote);
    }

    /// <summary>A rule in the same words (for the rules table): <c>ingress IPv4 tcp 80 from 198.18.0.0/24</c>.</summary>
    public static string Describe(SecurityGroupRule rule, Func<string, string> groupName)
    {
        var words = new List<string> { rule.Direction, rule.Ethertype, rule.Protocol ?? "any" };
        if (rule.PortRangeMin is { } min)
        {
            var icmp = rule.Protocol is { } p && s_icmpProtocols.Contains(p);
            words.Add(icmp
                ? (rule.PortRangeMax is { } code ? $"type {min} code {code}" : $"type {min}")
                : rule.PortRangeMax is { } max && max != min ? $"{min}:{max}" : $"{min}");
        }
        var toFrom = rule.Direction == "egress" ? "to" : "from";
        if (rule.RemoteIpPrefix is { } prefix)
        {
            words.Add($"{toFrom} {prefix}");
        }
        else if (rule.RemoteGroupId is { } g)
        {
            words.Add($"{toFrom} group {groupName(g)}");
        }
        else if (rule.RemoteAddressGroupId is { } a)
        {
            words.Add($"{toFrom} address group {a}");
        }
        return string.Join(' ', words);
    }

    private static bool Once(ref string? slot, string value, string what, out string? error)
    {
        if (slot is not null)
        {
            error = $"the {what} is given twice ({slot}, {value})";
            return false;
        }
        slot = value;
        error = null;
        return true;
    }

    private static bool Range(string word, out int? min, out int? max, out bool explicitMax, out string? error)
    {
        min = max = null;
        explicitMax = word.Contains(':');
        error = null;
        var parts = word.Split(':');
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var lo)
            || (parts.Length == 2 && !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            error = $"'{word}' is not a port or a range N:M";
            return false;
        }
        min = lo;
        max = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : lo;
        return true;
    }

    /// <summary>An address or CIDR in its canonical text (a bare address becomes /32 or /128); null when it is neither.</summary>
    private static string? Prefix(string word)
    {
        if (IPNetwork.TryParse(word, out var network))
        {
            return network.ToString();
        }
        if (IPAddress.TryParse(word, out var address) && (word.Contains('.') || word.Contains(':')))
        {
            return $"{address}/{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32)}";
        }
        return null;
    }
}
