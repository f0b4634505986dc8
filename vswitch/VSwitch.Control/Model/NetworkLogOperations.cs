namespace VSwitch.Control.Model;

/// <summary>
/// Create, update, delete and read network logs (Neutron's <c>logging</c> extension, <c>resource_type</c>
/// <c>security_group</c>), and resolve which ports log what.
/// </summary>
/// <remarks>
/// <para><b>What Neutron does, and so do we</b> (<c>neutron/services/logapi/logging_plugin.py</c>,
/// <c>common/validators.py</c>, <c>common/exceptions.py</c>, <c>neutron_lib/api/definitions/logging.py</c>):</para>
/// <list type="bullet">
/// <item><c>resource_type</c> is required; anything but <c>security_group</c> is <c>InvalidLogResourceType</c> (400).
/// <c>event</c> is one of <c>ACCEPT</c>, <c>DROP</c>, <c>ALL</c> (default), else the API layer's 400.</item>
/// <item>A <c>resource_id</c> that is no security group is <c>ResourceNotFound</c> (404); a <c>target_id</c> that is no
/// port is <c>TargetResourceNotFound</c> (404); both given while the port does not use the group is
/// <c>InvalidResourceConstraint</c> (400).</item>
/// <item>Only <c>name</c>, <c>description</c> and <c>enabled</c> can change (<c>allow_put</c>); the others are
/// read-only after create (the API refuses them).</item>
/// <item>Deleting a security group deletes the logs whose <c>resource_id</c> it is, and deleting a port the logs whose
/// <c>target_id</c> it is (the plugin's <c>_clean_logs</c> on <c>AFTER_DELETE</c>): no 409, no dangling log.
/// <see cref="WithoutGroup"/> and <see cref="WithoutPort"/> do this inside the group and port deletes.</item>
/// <item>An unknown log id is <c>LogResourceNotFound</c> (404).</item>
/// </list>
/// <para><b>Thread-safety.</b> Pure functions of immutable inputs (see <see cref="SwitchModel"/> on applying results).</para>
/// </remarks>
public static class NetworkLogOperations
{
    public static ModelChange<NetworkLog> Create(SwitchModel model, NetworkLogBody request, OperationContext context)
    {
        var name = NeutronAttributes.Name(request.Name);
        var description = NeutronAttributes.Description(request.Description);
        var project = NeutronAttributes.Project(request.ProjectId, context);
        var resourceType = request.ResourceType ?? throw NeutronErrors.MissingAttribute("resource_type");
        var logEvent = NetworkLogEvent.All;
        if (request.Event is not null && !NetworkLogEvents.TryParse(request.Event, out logEvent))
        {
            throw NeutronErrors.InvalidAttribute("event", $"{request.Event} is not in [{string.Join(", ", NetworkLogEvents.Names.Select(n => $"'{n}'"))}]");
        }
        if (resourceType != NetworkLog.SecurityGroupType)
        {
            throw NeutronErrors.InvalidLogResourceType(resourceType);
        }
        if (request.ResourceId is { } groupId && !model.SecurityGroups.ContainsKey(groupId))
        {
            throw NeutronErrors.LogResourceReferenceNotFound(groupId);
        }
        PortSpec? port = null;
        if (request.TargetId is { } portId && !model.Ports.TryGetValue(portId, out port))
        {
            throw NeutronErrors.LogTargetNotFound(portId);
        }
        if (request.ResourceId is { } group && port is not null && !port.SecurityGroupIds.Contains(group))
        {
            throw NeutronErrors.InvalidLogResourceConstraint(group, port.Id);
        }
        var now = context.Now();
        var log = new NetworkLog(context.NewId(), name, description, project, resourceType, request.ResourceId, request.TargetId, logEvent,
            request.Enabled ?? true)
        {
            CreatedAt = now,
            UpdatedAt = now,
        };
        return new ModelChange<NetworkLog>(model with { Logs = model.Logs.Add(log.Id, log) }, log);
    }

