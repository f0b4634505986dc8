using System.Collections.Immutable;
using VSwitch.Control.Model;
using VSwitch.Dataplane.Policy;
using VSwitch.Packets;

namespace VSwitch.Control;

/// <summary>
/// Compiles the ports' security groups and addresses into the <see cref="PortPolicy"/> objects, address sets and
/// per-port policy generations the data path enforces, and keeps the rule → hit-counter slot map.
/// </summary>
/// <remarks>
/// <para><b>What.</b> Three kinds of compiled object, each built once and shared:</para>
/// <list type="bullet">
/// <item><b>Address sets</b>: the member addresses of a remote group, or the addresses of an address group, as one
/// <see cref="AddressSet"/> at a stable index of <see cref="AddressSets"/>; rules name the index.</item>
/// <item><b>Group-set classifiers</b>: ports with the same groups in the same order share one pair of classifiers and
/// rule-slot maps (the union of the groups' rules, group by group, as Neutron's drivers read them).</item>
/// <item><b>Port policies</b>: a port's own addresses (anti-spoofing) beside its group set's classifiers.</item>
/// </list>
/// <para><b>Why incremental.</b> <see cref="Compile"/> diffs the new model against the last one by reference (the model
/// is immutable and an operation replaces only the objects it changes), so a change costs what it touches: a rule
/// added to a group recompiles the group sets that contain it; a VM joining a group rebuilds the group's address set
/// (O(members)) and no classifier; a port created with groups already in use compiles nothing but its addresses.</para>
/// <para><b>Generations.</b> <see cref="Generation"/> grows with every compile that changes something; each port
/// remembers the generation at which its verdicts last changed (its policy object, or an address set its rules name):
/// <see cref="GenerationOf"/>. The data path re-checks only the flow-cache entries and connections of the ports whose
/// generation is newer than theirs.</para>
/// <para><b>Thread-safety.</b> Used under the reconciler's lock only.</para>
/// </remarks>
public sealed class PolicyCompiler
{
    private readonly int _overflowSlot;
    private readonly Dictionary<Guid, int> _ruleSlots = [];
    private readonly Dictionary<int, Guid> _slotRules = [];
    private readonly SortedSet<int> _freeRuleSlots;
    private readonly Dictionary<Guid, HashSet<Guid>> _members = [];
    private readonly Dictionary<SetSource, SetState> _sets = [];
    private readonly SortedSet<int> _freeSetIndices = [];
    private readonly Dictionary<EquatableArray<Guid>, GroupSet> _groupSets = [];
    private readonly Dictionary<EquatableArray<Guid>, GroupSet> _idleGroupSets = [];
    private readonly Queue<GroupSet> _idleOrder = new();
    private readonly Dictionary<Guid, PortState> _ports = [];
    private SwitchModel _model = SwitchModel.Empty;

    /// <summary>
    /// Group lists no port uses any more whose classifiers are kept, so that a port going back and forth between two
    /// lists (a VM joining and leaving a group) compiles each once. Dropped when one of their groups changes.
    /// </summary>
    public const int IdleGroupSets = 64;

    /// <param name="maxRules">Hit-counter slots. The last one is shared by the rules that come after the others are
    /// taken: they still allow what they allow, their hits are counted for no rule.</param>
    public PolicyCompiler(int maxRules)
    {
        _overflowSlot = maxRules - 1;
        _freeRuleSlots = new SortedSet<int>(Enumerable.Range(0, Math.Max(0, maxRules - 1)));
    }

    /// <summary>The remote of a rule that matches a set of addresses: a security group's members or an address group.</summary>
    private readonly record struct SetSource(bool AddressGroup, Guid Id);

    private sealed class SetState(int index)
    {
        public int Index { get; } = index;
        public EquatableArray<IpPrefix> Members { get; set; } = EquatableArray<IpPrefix>.Empty;
        public long ChangedAt { get; set; }
        public int Users { get; set; }
    }

