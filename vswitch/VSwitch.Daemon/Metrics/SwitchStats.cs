using VSwitch.Control;
using VSwitch.Control.Model;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Daemon.Metrics;

/// <summary>One port's counters, read once.</summary>
/// <param name="PortId">The Neutron port id.</param>
/// <param name="Name">The port's name (may be empty or shared with another port).</param>
/// <param name="Status">ACTIVE, DOWN or ERROR.</param>
/// <param name="Attached">True when the port holds a data-path slot (its counters are meaningful).</param>
/// <param name="Counters">Indexed by <see cref="PortCounter"/>.</param>
/// <param name="Drops">Indexed by <c>reason * 2 + direction</c> (<see cref="DropReason"/>, <see cref="Direction"/>).</param>
/// <param name="ConntrackEntries">Tracked connections entering or leaving on the port (each counts on both of its ports).</param>
/// <param name="ConntrackLimit">The most the port may have (its own or the switch's default; 0: no limit).</param>
public sealed record PortStats(Guid PortId, string Name, string Status, bool Attached, long[] Counters, long[] Drops,
    long ConntrackEntries = 0, int ConntrackLimit = 0)
{
    public long Read(PortCounter counter) => Counters[(int)counter];

    public long ReadDrop(DropReason reason, Direction direction) => Drops[((int)reason * 2) + (int)direction];
}

/// <summary>The fragment stage's counters (Fragments/README.md).</summary>
/// <param name="FirstFragments">First fragments recorded for their later fragments.</param>
/// <param name="LaterFragmentsMatched">Later fragments that took their first fragment's L4 fields.</param>
/// <param name="LaterFragmentsHeld">Later fragments held because they arrived before their first fragment.</param>
/// <param name="Evictions">Records of datagrams in flight given to another datagram because their set was full.</param>
/// <param name="MaxDatagrams">Datagrams the table remembers at once.</param>
public sealed record FragmentStats(long FirstFragments, long LaterFragmentsMatched, long LaterFragmentsHeld, long Evictions, long MaxDatagrams);

/// <summary>One security-group rule's hit counter.</summary>
public sealed record RuleStats(Guid SecurityGroupId, string SecurityGroupName, Guid RuleId, long Hits);

/// <summary>One worker's counters.</summary>
/// <param name="Id">Worker index.</param>
/// <param name="Cpu">The CPU it is pinned to, or -1.</param>
/// <param name="Packets">Frames it processed.</param>
/// <param name="BusyNanoseconds">Time it spent processing (not waiting).</param>
/// <param name="BusyPolls">Non-blocking polls in busy-poll mode (0 when the mode is off).</param>
public sealed record WorkerStats(int Id, int Cpu, long Packets, long BusyNanoseconds, long BusyPolls = 0)
{
    public double BusySeconds => BusyNanoseconds / 1e9;
}