    /// <summary>Changes <c>name</c>, <c>description</c> and <c>enabled</c>; the API refuses the other attributes.</summary>
    public static ModelChange<NetworkLog> Update(SwitchModel model, Guid id, NetworkLogBody request, OperationContext context)
    {
        var name = request.Name is null ? null : NeutronAttributes.Name(request.Name);
        var description = request.Description is null ? null : NeutronAttributes.Description(request.Description);
        var log = Get(model, id, context);
        NeutronAttributes.RefuseProjectChange(request.ProjectId, log.ProjectId);
        var updated = log with
        {
            Name = name ?? log.Name,
            Description = description ?? log.Description,
            Enabled = request.Enabled ?? log.Enabled,
            RevisionNumber = log.RevisionNumber + 1,
            UpdatedAt = context.Now(),
        };
        return new ModelChange<NetworkLog>(model with { Logs = model.Logs.SetItem(id, updated) }, updated);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id, OperationContext context)
    {
        Get(model, id, context);
        return model with { Logs = model.Logs.Remove(id) };
    }

    /// <summary>The log, or <c>LogResourceNotFound</c> (404) if it is missing or not visible to the caller.</summary>
    public static NetworkLog Get(SwitchModel model, Guid id, OperationContext context) =>
        model.Logs.TryGetValue(id, out var log) && context.CanSee(log.ProjectId) ? log : throw NeutronErrors.LogResourceNotFound(id);

    public static IEnumerable<NetworkLog> List(SwitchModel model, OperationContext context) =>
        model.Logs.Values.Where(l => context.CanSee(l.ProjectId));

    /// <summary>The model without the logs of a deleted security group (Neutron's <c>_clean_logs_by_resource_id</c>).</summary>
    internal static SwitchModel WithoutGroup(SwitchModel model, Guid groupId) => Without(model, l => l.ResourceId == groupId);

    /// <summary>The model without the logs of a deleted port (Neutron's <c>_clean_logs_by_target_id</c>).</summary>
    internal static SwitchModel WithoutPort(SwitchModel model, Guid portId) => Without(model, l => l.TargetId == portId);

    /// <summary>
    /// The model without logs whose group or port no longer exists: a configuration-file merge can remove a port or
    /// group without going through <see cref="PortOperations.Delete"/>.
    /// </summary>
    internal static SwitchModel Prune(SwitchModel model) => Without(model, l =>
        (l.ResourceId is { } g && !model.SecurityGroups.ContainsKey(g)) || (l.TargetId is { } p && !model.Ports.ContainsKey(p)));

    private static SwitchModel Without(SwitchModel model, Func<NetworkLog, bool> match)
    {
        var logs = model.Logs;
        foreach (var log in model.Logs.Values)
        {
            if (match(log))
            {
                logs = logs.Remove(log.Id);
            }
        }
        return ReferenceEquals(logs, model.Logs) ? model : model with { Logs = logs };
    }

    /// <summary>True if <paramref name="log"/> covers <paramref name="port"/> (see <see cref="NetworkLog"/> on scope).</summary>
    public static bool Covers(NetworkLog log, PortSpec port)
    {
        if (!port.PortSecurityEnabled)
        {
            return false;
        }
        if (log.TargetId is { } target)
        {
            return target == port.Id && (log.ResourceId is not { } group || port.SecurityGroupIds.Contains(group));
        }
        if (log.ResourceId is { } only)
        {
            return port.SecurityGroupIds.Contains(only);
        }
        return port.ProjectId == log.ProjectId;
    }

    /// <summary>The enabled logs that cover <paramref name="port"/>, in id order.</summary>
    public static IEnumerable<NetworkLog> LogsOf(SwitchModel model, PortSpec port) =>
        model.Logs.Values.Where(l => l.Enabled && Covers(l, port));

    /// <summary>
    /// Which ports log what: for every port some enabled log covers, whether it logs allowed connections and dropped
    /// packets. Ports that log nothing are absent.
    /// </summary>
    public static Dictionary<Guid, (bool Accept, bool Drop)> LoggedPorts(SwitchModel model)
    {
        var result = new Dictionary<Guid, (bool Accept, bool Drop)>();
        if (model.Logs.IsEmpty)
        {
            return result;
        }
        foreach (var port in model.Ports.Values)
        {
            bool accept = false, drop = false;
            foreach (var log in LogsOf(model, port))
            {
                accept |= log.LogsAccept;
                drop |= log.LogsDrop;
            }
            if (accept || drop)
            {
                result[port.Id] = (accept, drop);
            }
        }
        return result;
    }
}
