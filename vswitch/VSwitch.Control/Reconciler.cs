using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using VSwitch.Control.Model;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Control;

/// <summary>
/// Makes the data path match a <see cref="SwitchModel"/>: opens and closes ports, gives them slots and networks
/// indices, and publishes the snapshot the workers forward with.
/// </summary>
/// <remarks>
/// What: the single writer of the running state. <see cref="Apply"/> diffs the desired model against what runs and
/// does all deletions before any addition (OVS <c>bridge_reconfigure</c>): removed ports leave the snapshot first, the
/// workers are given a grace period to move past it, and only then are their devices closed and their slots reused.
/// Why: the API, the configuration file and the health check all express changes as a new desired state, so there is
/// one code path that touches the data path, and nothing is ever half-applied by a caller.
/// Security-group logging: the network logs of the model become per-port <see cref="SecurityGroupLogging"/> flags in the
/// snapshot (one flag test on the data path); which logs, groups and rules an event names is left to the log writer,
/// which looks them up in the applied model by port slot and rule slot (<see cref="ReadConsistent{T}"/>,
/// <see cref="RuleOfSlot"/>).
/// Thread-safety: every public method takes one lock; readers of <see cref="Statuses"/> get an immutable map.
/// </remarks>
public sealed class Reconciler : IDisposable
{
    private readonly Datapath _datapath;
    private readonly PortTypes _portTypes;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly Dictionary<Guid, RunningPort> _running = [];
    private readonly Dictionary<Guid, int> _networkIndex = [];
    private readonly SortedSet<int> _freeSlots;
    private readonly SortedSet<int> _freeNetworks;
    private ImmutableDictionary<Guid, PortStatus> _statuses = ImmutableDictionary<Guid, PortStatus>.Empty;
    private readonly PolicyCompiler _compiler;
    private Dictionary<Guid, (bool Accept, bool Drop)> _logging = [];
    private SwitchModel _applied = SwitchModel.Empty;
    private readonly List<Retired> _retired = [];

    /// <summary>By network index: the zone last published, and the one before it when a router changed it.</summary>
    private readonly Dictionary<int, (int Zone, int Previous)> _zones = [];

    /// <summary>The routers' SNAT addresses in the last snapshot, with their NAT zones: bindings of one that goes away are removed.</summary>
    private HashSet<(int Zone, uint Address)> _snatAddresses = [];
    private long _generation;

    /// <summary>
    /// A device that left the snapshot while a worker had not yet switched away from one that references it; it is
    /// closed (and, for a removed port, its slot freed) once every worker has reached <see cref="Generation"/>.
    /// </summary>
    /// <param name="Port">The device to close.</param>
    /// <param name="Generation">The first snapshot without it.</param>
    /// <param name="Removed">The running port it belonged to when the port itself was removed (its slot is freed), else null
    /// (a device replaced under a port that stays).</param>
    private sealed record Retired(IPort Port, long Generation, RunningPort? Removed);

    private sealed class RunningPort(PortSpec spec, IPort port, int slot)
    {
        public PortSpec Spec { get; } = spec;
        public IPort Port { get; set; } = port;
        public int Slot { get; } = slot;
        public string? DownReason { get; set; }
    }

    public Reconciler(Datapath datapath, PortTypes portTypes, ILogger<Reconciler> log)
    {
        _datapath = datapath;
        _portTypes = portTypes;
        _log = log;
        _freeSlots = new SortedSet<int>(Enumerable.Range(0, datapath.Options.MaxPorts));
        _freeNetworks = new SortedSet<int>(Enumerable.Range(0, 0x7FFF));
        _compiler = new PolicyCompiler(datapath.Options.MaxRules);
    }

    /// <summary>The data path this reconciler drives (for readers of its counters and connection table).</summary>
    public Datapath Datapath => _datapath;

    /// <summary>
    /// Runs <paramref name="read"/> with the applied model and the port statuses while no port or rule slot changes
    /// hands, so counters read inside it (by slot, or through <see cref="RuleSlot"/>) belong to the ports and rules
    /// the model names: a scrape racing <see cref="Apply"/> never reads a removed port's slot after a new port's
    /// baseline was taken, nor a new port's slot before.
    /// </summary>
    /// <remarks>Holds the reconciler's lock for the duration: keep <paramref name="read"/> short (it is microseconds
    /// for a scrape of a hundred ports) and never call <see cref="Apply"/> from it.</remarks>
    public T ReadConsistent<T>(Func<SwitchModel, ImmutableDictionary<Guid, PortStatus>, T> read)
    {
        lock (_gate)
        {
            return read(_applied, _statuses);
        }
    }

