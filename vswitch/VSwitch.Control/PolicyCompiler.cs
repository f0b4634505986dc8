using VSwitch.Control.Model;
using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Control;

/// <summary>
/// Compiles each port's security groups and addresses into the <see cref="PortPolicy"/> the data path enforces, and
/// keeps the rule → hit-counter slot map.
/// </summary>
/// <remarks>
/// What: for every port with port security, the union of its groups' rules per direction becomes
/// <see cref="ClassifierRule"/>s (a <c>remote_group_id</c> rule expands to one entry per member address, a
/// <c>remote_address_group_id</c> rule to one per address of its ethertype, a port range to aligned prefixes inside the
/// classifier), compiled by <see cref="ClassifierCompiler"/>.
/// Why incremental: a port's policy is rebuilt only when its inputs (addresses, rules, resolved member addresses)
/// changed, so a membership change recompiles the ports whose rules name that group and nothing else; unchanged ports
/// keep the same <see cref="PortPolicy"/> object.
/// Thread-safety: used under the reconciler's lock only.
/// </remarks>
public sealed class PolicyCompiler(int maxRules)
{
    private readonly Dictionary<Guid, (PolicyInputs Inputs, PortPolicy Policy)> _cache = [];
    private readonly Dictionary<Guid, int> _ruleSlots = [];
    private readonly Dictionary<int, Guid> _slotRules = [];
    private readonly SortedSet<int> _freeRuleSlots = new(Enumerable.Range(0, maxRules));

    private sealed record PolicyInputs(
        EquatableArray<PortAddresses.Entry> Addresses,
        bool Stateful,
        EquatableArray<ClassifierRule> Ingress,
        EquatableArray<ClassifierRule> Egress,
        EquatableArray<int> IngressSlots,
        EquatableArray<int> EgressSlots);

    /// <summary>The counter slot of a rule, or -1.</summary>
    public int RuleSlot(Guid ruleId) => _ruleSlots.TryGetValue(ruleId, out var slot) ? slot : -1;

    /// <summary>The rule in a counter slot, or null.</summary>
    public Guid? RuleOfSlot(int slot) => _slotRules.TryGetValue(slot, out var id) ? id : null;

    /// <summary>Rule slots freed by the last <see cref="Compile"/> and given out again, whose counters must restart.</summary>
    public List<int> NewSlots { get; } = [];

    /// <summary>
    /// Compiles the policy of every port in <paramref name="model"/>; null for ports without port security.
    /// Returns whether any policy differs from the previous call's.
    /// </summary>
    public bool Compile(SwitchModel model, out Dictionary<Guid, PortPolicy?> policies)
    {
        NewSlots.Clear();
        var live = model.SecurityGroups.Values.SelectMany(g => g.Rules).Select(r => r.Id).ToHashSet();
        foreach (var gone in _ruleSlots.Keys.Where(id => !live.Contains(id)).ToList())
        {
            _freeRuleSlots.Add(_ruleSlots[gone]);
            _slotRules.Remove(_ruleSlots[gone]);
            _ruleSlots.Remove(gone);
        }
        foreach (var id in live.Order())
        {
            if (!_ruleSlots.ContainsKey(id) && _freeRuleSlots.Count > 0)
            {
                var slot = _freeRuleSlots.Min;
                _freeRuleSlots.Remove(slot);
                _ruleSlots[id] = slot;
                _slotRules[slot] = id;
                NewSlots.Add(slot);
            }
        }

        var membership = SecurityGroupMembership.Of(model);
        var changed = _cache.Keys.Any(id => !model.Ports.ContainsKey(id) || !model.Ports[id].PortSecurityEnabled);
        policies = [];
        foreach (var port in model.Ports.Values)
        {
            if (!port.PortSecurityEnabled)
            {
                _cache.Remove(port.Id);
                policies[port.Id] = null;
                continue;
            }
            var inputs = InputsOf(port, model, membership);
            if (_cache.TryGetValue(port.Id, out var cached) && cached.Inputs == inputs)
            {
                policies[port.Id] = cached.Policy;
                continue;
            }
            var policy = new PortPolicy(
                new PortAddresses(inputs.Addresses),
                inputs.Stateful,
                ClassifierCompiler.Compile(inputs.Ingress),
                ClassifierCompiler.Compile(inputs.Egress),
                [.. inputs.IngressSlots],
                [.. inputs.EgressSlots]);
            _cache[port.Id] = (inputs, policy);
            policies[port.Id] = policy;
            changed = true;
        }
        foreach (var id in _cache.Keys.Where(id => !model.Ports.ContainsKey(id)).ToList())
        {
            _cache.Remove(id);
        }
        return changed;
    }