    private sealed class GroupSet(EquatableArray<Guid> groups)
    {
        public EquatableArray<Guid> Groups { get; } = groups;
        public CompiledClassifier Ingress { get; set; } = CompiledClassifier.Empty;
        public CompiledClassifier Egress { get; set; } = CompiledClassifier.Empty;
        public int[] IngressSlots { get; set; } = [];
        public int[] EgressSlots { get; set; } = [];
        public bool Stateful { get; set; }
        public SetSource[] Sets { get; set; } = [];
        public HashSet<Guid> Ports { get; } = [];
    }

    private sealed class PortState
    {
        public EquatableArray<PortAddresses.Entry> Addresses { get; set; } = EquatableArray<PortAddresses.Entry>.Empty;
        public GroupSet? GroupSet { get; set; }
        public PortPolicy? Policy { get; set; }
        public long ChangedAt { get; set; }
    }

    /// <summary>The current policy generation: grows with every <see cref="Compile"/> that changes a verdict.</summary>
    public long Generation { get; private set; }

    /// <summary>The address sets by index (null where free); a new array whenever a set changes.</summary>
    public AddressSet?[] AddressSets { get; private set; } = [];

    /// <summary>Distinct compiled classifier pairs (ports with the same groups share one).</summary>
    public int GroupSetCount => _groupSets.Count;

    /// <summary>Approximate bytes of every compiled classifier and address set.</summary>
    public long MemorySize =>
        _groupSets.Values.Concat(_idleGroupSets.Values).Sum(g => g.Ingress.MemorySize + g.Egress.MemorySize) + AddressSets.Sum(s => s?.MemorySize ?? 0);

    /// <summary>Compiled hash entries of every ingress classifier.</summary>
    public long IngressEntryCount => _groupSets.Values.Sum(g => (long)g.Ingress.EntryCount);

    /// <summary>The counter slot of a rule, or -1.</summary>
    public int RuleSlot(Guid ruleId) => _ruleSlots.TryGetValue(ruleId, out var slot) ? slot : -1;

    /// <summary>The rule in a counter slot, or null (also for the shared overflow slot).</summary>
    public Guid? RuleOfSlot(int slot) => _slotRules.TryGetValue(slot, out var id) ? id : null;

    /// <summary>Rule slots given out by the last <see cref="Compile"/>, whose counters must restart.</summary>
    public List<int> NewSlots { get; } = [];

    /// <summary>The policy of a port: null without port security (or for an unknown port).</summary>
    public PortPolicy? PolicyOf(Guid portId) => _ports.TryGetValue(portId, out var p) ? p.Policy : null;

    /// <summary>The generation at which the verdicts of a port last changed (its policy, or an address set it uses).</summary>
    public long GenerationOf(Guid portId)
    {
        if (!_ports.TryGetValue(portId, out var port))
        {
            return Generation;
        }
        var generation = port.ChangedAt;
        if (port.GroupSet is { } groupSet)
        {
            foreach (var source in groupSet.Sets)
            {
                generation = Math.Max(generation, _sets[source].ChangedAt);
            }
        }
        return generation;
    }

    /// <summary>
    /// Gives a port a newer generation than any verdict cached so far: for a port that moves to another data-path slot
    /// (its device was replaced), whose slot may hold flow-cache entries of the port that had it before.
    /// </summary>
    public void Invalidate(Guid portId)
    {
        Generation++;
        if (_ports.TryGetValue(portId, out var port))
        {
            port.ChangedAt = Generation;
        }
    }