    /// <summary>The hit-counter slot of a security-group rule, or -1.</summary>
    public int RuleSlot(Guid ruleId)
    {
        lock (_gate)
        {
            return _compiler.RuleSlot(ruleId);
        }
    }

    /// <summary>The security-group rule whose hits a counter slot holds, or null.</summary>
    public Guid? RuleOfSlot(int ruleSlot)
    {
        lock (_gate)
        {
            return _compiler.RuleOfSlot(ruleSlot);
        }
    }

    /// <summary>The model last applied.</summary>
    public SwitchModel Applied
    {
        get
        {
            lock (_gate)
            {
                return _applied;
            }
        }
    }

    /// <summary>What each port of the applied model is doing.</summary>
    public ImmutableDictionary<Guid, PortStatus> Statuses => Volatile.Read(ref _statuses);

    /// <summary>How long the last <see cref="Apply"/> spent compiling the policy (see <see cref="ChangeTimings"/>).</summary>
    public TimeSpan LastCompile { get; private set; }

    /// <summary>How long the last snapshot publish waited for the workers to switch to it (see <see cref="ChangeTimings"/>).</summary>
    public TimeSpan LastPublish { get; private set; }

    /// <summary>The data-path slot of a network, or -1.</summary>
    public int NetworkIndex(Guid networkId)
    {
        lock (_gate)
        {
            return _networkIndex.TryGetValue(networkId, out var i) ? i : -1;
        }
    }