    private PolicyInputs InputsOf(PortSpec port, SwitchModel model, SecurityGroupMembership membership)
    {
        var mac = port.Mac ?? default;
        var addresses = new List<PortAddresses.Entry>();
        foreach (var ip in port.FixedIps)
        {
            addresses.Add(new PortAddresses.Entry(mac, ip.Address, ip.PrefixLength, ip.Family == Ethertype.IPv6));
        }
        foreach (var pair in port.AllowedAddressPairs)
        {
            addresses.Add(new PortAddresses.Entry(pair.MacAddress, pair.IpAddress.Address, pair.IpAddress.PrefixLength, pair.IpAddress.Family == Ethertype.IPv6));
        }
        if (addresses.Count == 0)
        {
            // A port without addresses may still send ARP probes, DHCP and ND from its MAC.
            addresses.Add(new PortAddresses.Entry(mac, IpAddress128.FromIpv4(0), 32, Ipv6: false));
        }

        var ingress = new List<ClassifierRule>();
        var egress = new List<ClassifierRule>();
        var ingressSlots = new List<int>();
        var egressSlots = new List<int>();
        foreach (var rule in membership.EffectiveRules(port.Id))
        {
            var slot = RuleSlot(rule.Id);
            var (rules, slots) = rule.Direction == RuleDirection.Ingress ? (ingress, ingressSlots) : (egress, egressSlots);
            var index = slots.Count;
            slots.Add(slot);
            var ipv6 = rule.Ethertype == Ethertype.IPv6;
            var protocol = rule.ProtocolNumber ?? -1;
            int portMin = -1, portMax = -1, icmpType = -1, icmpCode = -1;
            if (ClassifierRule.IsIcmp(protocol))
            {
                icmpType = rule.PortRangeMin ?? -1;
                icmpCode = rule.PortRangeMax ?? -1;
            }
            else if (ClassifierRule.HasPorts(protocol) && rule.PortRangeMin is { } min)
            {
                portMin = min;
                portMax = rule.PortRangeMax ?? min;
            }
            if (rule.RemoteGroupId is { } remote)
            {
                foreach (var prefix in membership.Addresses(remote, rule.Ethertype))
                {
                    rules.Add(new ClassifierRule(index, ipv6, protocol, portMin, portMax, icmpType, icmpCode, prefix.Network.Address, prefix.PrefixLength128));
                }
            }
            else if (rule.RemoteAddressGroupId is { } addressGroup)
            {
                foreach (var prefix in AddressGroupOperations.AddressesOf(model, addressGroup, rule.Ethertype))
                {
                    rules.Add(new ClassifierRule(index, ipv6, protocol, portMin, portMax, icmpType, icmpCode, prefix.Network.Address, prefix.PrefixLength128));
                }
            }
            else
            {
                var prefix = rule.RemoteIpPrefix;
                var length = prefix is { IsAny: false } p ? p.PrefixLength128 : 0;
                var address = prefix?.Network.Address ?? default;
                rules.Add(new ClassifierRule(index, ipv6, protocol, portMin, portMax, icmpType, icmpCode, address, length));
            }
        }
        var stateful = port.SecurityGroupIds.Select(id => model.SecurityGroups.TryGetValue(id, out var g) && g.Stateful).DefaultIfEmpty(true).All(s => s);
        return new PolicyInputs([.. addresses], stateful, [.. ingress], [.. egress], [.. ingressSlots], [.. egressSlots]);
    }
}