/// <summary>
/// Every counter of the switch, read at one moment: what <c>/metrics</c> renders and <c>GET /v2.0/vswitch/stats</c>
/// answers.
/// </summary>
/// <remarks>
/// What: <see cref="Collect"/> sums the workers' single-writer counters (through <see cref="Dataplane.Datapath"/>,
/// less each slot's baseline) inside <see cref="Reconciler.ReadConsistent{T}"/>, then reads the connection table's
/// totals. Why: one reader for both outputs keeps the API and the metrics agreeing, and reading under the
/// reconciler's lock means a port that is removed, or a new port that takes its slot, is never reported with the
/// other's counts (so every series is monotonic: a removed port's series disappear, a new port's start at zero).
/// Thread-safety: any thread; the workers are never blocked (they do not take the reconciler's lock).
/// Cost: O(ports x workers + rules x workers); it does not depend on the packet rate.
/// </remarks>
public sealed record SwitchStats(
    IReadOnlyList<PortStats> Ports,
    IReadOnlyList<RuleStats> Rules,
    IReadOnlyList<WorkerStats> Workers,
    long ConntrackEntries,
    long ConntrackMaxEntries,
    long ConntrackCreated,
    long ConntrackEarlyDrops,
    long ConntrackRevoked,
    long FlowCacheHits,
    long FlowCacheMisses,
    long SecurityGroupLogDropped = 0,
    long SecurityGroupLogSuppressed = 0,
    FragmentStats? Fragments = null,
    long DhcpReplies = 0,
    long DhcpIgnored = 0,
    long RouterAdvertisements = 0,
    RouterStats? Router = null,
    long Dhcpv6Replies = 0,
    long Dhcpv6Ignored = 0,
    long NatTranslated = 0)
{
    /// <summary>Reads every counter.</summary>
    /// <param name="reconciler">The running state.</param>
    /// <param name="includeDetached">Also list ports without a data-path slot (with zero counters), as the API does.</param>
    /// <param name="portId">Only this port (null: all).</param>
    public static SwitchStats Collect(Reconciler reconciler, bool includeDetached = false, Guid? portId = null)
    {
        var datapath = reconciler.Datapath;
        var (ports, rules) = reconciler.ReadConsistent((model, statuses) =>
        {
            var ports = new List<PortStats>(model.Ports.Count);
            foreach (var spec in model.Ports.Values)
            {
                if (portId is { } only && spec.Id != only)
                {
                    continue;
                }
                var status = statuses.GetValueOrDefault(spec.Id);
                var slot = status?.Slot ?? -1;
                if (slot < 0 && !includeDetached)
                {
                    continue;
                }
                var counters = new long[(int)PortCounter.Count];
                var drops = new long[(int)DropReason.Count * 2];
                if (slot >= 0)
                {
                    for (var c = 0; c < counters.Length; c++)
                    {
                        counters[c] = datapath.Read(slot, (PortCounter)c);
                    }
                    for (var r = 0; r < (int)DropReason.Count; r++)
                    {
                        drops[r * 2] = datapath.ReadDrop(slot, (DropReason)r, Direction.Ingress);
                        drops[(r * 2) + 1] = datapath.ReadDrop(slot, (DropReason)r, Direction.Egress);
                    }
                }
                ports.Add(new PortStats(spec.Id, spec.Name, status?.State ?? PortStatus.Down, slot >= 0, counters, drops,
                    slot >= 0 ? datapath.Conntrack.PortConnections(slot) : 0, spec.ConntrackLimit ?? datapath.Options.ConntrackPortLimit));
            }
            var rules = new List<RuleStats>();
            if (portId is null)
            {
                foreach (var group in model.SecurityGroups.Values)
                {
                    foreach (var rule in group.Rules)
                    {
                        var ruleSlot = reconciler.RuleSlot(rule.Id);
                        if (ruleSlot >= 0)
                        {
                            rules.Add(new RuleStats(group.Id, group.Name, rule.Id, datapath.ReadRuleHits(ruleSlot)));
                        }
                    }
                }
            }
            return (ports, rules);
        });
        var workers = datapath.Workers
            .Select(w => new WorkerStats(w.Id, w.Cpu, w.Counters.Read(WorkerCounter.Packets), w.Counters.Read(WorkerCounter.BusyNanoseconds),
                w.Counters.Read(WorkerCounter.BusyPolls)))
            .ToArray();
        var ct = datapath.Conntrack;
        return new SwitchStats(ports, rules, workers, ct.Count, ct.Capacity, ct.CreatedTotal, ct.EarlyDropTotal,
            datapath.Read(WorkerCounter.ConntrackRevoked), datapath.Read(WorkerCounter.FlowCacheHits), datapath.Read(WorkerCounter.FlowCacheMisses),
            datapath.Read(WorkerCounter.SecurityGroupLogDropped),
            Fragments: new FragmentStats(datapath.Fragments.RecordedTotal, datapath.Read(WorkerCounter.FragmentsMatched),
                datapath.Read(WorkerCounter.FragmentsHeld), datapath.Fragments.EvictedTotal, datapath.Fragments.Capacity),
            DhcpReplies: datapath.Read(WorkerCounter.DhcpReplies), DhcpIgnored: datapath.Read(WorkerCounter.DhcpIgnored),
            RouterAdvertisements: datapath.Read(WorkerCounter.RouterAdvertisements),
            Dhcpv6Replies: datapath.Read(WorkerCounter.Dhcpv6Replies), Dhcpv6Ignored: datapath.Read(WorkerCounter.Dhcpv6Ignored),
            NatTranslated: datapath.Read(WorkerCounter.NatTranslated),
            Router: new RouterStats(datapath.Read(WorkerCounter.RouterForwarded), datapath.Read(WorkerCounter.RouterNeighborReplies),
                datapath.Read(WorkerCounter.RouterEchoReplies), datapath.Read(WorkerCounter.RouterIcmpErrors), datapath.Read(WorkerCounter.RouterIcmpRateLimited),
                datapath.Read(WorkerCounter.RouterArpRequests), datapath.Read(WorkerCounter.RouterNeighborsLearned)));
    }
}

/// <summary>What the switch's routers did, summed over their workers.</summary>
/// <param name="Forwarded">Packets routed from one network to another.</param>
/// <param name="NeighborReplies">ARP and neighbor solicitations for router addresses answered.</param>
/// <param name="EchoReplies">Pings to router addresses answered.</param>
/// <param name="IcmpErrors">ICMP errors sent (time exceeded, unreachable, fragmentation needed).</param>
/// <param name="IcmpRateLimited">ICMP errors not sent, over the rate limit.</param>
/// <param name="ArpRequests">ARP requests broadcast on external networks to resolve next hops no port holds.</param>
/// <param name="NeighborsLearned">ARP answers learned on external networks.</param>
public sealed record RouterStats(long Forwarded, long NeighborReplies, long EchoReplies, long IcmpErrors, long IcmpRateLimited,
    long ArpRequests = 0, long NeighborsLearned = 0);