    /// <summary>Applies <paramref name="desired"/>; ports that cannot be opened are reported in <see cref="Statuses"/> as ERROR.</summary>
    public void Apply(SwitchModel desired)
    {
        lock (_gate)
        {
            CloseRetiredLocked();
            var statuses = _statuses.ToBuilder();

            // 1. Deletions: ports that are gone, or whose backend, network or MAC changed (they are re-opened below).
            var removed = new List<RunningPort>();
            foreach (var (id, running) in _running)
            {
                if (!desired.Ports.TryGetValue(id, out var spec) || spec.Device != running.Spec.Device
                    || spec.NetworkId != running.Spec.NetworkId || spec.Mac != running.Spec.Mac)
                {
                    removed.Add(running);
                }
            }
            foreach (var r in removed)
            {
                _running.Remove(r.Spec.Id);
            }
            foreach (var id in statuses.Keys.Where(id => !desired.Ports.ContainsKey(id)).ToList())
            {
                statuses.Remove(id);
            }
            if (removed.Count > 0)
            {
                var generation = PublishLocked(_applied.Networks);
                foreach (var r in removed)
                {
                    Retire(r.Port, generation, r);
                }
            }

            // 2. Networks: indices for new ones, and release those that are gone.
            foreach (var id in _networkIndex.Keys.Where(id => !desired.Networks.ContainsKey(id)).ToList())
            {
                _freeNetworks.Add(_networkIndex[id]);
                _zones.Remove(_networkIndex[id]);
                Datapath.Neighbors.Forget(_networkIndex[id]);
                _networkIndex.Remove(id);
            }
            foreach (var id in desired.Networks.Keys)
            {
                if (!_networkIndex.ContainsKey(id))
                {
                    var index = _freeNetworks.Min;
                    _freeNetworks.Remove(index);
                    _networkIndex[id] = index;
                }
            }

            // 3. Additions.
            foreach (var spec in desired.Ports.Values)
            {
                if (_running.TryGetValue(spec.Id, out var existing))
                {
                    _running[spec.Id] = new RunningPort(spec, existing.Port, existing.Slot) { DownReason = existing.DownReason };
                    continue;
                }
                if (spec.IsServicePort)
                {
                    // The switch answers on a router's ports and floating IPs itself: nothing to open.
                    var up = spec.AdminStateUp && (!spec.IsRouterPort || (Guid.TryParse(spec.DeviceId, out var routerId)
                        && desired.Routers.TryGetValue(routerId, out var router) && router.AdminStateUp));
                    statuses[spec.Id] = up
                        ? new PortStatus(spec.Id, PortStatus.Active, -1, null)
                        : new PortStatus(spec.Id, PortStatus.Down, -1, "router or port admin_state_up is false");
                    continue;
                }
                if (spec.Device.Length == 0)
                {
                    // An API port without a binding:profile device is not attached: DOWN, as an unbound Neutron port.
                    statuses[spec.Id] = new PortStatus(spec.Id, PortStatus.Down, -1, "no device: set binding:profile device");
                    continue;
                }
                if (!desired.Networks.ContainsKey(spec.NetworkId))
                {
                    statuses[spec.Id] = new PortStatus(spec.Id, PortStatus.Error, -1, "network does not exist");
                    continue;
                }
                if (_freeSlots.Count == 0)
                {
                    statuses[spec.Id] = new PortStatus(spec.Id, PortStatus.Error, -1, $"all {_datapath.Options.MaxPorts} port slots are in use");
                    continue;
                }
                try
                {
                    var port = Open(spec);
                    var slot = _freeSlots.Min;
                    _freeSlots.Remove(slot);
                    _datapath.ResetBaseline(slot);
                    _datapath.EndCaptures(slot);
                    _running[spec.Id] = new RunningPort(spec, port, slot);
                    // The slot's flow-cache entries may be another port's: the port's verdicts start a new generation.
                    _compiler.Invalidate(spec.Id);
                    ControlLog.PortAttached(_log, spec.Name, spec.Device, slot, desired.Networks[spec.NetworkId].Name);
                    if (port.Fallback is { } fallback)
                    {
                        ControlLog.PortFallback(_log, spec.Name, spec.Device, fallback);
                    }
                }
                catch (PortException ex)
                {
                    ControlLog.PortFailedToOpen(_log, spec.Name, spec.Device, ex.Message);
                    statuses[spec.Id] = new PortStatus(spec.Id, PortStatus.Error, -1, ex.Message);
                }
            }

            // 4. Security policies (only what the change touched is recompiled).
            var compileStart = Stopwatch.GetTimestamp();
            _compiler.Compile(desired);
            LastCompile = Stopwatch.GetElapsedTime(compileStart);
            _logging = NetworkLogOperations.LoggedPorts(desired);
            foreach (var slot in _compiler.NewSlots)
            {
                _datapath.ResetRuleBaseline(slot);
            }

            // 5. Static MAC entries, then the snapshot.
            var now = _datapath.NowMs();
            foreach (var r in _running.Values)
            {
                if (r.Spec.Mac is { } mac)
                {
                    _datapath.Macs.AddStatic(_networkIndex[r.Spec.NetworkId], mac, r.Slot, now);
                }
            }
            var previous = _applied;
            _applied = desired;
            PublishLocked(desired.Networks);
            CutDetachedFloatingIps(previous, desired);
            foreach (var r in _running.Values)
            {
                // Only a status that changed is written: the builder's tree is copied along every path it writes.
                var status = StatusOf(r, desired);
                if (!statuses.TryGetValue(r.Spec.Id, out var old) || !SameStatus(old, status))
                {
                    statuses[r.Spec.Id] = status;
                }
            }
            Volatile.Write(ref _statuses, statuses.ToImmutable());
            ControlLog.Applied(_log, _generation, _running.Count, desired.Networks.Count);
        }
    }

