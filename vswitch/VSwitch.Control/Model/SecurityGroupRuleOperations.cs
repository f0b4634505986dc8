using System.Globalization;

namespace VSwitch.Control.Model;

/// <summary>
/// Create (one or in bulk) and delete security-group rules, normalised and validated as Neutron does. Rules cannot be
/// updated.
/// </summary>
/// <remarks>
/// <para><b>Order of checks</b>, as Neutron's API layer and then <c>_validate_security_group_rule</c> run them, so that a
/// request with several faults gets Neutron's answer:</para>
/// <list type="number">
/// <item>Attributes: <c>security_group_id</c> and <c>direction</c> are required; direction is <c>ingress</c> or
/// <c>egress</c>; ethertype <c>IPv4</c>/<c>IPv6</c> in any case (default IPv4); protocol a known name or 0-255
/// (<see cref="ProtocolNames"/>; <c>any</c>/<c>0</c>/null mean any); each port value 0-65535
/// (<c>SecurityGroupInvalidPortValue</c>); <c>remote_ip_prefix</c> a CIDR or plain address (<c>InvalidCIDR</c>); all 400.</item>
/// <item>In an IPv6 rule <c>icmp</c>/<c>icmpv6</c> become <c>ipv6-icmp</c> and <c>1</c> becomes <c>58</c>.</item>
/// <item>Port range: any range needs a protocol (<c>SecurityGroupProtocolRequiredWithPorts</c>). For dccp/sctp/tcp/udp/udplite
/// a port of 0 is <c>SecurityGroupInvalidPortValue</c>, and min and max must both be given with min &lt;= max
/// (<c>SecurityGroupInvalidPortRange</c>; so max without min is refused, and a single port is min = max); the full range
/// 1-65535 is then stored as no range. For ICMP/ICMPv6 min is the type and max the code, each 0-255
/// (<c>SecurityGroupInvalidIcmpValue</c>), and a code needs a type (<c>SecurityGroupMissingIcmpType</c>). Any other
/// protocol takes no range (<c>SecurityGroupInvalidProtocolForPort</c>). All 400.</item>
/// <item>The prefix's family must be the ethertype's (<c>SecurityGroupRuleParameterConflict</c>, 400). IPv6-only protocols
/// (ipv6-icmp, ipv6-frag, ... and their numbers) are refused in IPv4 rules (<c>SecurityGroupEthertypeConflictWithProtocol</c>, 400).</item>
/// <item>Not both <c>remote_ip_prefix</c> and <c>remote_group_id</c> (<c>SecurityGroupMultipleRemoteEntites</c>, 400);
/// the remote group must exist (<c>SecurityGroupNotFound</c>, 404).</item>
/// <item>Only then the group: it must exist and be visible (<c>SecurityGroupNotFound</c>, 404). Neutron validates the
/// whole rule before it looks its group up, so a bad rule for an unknown group is the rule's 400.</item>
/// <item>Duplicates: a rule equal to another in the same request is <c>DuplicateSecurityGroupRuleInPost</c>, equal to an
/// existing rule <c>SecurityGroupRuleExists</c> naming that rule's id (both 409). Equality is Neutron's <c>_rule_to_key</c>:
/// group, direction, ethertype, protocol by number (<c>tcp</c> = <c>6</c>), port range, remote group, and remote prefix
/// where no prefix, <c>0.0.0.0/0</c> and <c>::/0</c> are the same; we compare prefixes by <c>normalized_cidr</c>, so
/// <c>10.0.0.1/24</c> and <c>10.0.0.0/24</c> are the same rule.</item>
/// </list>
/// <para><b>Stored form.</b> <c>remote_ip_prefix</c> keeps the host bits given (a plain address gains /32 or /128) and
/// <see cref="SecurityGroupRule.NormalizedCidr"/> is the network. A rule's project is the request's, else its group's.</para>
/// <para><b>Bulk</b> create is all or nothing: every rule is validated against the model and against the others before
/// any is added, and one refusal refuses the request. As Neutron's native bulk create, all rules must name the same group
/// (<c>SecurityGroupNotSingleGroupRules</c>) and the projects given must agree (<c>SecurityGroupRulesNotSingleTenant</c>).</para>
/// <para><b>Thread-safety.</b> Pure functions of immutable inputs (see <see cref="SwitchModel"/> on applying results).</para>
/// </remarks>
public static class SecurityGroupRuleOperations
{
    private const int PortMax = 65535;
    private const int IcmpMax = 255;

    public static ModelChange<SecurityGroupRule> Create(SwitchModel model, SecurityGroupRuleBody request, OperationContext context)
    {
        var change = CreateBulk(model, [request], context);
        return new ModelChange<SecurityGroupRule>(change.Model, change.Value[0]);
    }

