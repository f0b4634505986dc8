using VSwitch.Control.Model;

namespace VSwitch.Control.Tests;

public sealed class NetworkLogOperationsTests
{
    private readonly OperationContext _context = Given.Context();

    /// <summary>A network, group g, port a in g, port b without g (default group), port c without port security.</summary>
    private (SwitchModel Model, Guid Group, Guid A, Guid B, Guid C) Setup()
    {
        var (model, net, group) = Given.NetworkAndGroup(_context);
        var a = PortOperations.Create(model, new PortBody("a", net, SecurityGroups: [group]), _context);
        var b = PortOperations.Create(a.Model, new PortBody("b", net), _context);
        var c = PortOperations.Create(b.Model, new PortBody("c", net, PortSecurityEnabled: false), _context);
        return (c.Model, group, a.Value.Id, b.Value.Id, c.Value.Id);
    }

    [Fact]
    public void Create_Defaults_AllEventsEnabled()
    {
        var (model, _, _, _, _) = Setup();
        var log = NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group"), _context).Value;
        Assert.Equal((NetworkLogEvent.All, true, "", null, null), (log.Event, log.Enabled, log.Name, log.ResourceId, log.TargetId));
        Assert.Equal(_context.ProjectId, log.ProjectId);
        Assert.Equal(Given.Time, log.CreatedAt);
    }

    [Fact]
    public void Create_Invalid_RefusedAsNeutron()
    {
        var (model, group, a, b, _) = Setup();
        Given.Refused(400, "HTTPBadRequest", () => NetworkLogOperations.Create(model, new NetworkLogBody(), _context));
        Given.Refused(400, "InvalidLogResourceType", () => NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "firewall_group"), _context));
        Given.Refused(400, "HTTPBadRequest", () => NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group", Event: "accept"), _context));
        Given.Refused(404, "ResourceNotFound", () => NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group", ResourceId: Guid.NewGuid()), _context));
        Given.Refused(404, "TargetResourceNotFound", () => NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group", TargetId: Guid.NewGuid()), _context));
        var ex = Given.Refused(400, "InvalidResourceConstraint",
            () => NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group", ResourceId: group, TargetId: b), _context));
        Assert.Equal($"Invalid resource constraint between resource (security_group {group}) and target resource (port {b}).", ex.Message);
        var ok = NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group", ResourceId: group, TargetId: a, Event: "DROP"), _context);
        Assert.Equal(NetworkLogEvent.Drop, ok.Value.Event);
    }

    [Fact]
    public void Update_ChangesNameDescriptionEnabled_BumpsRevision()
    {
        var (model, _, _, _, _) = Setup();
        var created = NetworkLogOperations.Create(model, new NetworkLogBody("l", ResourceType: "security_group"), _context);
        var updated = NetworkLogOperations.Update(created.Model, created.Value.Id, new NetworkLogBody("m", "d", Enabled: false), _context).Value;
        Assert.Equal(("m", "d", false, 1L), (updated.Name, updated.Description, updated.Enabled, updated.RevisionNumber));
        Given.Refused(404, "LogResourceNotFound", () => NetworkLogOperations.Update(created.Model, Guid.NewGuid(), new NetworkLogBody("x"), _context));
        Given.Refused(404, "LogResourceNotFound", () => NetworkLogOperations.Delete(created.Model, Guid.NewGuid(), _context));
    }

    [Fact]
    public void LoggedPorts_Scopes_TargetGroupProject()
    {
        var (model, group, a, b, c) = Setup();
        Assert.Empty(NetworkLogOperations.LoggedPorts(model));

        var byGroup = NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group", ResourceId: group, Event: "ACCEPT"), _context);
        Assert.Equal([a], NetworkLogOperations.LoggedPorts(byGroup.Model).Keys);
        Assert.Equal((true, false), NetworkLogOperations.LoggedPorts(byGroup.Model)[a]);

        var byPort = NetworkLogOperations.Create(byGroup.Model, new NetworkLogBody(ResourceType: "security_group", TargetId: b, Event: "DROP"), _context);
        var ports = NetworkLogOperations.LoggedPorts(byPort.Model);
        Assert.Equal([a, b], ports.Keys.Order());
        Assert.Equal((false, true), ports[b]);

        // Neither: every port of the project with port security (not c).
        var all = NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group"), _context);
        Assert.Equal([a, b], NetworkLogOperations.LoggedPorts(all.Model).Keys.Order());
        Assert.DoesNotContain(c, NetworkLogOperations.LoggedPorts(all.Model).Keys);
        var other = NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group", ProjectId: "p2"), _context);
        Assert.Empty(NetworkLogOperations.LoggedPorts(other.Model));

        // Disabled logs log nothing.
        var disabled = NetworkLogOperations.Update(all.Model, all.Value.Id, new NetworkLogBody(Enabled: false), _context);
        Assert.Empty(NetworkLogOperations.LoggedPorts(disabled.Model));

        // Group and port given: only while the port uses the group.
        var both = NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group", ResourceId: group, TargetId: a), _context);
        Assert.Equal([a], NetworkLogOperations.LoggedPorts(both.Model).Keys);
        var moved = PortOperations.Update(both.Model, a, new PortBody(SecurityGroups: []), _context);
        Assert.Empty(NetworkLogOperations.LoggedPorts(moved.Model));
    }

    [Fact]
    public void DeletePortOrGroup_DeletesTheirLogs()
    {
        var (model, group, a, b, _) = Setup();
        var byGroup = NetworkLogOperations.Create(model, new NetworkLogBody(ResourceType: "security_group", ResourceId: group), _context);
        var byPort = NetworkLogOperations.Create(byGroup.Model, new NetworkLogBody(ResourceType: "security_group", TargetId: b), _context);
        var all = NetworkLogOperations.Create(byPort.Model, new NetworkLogBody(ResourceType: "security_group"), _context);

        var withoutB = PortOperations.Delete(all.Model, b, _context);
        Assert.Equal([byGroup.Value.Id, all.Value.Id], withoutB.Logs.Keys.Order());

        // The group is in use by a: refused as before, logs untouched; once a is gone, the group's log goes with it.
        Given.Refused(409, "SecurityGroupInUse", () => SecurityGroupOperations.Delete(withoutB, group, _context));
        var withoutA = PortOperations.Delete(withoutB, a, _context);
        var withoutGroup = SecurityGroupOperations.Delete(withoutA, group, _context);
        Assert.Equal([all.Value.Id], withoutGroup.Logs.Keys);
    }
}