    /// <summary>
    /// A floating IP that no longer translates to a fixed IP (disassociated, moved or deleted) cuts the connections it
    /// carried at once, as a rule removal does: the fixed IP's tracked connections with addresses outside its router's
    /// inside subnets are removed, so their next packet is judged (and, without the floating IP, goes nowhere).
    /// </summary>
    private void CutDetachedFloatingIps(SwitchModel before, SwitchModel after)
    {
        if (before.FloatingIps.IsEmpty)
        {
            return;
        }
        foreach (var old in before.FloatingIps.Values)
        {
            if (old is not { PortId: { } portId, FixedIpAddress: { } fixedIp, RouterId: { } routerId }
                || (after.FloatingIps.TryGetValue(old.Id, out var now) && now.PortId == portId && now.FixedIpAddress == fixedIp && now.RouterId == routerId)
                || !before.Ports.TryGetValue(portId, out var port) || !_networkIndex.TryGetValue(port.NetworkId, out var network))
            {
                continue;
            }
            var zone = _datapath.Publisher.Current.Networks is { } segments && network < segments.Length ? segments[network]?.Zone ?? network : network;
            // Inside: what the router reaches without its gateway (its subnets, its extra routes) and the port's own subnets.
            var inside = RouterOperations.Subnets(before, routerId).Select(s => s.Subnet.Cidr)
                .Concat(before.Routers.TryGetValue(routerId, out var r) ? r.Routes.Select(x => x.Destination) : [])
                .Concat(SubnetOperations.Of(before, port.NetworkId).Select(s => s.Cidr))
                .ToList();
            var address = fixedIp.Address;
            var cut = _datapath.Conntrack.RemoveWhere(c => c.Zone == zone && (c.Source == address || c.Destination == address)
                && !inside.Any(cidr => cidr.Contains(c.Source == address ? c.Destination : c.Source, cidr.Family)));
            ControlLog.FloatingIpConnectionsCut(_log, old.FloatingIpAddress.AddressText, fixedIp.AddressText, cut);
        }
    }

    /// <summary>
    /// Removes the SNAT bindings of a gateway address no router translates to any more (the router deleted, its gateway
    /// cleared or moved, <c>enable_snat</c> off), so that a router given the address later never inherits them.
    /// </summary>
    private void RemoveStaleSnatBindings(RouterTables routers)
    {
        var now = routers.Routers.Where(r => r is { SnatIpv4: not 0 }).Select(r => (r!.NatZone, r.SnatIpv4)).ToHashSet();
        foreach (var (zone, address) in _snatAddresses.Where(a => !now.Contains(a)))
        {
            var gateway = IpAddress128.FromIpv4(address);
            var removed = _datapath.Conntrack.RemoveWhere(c => c.Zone == zone && (c.Source == gateway || c.Destination == gateway));
            ControlLog.SnatBindingsRemoved(_log, gateway.ToString(), removed);
        }
        _snatAddresses = now;
    }

    /// <summary>
    /// Reports ports whose interface vanished (marking them down), and re-opens ports whose type says their device can
    /// come back (<see cref="PortDevice.Revives"/>: an <c>afpacket</c> interface) once it has. Called periodically by the daemon.
    /// </summary>
    public void CheckHealth()
    {
        lock (_gate)
        {
            CloseRetiredLocked();
            var changed = false;
            foreach (var r in _running.Values)
            {
                var failure = r.Port.Failure;
                if (failure is not null && r.DownReason is null)
                {
                    r.DownReason = failure;
                    ControlLog.PortWentDown(_log, r.Spec.Name, r.Spec.Device, failure);
                    _datapath.Macs.FlushPort(r.Slot);
                    changed = true;
                }
                else if (failure is not null && _portTypes.TryParse(r.Spec.Device, out var device, out _) && device!.Revives && TryReopen(r))
                {
                    changed = true;
                }
            }
            if (changed)
            {
                PublishLocked(_applied.Networks);
            }
            // A port's far end may come and go (a vhost-user VM connecting), and its details with it: refresh what changed.
            var refreshed = _statuses.ToBuilder();
            var any = changed;
            foreach (var r in _running.Values)
            {
                var status = StatusOf(r, _applied);
                if (changed || !_statuses.TryGetValue(r.Spec.Id, out var old) || !SameStatus(old, status))
                {
                    refreshed[r.Spec.Id] = status;
                    any = true;
                }
            }
            if (any)
            {
                Volatile.Write(ref _statuses, refreshed.ToImmutable());
            }
        }
    }

    /// <summary>The slot of a running port, or -1.</summary>
    public int SlotOf(Guid portId)
    {
        lock (_gate)
        {
            return _running.TryGetValue(portId, out var r) ? r.Slot : -1;
        }
    }

    private bool TryReopen(RunningPort r)
    {
        IPort port;
        try
        {
            port = Open(r.Spec);
        }
        catch (PortException)
        {
            return false;
        }
        var old = r.Port;
        r.Port = port;
        r.DownReason = null;
        Retire(old, PublishLocked(_applied.Networks), removed: null);
        ControlLog.PortRevived(_log, r.Spec.Name, r.Spec.Device);
        return true;
    }

    private IPort Open(PortSpec spec) => _portTypes.Open(new PortRequest(spec.Device, _datapath.Options.Workers, spec.Mac));