    public static ModelChange<EquatableArray<SecurityGroupRule>> CreateBulk(
        SwitchModel model, IReadOnlyList<SecurityGroupRuleBody> requests, OperationContext context)
    {
        if (requests.Count == 0)
        {
            return new ModelChange<EquatableArray<SecurityGroupRule>>(model, EquatableArray<SecurityGroupRule>.Empty);
        }
        if (requests.Select(r => r.SecurityGroupId).Distinct().Count() > 1)
        {
            throw NeutronErrors.SecurityGroupNotSingleGroupRules();
        }
        if (requests.Select(r => r.ProjectId).OfType<string>().Distinct(StringComparer.Ordinal).Count() > 1)
        {
            throw NeutronErrors.SecurityGroupRulesNotSingleTenant();
        }
        var now = context.Now();
        var rules = new List<SecurityGroupRule>(requests.Count);
        var keys = new HashSet<RuleKey>();
        foreach (var request in requests)
        {
            var rule = Normalize(model, request, context);
            if (!keys.Add(RuleKey.Of(rule)))
            {
                throw NeutronErrors.DuplicateSecurityGroupRuleInPost();
            }
            rules.Add(rule);
        }
        var group = model.SecurityGroups[rules[0].SecurityGroupId];
        foreach (var existing in group.Rules)
        {
            if (keys.Contains(RuleKey.Of(existing)))
            {
                throw NeutronErrors.SecurityGroupRuleExists(existing.Id);
            }
        }
        var created = rules.Select(r => r with { Id = context.NewId(), CreatedAt = now, UpdatedAt = now }).ToEquatableArray();
        var updated = group with
        {
            Rules = group.Rules.Items.AddRange(created.Items),
            RevisionNumber = group.RevisionNumber + 1,
            UpdatedAt = now,
        };
        return new ModelChange<EquatableArray<SecurityGroupRule>>(
            QuotaOperations.Enforce(model, SecurityGroupOperations.WithGroup(model, updated), context), created);
    }

    public static SwitchModel Delete(SwitchModel model, Guid ruleId, OperationContext context)
    {
        var rule = Get(model, ruleId, context);
        var group = SecurityGroupOperations.GetOwned(model, rule.SecurityGroupId, context);
        var updated = group with
        {
            Rules = group.Rules.Where(r => r.Id != ruleId).ToEquatableArray(),
            RevisionNumber = group.RevisionNumber + 1,
            UpdatedAt = context.Now(),
        };
        return SecurityGroupOperations.WithGroup(model, updated);
    }

    /// <summary>The rule, or <c>SecurityGroupRuleNotFound</c> (404) if it is missing or not visible to the caller.</summary>
    public static SecurityGroupRule Get(SwitchModel model, Guid ruleId, OperationContext context) =>
        model.FindRule(ruleId) is { } rule && (context.CanSee(rule.ProjectId) || Shared(model, rule, context)) ? rule : throw NeutronErrors.SecurityGroupRuleNotFound(ruleId);

    /// <summary>The rules the caller can see, group by group.</summary>
    public static IEnumerable<SecurityGroupRule> List(SwitchModel model, OperationContext context) =>
        model.SecurityGroups.Values.SelectMany(g => g.Rules).Where(r => context.CanSee(r.ProjectId) || Shared(model, r, context));

    /// <summary>The rule's group is shared with the caller (its rules are then visible, read-only).</summary>
    private static bool Shared(SwitchModel model, SecurityGroupRule rule, OperationContext context) =>
        RbacOperations.IsSharedWith(model, rule.SecurityGroupId, context.ProjectId);

    /// <summary>True if the two rules are the same rule in Neutron's sense (see the remarks on duplicates).</summary>
    public static bool AreDuplicates(SecurityGroupRule a, SecurityGroupRule b) => RuleKey.Of(a) == RuleKey.Of(b);