    /// <summary>
    /// Brings the compiled policy up to <paramref name="model"/>, touching only what differs from the last model.
    /// Returns whether any verdict may have changed (then <see cref="Generation"/> grew).
    /// </summary>
    public bool Compile(SwitchModel model)
    {
        NewSlots.Clear();
        var before = _model;
        var generation = Generation + 1;
        var changed = false;

        // 1. Groups: rule slots of the rules that came and went, and the groups whose rules or settings changed.
        var changedGroups = new HashSet<Guid>();
        var goneRules = new List<Guid>();
        var newRules = new List<Guid>();
        ModelDiff.ByReference(before.SecurityGroups, model.SecurityGroups, (id, old, now) =>
        {
            changedGroups.Add(id);
            var oldIds = old?.Rules.Select(r => r.Id).ToHashSet() ?? [];
            var newIds = now?.Rules.Select(r => r.Id).ToHashSet() ?? [];
            goneRules.AddRange(oldIds.Where(r => !newIds.Contains(r)));
            newRules.AddRange(newIds.Where(r => !oldIds.Contains(r)));
        });
        foreach (var gone in goneRules)
        {
            if (_ruleSlots.Remove(gone, out var slot) && slot != _overflowSlot)
            {
                _slotRules.Remove(slot);
                _freeRuleSlots.Add(slot);
            }
        }
        foreach (var id in newRules.Order())
        {
            if (_freeRuleSlots.Count > 0)
            {
                var slot = _freeRuleSlots.Min;
                _freeRuleSlots.Remove(slot);
                _ruleSlots[id] = slot;
                _slotRules[slot] = id;
                NewSlots.Add(slot);
            }
            else
            {
                _ruleSlots[id] = _overflowSlot;
            }
        }

        // 2. Ports: membership, and the remote groups whose addresses may have changed.
        var dirtySets = new HashSet<SetSource>();
        var dirtyPorts = new List<(Guid Id, PortSpec? Now)>();
        ModelDiff.ByReference(before.Ports, model.Ports, (id, old, now) =>
        {
            dirtyPorts.Add((id, now));
            var sameAddresses = old is not null && now is not null && old.FixedIps == now.FixedIps
                && old.AllowedAddressPairs == now.AllowedAddressPairs;
            if (old is not null && (now is null || !sameAddresses || old.SecurityGroupIds != now.SecurityGroupIds))
            {
                foreach (var g in old.SecurityGroupIds)
                {
                    if (_members.TryGetValue(g, out var members) && members.Remove(id) && members.Count == 0)
                    {
                        _members.Remove(g);
                    }
                    dirtySets.Add(new SetSource(false, g));
                }
            }
            if (now is not null && (old is null || !sameAddresses || old.SecurityGroupIds != now.SecurityGroupIds))
            {
                foreach (var g in now.SecurityGroupIds)
                {
                    if (!_members.TryGetValue(g, out var members))
                    {
                        _members[g] = members = [];
                    }
                    members.Add(id);
                    dirtySets.Add(new SetSource(false, g));
                }
            }
        });
        ModelDiff.ByReference(before.AddressGroups, model.AddressGroups, (id, _, _) => dirtySets.Add(new SetSource(true, id)));
        _model = model;

        // 3. Group sets that contain a changed group are recompiled, and their ports get new policy objects; idle ones
        // are dropped.
        foreach (var idle in _idleGroupSets.Values.Where(g => g.Groups.Any(changedGroups.Contains)).ToList())
        {
            Drop(idle);
        }
        foreach (var groupSet in _groupSets.Values.Where(g => g.Groups.Any(changedGroups.Contains)).ToList())
        {
            CompileGroupSet(groupSet, generation);
            foreach (var portId in groupSet.Ports)
            {
                var port = _ports[portId];
                port.Policy = port.Policy! with
                {
                    Stateful = groupSet.Stateful,
                    Ingress = groupSet.Ingress,
                    Egress = groupSet.Egress,
                    IngressRuleSlots = groupSet.IngressSlots,
                    EgressRuleSlots = groupSet.EgressSlots,
                };
                port.ChangedAt = generation;
            }
            changed = true;
        }

        // 4. Ports that came, went or changed.
        foreach (var (id, now) in dirtyPorts)
        {
            changed |= UpdatePort(id, now, generation);
        }

        // 5. Address sets whose members may have changed; sets nothing uses any more are freed.
        foreach (var source in dirtySets)
        {
            if (_sets.TryGetValue(source, out var set) && set.Users > 0 && Refresh(source, set, generation))
            {
                changed = true;
            }
        }
        foreach (var (source, set) in _sets.Where(s => s.Value.Users == 0).ToList())
        {
            _sets.Remove(source);
            _freeSetIndices.Add(set.Index);
            Publish(set.Index, null);
        }

        if (changed)
        {
            Generation = generation;
        }
        return changed;
    }

