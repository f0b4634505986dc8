using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using VSwitch.Control.Model;
using VSwitch.Control.Persistence;
using VSwitch.Packets;

namespace VSwitch.Control;

/// <summary>
/// The owner of the current desired model: the one place where a change is validated, made durable, applied to the
/// data path and published to readers, in that order.
/// </summary>
/// <remarks>
/// <para><b>What.</b> <see cref="Execute{T}"/> runs a pure operation (<see cref="NetworkOperations"/>,
/// <see cref="PortOperations"/>, ...) against the current model under one lock, commits the difference to the
/// <see cref="StateStore"/>, hands the new model to <see cref="Reconciler.Apply"/>, and only then makes it
/// <see cref="Current"/>. The API answers after <see cref="Execute{T}"/> returns, so every answered change is on disk
/// and in the data path.</para>
/// <para><b>Why one lock.</b> Neutron's checks (duplicates, MAC and IP uniqueness, "in use") are only correct against
/// the model they ran on; two requests validated against the same model could both pass and together break an
/// invariant (two identical rules, one MAC twice). Serialising writers makes every check see every earlier change, so
/// concurrent clients lose no write and create no duplicate. Readers never take the lock: they read the immutable
/// <see cref="Current"/> reference.</para>
/// <para><b>Atomicity.</b> The operation throws before anything is written if the request is refused. If the commit
/// throws, nothing changed. If applying throws after the commit (a bug: the reconciler reports port failures as status,
/// not exceptions), the old model is committed back and re-applied before the exception propagates.</para>
/// <para><b>The configuration file and the store.</b> With a state directory the store is authoritative. The file's
/// objects are merged into it at start and on SIGHUP (<see cref="MergeConfig"/>): what the file adds or changes since the
/// baseline recorded in the store (networks, subnets, ports, groups, routers, floating IPs) is written over the current
/// model, what it no longer has is removed, and objects made
/// through the API are left alone. An unchanged file therefore changes nothing, and an API edit of a file-defined
/// object lasts until the file changes that object.</para>
/// <para><b>Thread-safety.</b> <see cref="Execute{T}"/> and <see cref="MergeConfig"/> serialise on one lock;
/// <see cref="Current"/> is a volatile read of an immutable value.</para>
/// </remarks>
public sealed class ModelService(StateStore store, Reconciler reconciler, ILogger<ModelService> log, TimeProvider? time = null)
{
    private readonly Lock _gate = new();
    private SwitchModel _current = SwitchModel.Empty;

    /// <summary>The model last committed and applied.</summary>
    public SwitchModel Current => Volatile.Read(ref _current);

    /// <summary>Where the time of the last change that replaced the model went (for profiles; read after it returned).</summary>
    public ChangeTimings LastChange { get; private set; }