    /// <summary>Validates and normalises one request into a rule (with an empty id); throws Neutron's refusal.</summary>
    internal static SecurityGroupRule Normalize(SwitchModel model, SecurityGroupRuleBody request, OperationContext context)
    {
        // 1. Attributes, as Neutron's API layer converts and validates them.
        var groupId = request.SecurityGroupId ?? throw NeutronErrors.MissingAttribute("security_group_id");
        if (request.Direction is null)
        {
            throw NeutronErrors.MissingAttribute("direction");
        }
        if (!RuleDirections.TryParse(request.Direction, out var direction))
        {
            throw NeutronErrors.InvalidAttribute("direction", $"'{request.Direction}' is not in ['ingress', 'egress']");
        }
        var ethertype = Ethertype.IPv4;
        if (request.Ethertype is not null && !Ethertypes.TryParse(request.Ethertype, out ethertype))
        {
            throw NeutronErrors.SecurityGroupRuleInvalidEtherType(request.Ethertype);
        }
        if (!ProtocolNames.TryNormalize(request.Protocol, out var protocol))
        {
            throw NeutronErrors.SecurityGroupRuleInvalidProtocol(request.Protocol ?? "");
        }
        foreach (var port in new[] { request.PortRangeMin, request.PortRangeMax })
        {
            if (port is < 0 or > PortMax)
            {
                throw NeutronErrors.SecurityGroupInvalidPortValue(port.Value.ToString(CultureInfo.InvariantCulture));
            }
        }
        IpPrefix? prefix = null;
        if (!string.IsNullOrEmpty(request.RemoteIpPrefix))
        {
            prefix = IpPrefix.TryParse(request.RemoteIpPrefix, out var parsed) ? parsed : throw NeutronErrors.InvalidCidr(request.RemoteIpPrefix);
        }
        var description = NeutronAttributes.Description(request.Description);

        // 2. IPv6 ICMP spelling.
        if (ethertype == Ethertype.IPv6)
        {
            protocol = ProtocolNames.CanonicalForIpv6(protocol);
        }

        // 3. Port range (or ICMP type and code).
        var (min, max) = ValidatePortRange(protocol, request.PortRangeMin, request.PortRangeMax);

        // 4. Families.
        if (prefix is { } p && p.Family != ethertype)
        {
            throw NeutronErrors.SecurityGroupRuleParameterConflict(ethertype, p.ToString());
        }
        if (ethertype == Ethertype.IPv4 && ProtocolNames.IsIpv6Only(protocol))
        {
            throw NeutronErrors.SecurityGroupEthertypeConflictWithProtocol(ethertype, protocol!);
        }

        // 5. Remote side.
        if ((prefix is not null ? 1 : 0) + (request.RemoteGroupId is not null ? 1 : 0) + (request.RemoteAddressGroupId is not null ? 1 : 0) > 1)
        {
            throw NeutronErrors.SecurityGroupMultipleRemoteEntites();
        }
        if (request.RemoteGroupId is { } remote)
        {
            SecurityGroupOperations.Get(model, remote, context);
        }
        if (request.RemoteAddressGroupId is { } addressGroup)
        {
            AddressGroupOperations.Get(model, addressGroup, context);
        }

        // 6. The group, which the caller must own (a group shared with it is read-only).
        var group = SecurityGroupOperations.GetOwned(model, groupId, context);
        var project = request.ProjectId is null ? group.ProjectId : ProjectId.Parse(request.ProjectId);
        return new SecurityGroupRule(Guid.Empty, groupId, project, direction, ethertype, protocol, min, max, prefix, request.RemoteGroupId, description)
        {
            RemoteAddressGroupId = request.RemoteAddressGroupId,
        };
    }

    private static (int? Min, int? Max) ValidatePortRange(string? protocol, int? min, int? max)
    {
        if (min is null && max is null)
        {
            return (null, null);
        }
        var number = ProtocolNames.NumberOf(protocol);
        if (number is null)
        {
            throw NeutronErrors.SecurityGroupProtocolRequiredWithPorts();
        }
        if (ProtocolNames.HasPorts(number))
        {
            if (min == 0 || max == 0)
            {
                throw NeutronErrors.SecurityGroupInvalidPortValue("0");
            }
            if (min is null || max is null || min > max)
            {
                throw NeutronErrors.SecurityGroupInvalidPortRange();
            }
            return min == 1 && max == PortMax ? (null, null) : (min, max);
        }
        if (ProtocolNames.IsIcmp(number))
        {
            if (min is > IcmpMax)
            {
                throw NeutronErrors.SecurityGroupInvalidIcmpValue("type", "port_range_min", min.Value);
            }
            if (max is > IcmpMax)
            {
                throw NeutronErrors.SecurityGroupInvalidIcmpValue("code", "port_range_max", max.Value);
            }
            if (min is null)
            {
                throw NeutronErrors.SecurityGroupMissingIcmpType(max!.Value);
            }
            return (min, max);
        }
        throw NeutronErrors.SecurityGroupInvalidProtocolForPort(number.Value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Neutron's <c>_rule_to_key</c> (see the remarks on duplicates).</summary>
    private readonly record struct RuleKey(
        Guid SecurityGroupId,
        RuleDirection Direction,
        Ethertype Ethertype,
        int? Protocol,
        int? PortRangeMin,
        int? PortRangeMax,
        Guid? RemoteGroupId,
        IpPrefix? Remote,
        Guid? RemoteAddressGroupId)
    {
        public static RuleKey Of(SecurityGroupRule rule) => new(
            rule.SecurityGroupId,
            rule.Direction,
            rule.Ethertype,
            rule.ProtocolNumber,
            rule.PortRangeMin,
            rule.PortRangeMax,
            rule.RemoteGroupId,
            rule.NormalizedCidr is { IsAny: false } network ? network : null,
            rule.RemoteAddressGroupId);
    }
}