    private bool UpdatePort(Guid id, PortSpec? spec, long generation)
    {
        _ports.TryGetValue(id, out var state);
        var oldGroupSet = state?.GroupSet;
        if (spec is null || !spec.PortSecurityEnabled)
        {
            if (state is null)
            {
                if (spec is not null)
                {
                    _ports[id] = new PortState { ChangedAt = generation };
                    return true;
                }
                return false;
            }
            Leave(oldGroupSet, id);
            var had = state.Policy is not null;
            if (spec is null)
            {
                _ports.Remove(id);
                return had;
            }
            state.GroupSet = null;
            state.Policy = null;
            if (had)
            {
                state.ChangedAt = generation;
            }
            return had;
        }

        state ??= _ports[id] = new PortState();
        var groupSet = oldGroupSet is not null && oldGroupSet.Groups == spec.SecurityGroupIds ? oldGroupSet : Join(spec.SecurityGroupIds, id, generation);
        if (!ReferenceEquals(groupSet, oldGroupSet))
        {
            Leave(oldGroupSet, id);
        }
        var addresses = AddressesOf(spec);
        state.GroupSet = groupSet;
        if (state.Policy is { } old && ReferenceEquals(old.Ingress, groupSet.Ingress) && ReferenceEquals(old.Egress, groupSet.Egress)
            && old.Stateful == groupSet.Stateful && ReferenceEquals(old.IngressRuleSlots, groupSet.IngressSlots)
            && ReferenceEquals(old.EgressRuleSlots, groupSet.EgressSlots) && state.Addresses == addresses)
        {
            return false;
        }
        state.Addresses = addresses;
        state.Policy = new PortPolicy(new PortAddresses(addresses), groupSet.Stateful, groupSet.Ingress, groupSet.Egress,
            groupSet.IngressSlots, groupSet.EgressSlots);
        state.ChangedAt = generation;
        return true;
    }

    private GroupSet Join(EquatableArray<Guid> groups, Guid portId, long generation)
    {
        if (_idleGroupSets.Remove(groups, out var idle))
        {
            _groupSets[groups] = idle;
        }
        if (!_groupSets.TryGetValue(groups, out var groupSet))
        {
            groupSet = new GroupSet(groups);
            CompileGroupSet(groupSet, generation);
            _groupSets[groups] = groupSet;
        }
        groupSet.Ports.Add(portId);
        return groupSet;
    }

    private void Leave(GroupSet? groupSet, Guid portId)
    {
        if (groupSet is null || !groupSet.Ports.Remove(portId) || groupSet.Ports.Count > 0)
        {
            return;
        }
        _groupSets.Remove(groupSet.Groups);
        _idleGroupSets[groupSet.Groups] = groupSet;
        _idleOrder.Enqueue(groupSet);
        while (_idleGroupSets.Count > IdleGroupSets && _idleOrder.TryDequeue(out var oldest))
        {
            if (_idleGroupSets.TryGetValue(oldest.Groups, out var current) && ReferenceEquals(current, oldest))
            {
                Drop(oldest);
            }
        }
        if (_idleOrder.Count > 4 * IdleGroupSets)
        {
            // Entries of sets that were used again since: keep the queue as long as the idle sets it orders.
            var live = _idleOrder.Where(g => _idleGroupSets.TryGetValue(g.Groups, out var current) && ReferenceEquals(current, g)).Distinct().ToList();
            _idleOrder.Clear();
            live.ForEach(_idleOrder.Enqueue);
        }
    }

    /// <summary>Forgets an idle group set and releases its address sets.</summary>
    private void Drop(GroupSet groupSet)
    {
        _idleGroupSets.Remove(groupSet.Groups);
        foreach (var source in groupSet.Sets)
        {
            _sets[source].Users--;
        }
    }