    /// <summary>
    /// Closes <paramref name="port"/> (and frees a removed port's slot) now if every worker has switched to the
    /// snapshot <paramref name="generation"/> that no longer has it, else when they have: a worker still on an older
    /// snapshot may be receiving from or transmitting to it, and the device's memory (rings, io_uring queues) must
    /// outlive that.
    /// </summary>
    private void Retire(IPort port, long generation, RunningPort? removed)
    {
        if (_datapath.WorkersReached(generation))
        {
            Close(new Retired(port, generation, removed));
        }
        else
        {
            _retired.Add(new Retired(port, generation, removed));
        }
    }

    /// <summary>Closes the retired devices that no worker can still use (called before every change and health check).</summary>
    private void CloseRetiredLocked()
    {
        for (var i = _retired.Count - 1; i >= 0; i--)
        {
            var retired = _retired[i];
            if (_datapath.WorkersReached(retired.Generation))
            {
                _retired.RemoveAt(i);
                Close(retired);
                ControlLog.RetiredPortClosed(_log, retired.Port.Device, retired.Generation);
            }
        }
    }

    private void Close(Retired retired)
    {
        if (retired.Removed is { } r)
        {
            Close(r);
        }
        else
        {
            retired.Port.Dispose();
        }
    }

    /// <summary>Devices that left the snapshot but wait for a worker to move past it before they are closed.</summary>
    public int RetiredCount
    {
        get
        {
            lock (_gate)
            {
                return _retired.Count;
            }
        }
    }

    /// <summary>
    /// Closes the retired devices no worker can use any more; after <see cref="Datapath.Stop"/> that is all of them
    /// (the daemon calls this once the workers have stopped).
    /// </summary>
    public void CloseRetired()
    {
        lock (_gate)
        {
            CloseRetiredLocked();
        }
    }

    private void Close(RunningPort r)
    {
        r.Port.Dispose();
        _datapath.Macs.FlushPort(r.Slot);
        // Connections through a removed port end with it; a later port in the same slot must not inherit them.
        _datapath.Conntrack.RemoveWhere(c => c.OrigInPort == r.Slot || c.OrigOutPort == r.Slot);
        _datapath.Fragments.ForgetPort(r.Slot);
        // A capture of the port ends with it (vswitchctl capture says so), never showing a later port's frames.
        _datapath.EndCaptures(r.Slot);
        _freeSlots.Add(r.Slot);
        ControlLog.PortDetached(_log, r.Spec.Name, r.Spec.Device, r.Slot);
    }

    private static bool SameStatus(PortStatus a, PortStatus b) =>
        a.State == b.State && a.Slot == b.Slot && a.Reason == b.Reason
        && (a.Details is null) == (b.Details is null)
        && (a.Details is null || (a.Details.Count == b.Details!.Count && a.Details.All(kv => b.Details.TryGetValue(kv.Key, out var v) && v == kv.Value)));

    private static PortStatus StatusOf(RunningPort r, SwitchModel model)
    {
        var details = r.Port.Details;
        if (r.DownReason is not null)
        {
            return new PortStatus(r.Spec.Id, PortStatus.Down, r.Slot, r.DownReason, details);
        }
        if (r.Port.LinkDown is { } linkDown)
        {
            return new PortStatus(r.Spec.Id, PortStatus.Down, r.Slot, linkDown, details);
        }
        if (!r.Spec.AdminStateUp)
        {
            return new PortStatus(r.Spec.Id, PortStatus.Down, r.Slot, "admin_state_up is false", details);
        }
        if (model.Networks.TryGetValue(r.Spec.NetworkId, out var n) && !n.AdminStateUp)
        {
            return new PortStatus(r.Spec.Id, PortStatus.Down, r.Slot, "network admin_state_up is false", details);
        }
        return new PortStatus(r.Spec.Id, PortStatus.Active, r.Slot, null, details);
    }