    /// <summary>
    /// Loads the stored model, merges the configuration file's model into it (see remarks), persists and applies it.
    /// Called once at start.
    /// </summary>
    public SwitchModel Start(SwitchModel fileModel)
    {
        lock (_gate)
        {
            var stored = store.IsInitialized ? store.Load() : SwitchModel.Empty;
            var baseline = store.LoadConfigBaseline() ?? SwitchModel.Empty;
            var merged = Merge(stored, baseline, fileModel, Now);
            CheckReferences(merged);
            store.Commit(stored, merged, fileModel);
            ControlLog.StateLoaded(log, store.Path, merged.Networks.Count, merged.Ports.Count, merged.SecurityGroups.Count);
            reconciler.Apply(merged);
            Volatile.Write(ref _current, merged);
            return merged;
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> on the current model; if it returns a different model, commits and applies
    /// it. Returns the operation's value. A <see cref="NeutronException"/> from the operation leaves everything as it was.
    /// </summary>
    public T Execute<T>(Func<SwitchModel, ModelChange<T>> operation)
    {
        lock (_gate)
        {
            var before = _current;
            var start = Stopwatch.GetTimestamp();
            var change = operation(before);
            var operationTime = Stopwatch.GetElapsedTime(start);
            Replace(before, change.Model, configBaseline: null, operationTime);
            return change.Value;
        }
    }

    /// <summary>Runs a change that returns only the new model (deletes).</summary>
    public void Execute(Func<SwitchModel, SwitchModel> operation) =>
        Execute(model => new ModelChange<bool>(operation(model), true));

    /// <summary>
    /// SIGHUP: merges a re-read configuration file into the current model (see remarks). A merge that would leave a
    /// port without its network or group is refused with a <see cref="NeutronException"/> and changes nothing.
    /// </summary>
    public void MergeConfig(SwitchModel fileModel)
    {
        lock (_gate)
        {
            var before = _current;
            var baseline = store.LoadConfigBaseline() ?? SwitchModel.Empty;
            var merged = Merge(before, baseline, fileModel, Now);
            CheckReferences(merged);
            Replace(before, merged, fileModel);
        }
    }

    private void Replace(SwitchModel before, SwitchModel after, SwitchModel? configBaseline, TimeSpan operationTime = default)
    {
        if (ReferenceEquals(before, after) && configBaseline is null)
        {
            return;
        }
        var start = Stopwatch.GetTimestamp();
        store.Commit(before, after, configBaseline);
        var committed = Stopwatch.GetTimestamp();
        try
        {
            reconciler.Apply(after);
            LastChange = new ChangeTimings(operationTime, Stopwatch.GetElapsedTime(start, committed), Stopwatch.GetElapsedTime(committed), reconciler.LastCompile, reconciler.LastPublish);
        }
        catch
        {
            store.Commit(after, before);
            reconciler.Apply(before);
            throw;
        }
        Volatile.Write(ref _current, after);
    }

    /// <summary>
    /// Applies the file's change (<paramref name="baseline"/> to <paramref name="file"/>) to <paramref name="current"/>,
    /// object by object: added or changed objects are written, removed ones deleted, others untouched.
    /// </summary>
    /// <remarks>
    /// <para>Network logs exist only through the API; a log whose port or group the file removed goes with it.</para>
    /// <para><b>Timestamps.</b> The file's model is built with a fixed clock (so the same file gives the same model, and
    /// an unchanged object compares equal to the baseline); an object written from it is stamped here instead: created
    /// when it first appeared (kept from the current object), updated now.</para>
    /// </remarks>
    internal static SwitchModel Merge(SwitchModel current, SwitchModel baseline, SwitchModel file, DateTimeOffset now) => NetworkLogOperations.Prune(current with
    {
        Networks = MergeMap(current.Networks, baseline.Networks, file.Networks,
            (n, old) => n with { CreatedAt = old?.CreatedAt ?? now, UpdatedAt = now }),
        Subnets = MergeMap(current.Subnets, baseline.Subnets, file.Subnets,
            (s, old) => s with { CreatedAt = old?.CreatedAt ?? now, UpdatedAt = now }),
        Ports = MergeMap(current.Ports, baseline.Ports, file.Ports,
            (p, old) => p with { CreatedAt = old?.CreatedAt ?? now, UpdatedAt = now }),
        SecurityGroups = MergeMap(current.SecurityGroups, baseline.SecurityGroups, file.SecurityGroups,
            (g, old) => g with
            {
                CreatedAt = old?.CreatedAt ?? now,
                UpdatedAt = now,
                Rules = g.Rules.Select(r => old?.Rules.FirstOrDefault(o => o.Id == r.Id) is { } was
                    ? r with { CreatedAt = was.CreatedAt, UpdatedAt = was.UpdatedAt }
                    : r with { CreatedAt = now, UpdatedAt = now }).ToEquatableArray(),
            }),
        Routers = MergeMap(current.Routers, baseline.Routers, file.Routers,
            (r, old) => r with { CreatedAt = old?.CreatedAt ?? now, UpdatedAt = now }),
        FloatingIps = MergeMap(current.FloatingIps, baseline.FloatingIps, file.FloatingIps,
            (f, old) => f with { CreatedAt = old?.CreatedAt ?? now, UpdatedAt = now }),
    });

    private DateTimeOffset Now => (time ?? TimeProvider.System).GetUtcNow();

    private static ImmutableSortedDictionary<Guid, T> MergeMap<T>(
        ImmutableSortedDictionary<Guid, T> current,
        ImmutableSortedDictionary<Guid, T> baseline,
        ImmutableSortedDictionary<Guid, T> file,
        Func<T, T?, T> stamp)
        where T : class
    {
        var result = current;
        foreach (var id in baseline.Keys)
        {
            if (!file.ContainsKey(id))
            {
                result = result.Remove(id);
            }
        }
        foreach (var (id, value) in file)
        {
            // Unchanged in the file: the current object stays as the API left it (edited, or deleted).
            if (baseline.TryGetValue(id, out var old) && old.Equals(value))
            {
                continue;
            }
            result = result.SetItem(id, stamp(value, current.GetValueOrDefault(id)));
        }
        return result;
    }

    private static NeutronException MergeConflict(string message) =>
        new(409, "Conflict", $"The configuration file cannot be merged with the objects made through the API: {message}");

    /// <summary>Every subnet's, port's, router gateway's and floating IP's network, every port's groups, a floating IP's port, and every rule's remote group, must exist after a merge.</summary>
    internal static void CheckReferences(SwitchModel model)
    {
        foreach (var subnet in model.Subnets.Values)
        {
            if (!model.Networks.ContainsKey(subnet.NetworkId))
            {
                throw NeutronErrors.NetworkNotFound(subnet.NetworkId);
            }
        }
        foreach (var port in model.Ports.Values)
        {
            if (!model.Networks.ContainsKey(port.NetworkId))
            {
                throw NeutronErrors.NetworkNotFound(port.NetworkId);
            }
            foreach (var group in port.SecurityGroupIds)
            {
                if (!model.SecurityGroups.ContainsKey(group))
                {
                    throw NeutronErrors.SecurityGroupNotFound(group);
                }
            }
        }
        foreach (var router in model.Routers.Values)
        {
            if (router.ExternalGateway is { } gateway && !model.Networks.ContainsKey(gateway.NetworkId))
            {
                throw NeutronErrors.NetworkNotFound(gateway.NetworkId);
            }
        }
        foreach (var fip in model.FloatingIps.Values)
        {
            if (!model.Networks.ContainsKey(fip.FloatingNetworkId))
            {
                throw NeutronErrors.NetworkNotFound(fip.FloatingNetworkId);
            }
            if (fip.PortId is { } port && !model.Ports.ContainsKey(port))
            {
                throw NeutronErrors.PortNotFound(port);
            }
            if (fip.RouterId is { } router && !model.Routers.ContainsKey(router))
            {
                throw MergeConflict($"floating IP {fip.FloatingIpAddress.AddressText} is associated through router {router}, which would no longer exist");
            }
        }
        // The switch's own ports and what they stand for go together: a router's interfaces and gateway with their
        // router, a floating IP's address holder with its floating IP (the file and the API may each hold one half).
        var holders = new HashSet<string>(StringComparer.Ordinal);
        foreach (var port in model.Ports.Values)
        {
            if (port.IsRouterPort && !(Guid.TryParse(port.DeviceId, out var owner) && model.Routers.ContainsKey(owner)))
            {
                throw MergeConflict($"port {port.Id} ({port.DeviceOwner}) belongs to router {port.DeviceId}, which would no longer exist");
            }
            if (port.DeviceOwner == FloatingIpOperations.AddressOwner)
            {
                holders.Add(port.DeviceId);
            }
        }
        foreach (var fip in model.FloatingIps.Values.Where(f => !holders.Contains(f.Id.ToString())))
        {
            throw MergeConflict($"floating IP {fip.FloatingIpAddress.AddressText} would have lost the port that holds its address");
        }
        foreach (var router in model.Routers.Values.Where(r => r.ExternalGateway is not null && RouterOperations.GatewayPort(model, r.Id) is null))
        {
            throw MergeConflict($"router {router.Id} has a gateway but would have lost its gateway port");
        }
        // One address, one port, per network: the file allocates without seeing what the API allocated since.
        foreach (var network in model.Ports.Values.GroupBy(p => p.NetworkId))
        {
            var taken = new HashSet<IpAddress128>();
            foreach (var ip in network.SelectMany(p => p.FixedIps))
            {
                if (!taken.Add(ip.Address))
                {
                    throw MergeConflict($"address {ip.AddressText} would be held by two ports of network {network.Key}");
                }
            }
        }
        foreach (var rule in model.SecurityGroups.Values.SelectMany(g => g.Rules))
        {
            if (rule.RemoteGroupId is { } remote && !model.SecurityGroups.ContainsKey(remote))
            {
                throw NeutronErrors.SecurityGroupNotFound(remote);
            }
        }
    }
}