    /// <summary>Compiles the union of the groups' rules (group by group, in the port's order, each rule once).</summary>
    private void CompileGroupSet(GroupSet groupSet, long generation)
    {
        var ingress = new List<ClassifierRule>();
        var egress = new List<ClassifierRule>();
        var ingressSlots = new List<int>();
        var egressSlots = new List<int>();
        var sets = new List<SetSource>();
        var seen = new HashSet<Guid>();
        foreach (var groupId in groupSet.Groups)
        {
            if (!_model.SecurityGroups.TryGetValue(groupId, out var group))
            {
                continue;
            }
            foreach (var rule in group.Rules)
            {
                if (!seen.Add(rule.Id))
                {
                    continue;
                }
                var (rules, slots) = rule.Direction == RuleDirection.Ingress ? (ingress, ingressSlots) : (egress, egressSlots);
                var index = slots.Count;
                slots.Add(RuleSlot(rule.Id));
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
                SetSource? source = rule.RemoteGroupId is { } remote ? new SetSource(false, remote)
                    : rule.RemoteAddressGroupId is { } addressGroup ? new SetSource(true, addressGroup)
                    : null;
                if (source is { } s)
                {
                    sets.Add(s);
                    rules.Add(new ClassifierRule(index, ipv6, protocol, portMin, portMax, icmpType, icmpCode, default, 0, SetIndex(s, generation)));
                }
                else
                {
                    var prefix = rule.RemoteIpPrefix;
                    var length = prefix is { IsAny: false } p ? p.PrefixLength128 : 0;
                    rules.Add(new ClassifierRule(index, ipv6, protocol, portMin, portMax, icmpType, icmpCode, prefix?.Network.Address ?? default, length));
                }
            }
        }
        var uses = sets.Distinct().ToArray();
        foreach (var source in uses)
        {
            _sets[source].Users++;
        }
        foreach (var source in groupSet.Sets)
        {
            _sets[source].Users--;
        }
        groupSet.Sets = uses;
        groupSet.Ingress = ClassifierCompiler.Compile(ingress);
        groupSet.Egress = ClassifierCompiler.Compile(egress);
        groupSet.IngressSlots = [.. ingressSlots];
        groupSet.EgressSlots = [.. egressSlots];
        groupSet.Stateful = groupSet.Groups.Select(id => _model.SecurityGroups.TryGetValue(id, out var g) && g.Stateful).DefaultIfEmpty(true).All(s => s);
    }

    /// <summary>The index of a set, built now if no rule used it yet.</summary>
    private int SetIndex(SetSource source, long generation)
    {
        if (!_sets.TryGetValue(source, out var set))
        {
            var index = _freeSetIndices.Count > 0 ? _freeSetIndices.Min : _sets.Count;
            _freeSetIndices.Remove(index);
            _sets[source] = set = new SetState(index);
            Refresh(source, set, generation);
        }
        return set.Index;
    }

    /// <summary>Re-reads a set's addresses from the model; rebuilds and publishes it if they changed.</summary>
    private bool Refresh(SetSource source, SetState set, long generation)
    {
        var addresses = source.AddressGroup
            ? (_model.AddressGroups.TryGetValue(source.Id, out var group) ? group.Addresses.Distinct() : [])
            : (_members.GetValueOrDefault(source.Id) ?? []).Select(p => _model.Ports.GetValueOrDefault(p))
                .SelectMany(p => p is null ? [] : p.FixedIps.Concat(p.AllowedAddressPairs.Select(a => a.IpAddress))).Distinct();
        var members = addresses.OrderBy(p => p.Family).ThenBy(p => p.Address.High).ThenBy(p => p.Address.Low).ThenBy(p => p.PrefixLength)
            .ToImmutableArray();
        if (set.Members == members && AddressSets.Length > set.Index && AddressSets[set.Index] is not null)
        {
            return false;
        }
        set.Members = members;
        set.ChangedAt = generation;
        Publish(set.Index, AddressSet.Build(Members(members)));
        return true;
    }

    private static IEnumerable<AddressSet.Member> Members(EquatableArray<IpPrefix> prefixes) =>
        prefixes.Select(p => new AddressSet.Member(p.Network.Address, p.PrefixLength128, p.Family == Ethertype.IPv6));

    /// <summary>Replaces one set in a copy of the table (the data path holds the old array until the next snapshot).</summary>
    private void Publish(int index, AddressSet? set)
    {
        var table = new AddressSet?[Math.Max(AddressSets.Length, index + 1)];
        AddressSets.CopyTo(table, 0);
        table[index] = set;
        AddressSets = table;
    }

    private static EquatableArray<PortAddresses.Entry> AddressesOf(PortSpec port)
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
        return [.. addresses];
    }
}