    /// <summary>Publishes the running state; returns the snapshot's generation (see <see cref="Retire"/> for a worker that is late).</summary>
    private long PublishLocked(ImmutableSortedDictionary<Guid, NetworkSpec> networks)
    {
        var ports = new SwitchPort?[_datapath.Options.MaxPorts];
        var policyGenerations = new long[ports.Length];
        Array.Fill(policyGenerations, _compiler.Generation);
        var members = new Dictionary<int, List<int>>();
        foreach (var r in _running.Values)
        {
            if (!_networkIndex.TryGetValue(r.Spec.NetworkId, out var net))
            {
                continue;
            }
            var networkUp = networks.TryGetValue(r.Spec.NetworkId, out var n) && n.AdminStateUp;
            var policy = _compiler.PolicyOf(r.Spec.Id);
            policyGenerations[r.Slot] = _compiler.GenerationOf(r.Spec.Id);
            var logging = SecurityGroupLogging.None;
            if (policy is not null && _logging.TryGetValue(r.Spec.Id, out var logged))
            {
                logging = (logged.Accept ? SecurityGroupLogging.Accept : 0) | (logged.Drop ? SecurityGroupLogging.Drop : 0);
            }
            ports[r.Slot] = new SwitchPort(r.Slot, r.Spec.Name, r.Port, net, r.Spec.AdminStateUp && networkUp && r.DownReason is null, r.Spec.Mac,
                policy, logging)
            {
                ConntrackLimit = r.Spec.ConntrackLimit ?? _datapath.Options.ConntrackPortLimit,
                Dhcp = DhcpSettings.For(_applied, r.Spec),
                DhcpV6 = DhcpSettings.V6For(_applied, r.Spec),
                RouterAdvertisement = DhcpSettings.RouterAdvertisementFor(_applied, r.Spec),
            };
            if (!members.TryGetValue(net, out var list))
            {
                members[net] = list = [];
            }
            list.Add(r.Slot);
        }
        var routers = RouterTables.Build(_applied, _networkIndex, _running.Values.Select(r => (r.Spec, r.Slot)));
        RemoveStaleSnatBindings(routers);
        var segments = new NetworkSegment?[_networkIndex.Count == 0 ? 0 : _networkIndex.Values.Max() + 1];
        // A zone is stateful when any port of any of its networks is: a routed connection is tracked at both ends.
        var statefulZones = new HashSet<int>();
        foreach (var (_, index) in _networkIndex)
        {
            if (members.TryGetValue(index, out var m) && m.Any(slot => ports[slot]?.Policy is { Stateful: true }))
            {
                statefulZones.Add(routers.ZoneOf(index));
            }
        }
        foreach (var (id, index) in _networkIndex)
        {
            var name = networks.TryGetValue(id, out var n) ? n.Name : id.ToString();
            var slots = members.TryGetValue(index, out var m) ? m.Order().ToArray() : [];
            var stateful = statefulZones.Contains(routers.ZoneOf(index));
            var segment = n is null
                ? new NetworkSegment(index, name, slots, stateful)
                : new NetworkSegment(index, name, slots, stateful, n.Mtu, n.VlanTransparent);
            var zone = routers.ZoneOf(index);
            var previous = -1;
            if (_zones.TryGetValue(index, out var known))
            {
                previous = known.Zone != zone ? known.Zone : known.Previous;
            }
            _zones[index] = (zone, previous);
            segments[index] = routers.Zones.Count == 0 && previous < 0 ? segment : segment with
            {
                Zone = zone,
                PreviousZone = previous,
                RouterInterfaces = routers.ByNetwork.TryGetValue(index, out var interfaces) ? [.. interfaces] : [],
            };
        }
        var generation = ++_generation;
        var publishStart = Stopwatch.GetTimestamp();
        if (!_datapath.Publish(new DataplaneSnapshot(generation, ports, segments, _compiler.Generation, policyGenerations, _compiler.AddressSets)
            {
                Routers = routers.Routers,
            }))
        {
            ControlLog.PublishTimedOut(_log, generation);
        }
        LastPublish = Stopwatch.GetElapsedTime(publishStart);
        return generation;
    }

    /// <summary>
    /// Detaches every port (the workers first, then the devices; a device a late worker may still use is closed by
    /// <see cref="CloseRetired"/> once the workers have stopped).
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            var all = _running.Values.ToList();
            _running.Clear();
            var generation = PublishLocked(ImmutableSortedDictionary<Guid, NetworkSpec>.Empty);
            foreach (var r in all)
            {
                Retire(r.Port, generation, r);
            }
            _statuses = ImmutableDictionary<Guid, PortStatus>.Empty;
        }
    }
}
