using System.Globalization;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Console.Model;

/// <summary>The fields of the add-rule dialog, each where an error can be shown.</summary>
public enum RuleField
{
    /// <summary>Not one field: the error is shown at the dialog's foot (the rule exists, the daemon is gone, ...).</summary>
    Rule,

    /// <summary>The quick line (a rule in words) that fills the fields.</summary>
    Quick,
    Ethertype,
    Protocol,
    Ports,
    Remote,
}

/// <summary>What the rule's remote side names.</summary>
public enum RemoteKind
{
    Any,
    Prefix,
    Group,
    AddressGroup,
}

/// <summary>
/// The add-rule dialog's fields as typed, turned into one rule create for the API, and the API's refusal put back at
/// the field it is about.
/// </summary>
/// <remarks>
/// <para><b>Who checks what.</b> The form only checks what it must to build a request: the ports are numbers
/// (<c>80</c>, <c>8000:8080</c>, or ICMP <c>type[:code]</c>), and a named group or address group exists. Everything
/// else (a port out of 1 to 65535, a protocol that takes no ports, an ethertype that conflicts with the prefix, an
/// unknown protocol, a rule that already exists) is the API's to refuse, in Neutron's words, so the console and the
/// API can never disagree about what is valid. A refusal creates nothing: a rule is one request.</para>
/// <para><b>Which field.</b> <see cref="FieldOf"/> maps Neutron's error type to the field it is about
/// (<c>SecurityGroupInvalidPortValue</c> → ports, <c>InvalidCIDR</c> → remote, ...); anything else is shown under the
/// whole form.</para>
/// </remarks>
public sealed record RuleForm(
    string Direction,
    string Ethertype,
    string Protocol,
    string Ports,
    RemoteKind RemoteKind,
    string Remote)
{
    /// <summary>
    /// The create request for <paramref name="groupId"/>, or the field that is wrong and why. Names of groups come from
    /// <paramref name="groups"/>, of address groups from <paramref name="addressGroups"/> (each matched by name or id).
    /// </summary>
    public (SecurityGroupRuleRequest? Request, RuleField Field, string? Error) Build(string groupId,
        IReadOnlyList<SecurityGroup> groups, IReadOnlyList<AddressGroup> addressGroups)
    {
        var protocol = Protocol.Trim().ToLowerInvariant();
        var request = new SecurityGroupRuleRequest
        {
            SecurityGroupId = groupId,
            Direction = Direction,
            Ethertype = Ethertype,
            Protocol = protocol is "" or "any" ? null : protocol == "icmpv6" ? "ipv6-icmp" : protocol,
        };
        var ports = Ports.Trim();
        if (ports.Length > 0)
        {
            var parts = ports.Split(':', '-');
            if (parts.Length > 2 || !parts.All(p => int.TryParse(p.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
            {
                return (null, RuleField.Ports, $"'{ports}' is not a port, a range N:M, or an ICMP type[:code]");
            }
            var numbers = parts.Select(p => int.Parse(p.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray();
            var icmp = request.Protocol is "icmp" or "ipv6-icmp";
            request.PortRangeMin = numbers[0];
            request.PortRangeMax = numbers.Length == 2 ? numbers[1] : icmp ? null : numbers[0];
        }
        var remote = Remote.Trim();
        switch (RemoteKind)
        {
            case RemoteKind.Any when remote.Length > 0:
                return (null, RuleField.Remote, $"'{remote}' is typed but the remote is any: choose prefix, group or address group, or clear it");
            case RemoteKind.Prefix:
                if (remote.Length == 0)
                {
                    return (null, RuleField.Remote, "type an address or a CIDR (or choose any)");
                }
                request.RemoteIpPrefix = remote;
                break;
            case RemoteKind.Group:
                var (remoteGroupId, groupError) = Named(groups.Select(g => (g.Id, g.Name)), remote, "security group");
                if (groupError is not null)
                {
                    return (null, RuleField.Remote, groupError);
                }
                request.RemoteGroupId = remoteGroupId;
                break;
            case RemoteKind.AddressGroup:
                var (addressGroupId, addressError) = Named(addressGroups.Select(g => (g.Id, g.Name)), remote, "address group");
                if (addressError is not null)
                {
                    return (null, RuleField.Remote, addressError);
                }
                request.RemoteAddressGroupId = addressGroupId;
                break;
        }
        return (request, RuleField.Rule, null);
    }

    /// <summary>The id of the one item named (or with the id) <paramref name="remote"/>, or why there is not exactly one.</summary>
    private static (string? Id, string? Error) Named(IEnumerable<(string Id, string Name)> items, string remote, string what)
    {
        var matches = items.Where(i => i.Name == remote || i.Id == remote).Select(i => i.Id).Take(2).ToArray();
        return matches.Length == 1 ? (matches[0], null)
            : (null, $"{(matches.Length == 0 ? "no" : "more than one")} {what} named '{remote}'");
    }

    /// <summary>The field a refusal of the API is about (Neutron's error type says it).</summary>
    public static RuleField FieldOf(VSwitchClientException error) => error is not VSwitchApiException api ? RuleField.Rule : api.Type switch
    {
        "SecurityGroupInvalidPortValue" or "SecurityGroupInvalidPortRange" or "SecurityGroupInvalidIcmpValue"
            or "SecurityGroupMissingIcmpType" or "SecurityGroupInvalidProtocolForPort" => RuleField.Ports,
        "SecurityGroupRuleInvalidProtocol" or "SecurityGroupProtocolRequiredWithPorts" => RuleField.Protocol,
        "SecurityGroupRuleInvalidEtherType" or "SecurityGroupEthertypeConflictWithProtocol" => RuleField.Ethertype,
        "InvalidCIDR" or "SecurityGroupRuleParameterConflict" or "SecurityGroupMultipleRemoteEntites"
            or "SecurityGroupNotFound" or "AddressGroupNotFound" => RuleField.Remote,
        _ => RuleField.Rule,
    };
}
