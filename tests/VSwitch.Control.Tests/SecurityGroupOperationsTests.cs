using VSwitch.Control.Model;

namespace VSwitch.Control.Tests;

public class SecurityGroupOperationsTests
{
    private readonly OperationContext _context = Given.Context();

    [Fact]
    public void Create_NewGroup_HasTheTwoEgressAnywhereRules()
    {
        var group = Given.Group(SwitchModel.Empty, _context, "web").Value;
        Assert.Equal(2, group.Rules.Count);
        Assert.All(group.Rules, r =>
        {
            Assert.Equal(RuleDirection.Egress, r.Direction);
            Assert.Null(r.Protocol);
            Assert.Null(r.RemoteIpPrefix);
            Assert.Null(r.RemoteGroupId);
            Assert.Equal(group.Id, r.SecurityGroupId);
        });
        Assert.Equal([Ethertype.IPv4, Ethertype.IPv6], group.Rules.Select(r => r.Ethertype));
        Assert.True(group.Stateful);
        Assert.Equal(ProjectId.Parse("p1"), group.ProjectId);
    }

    [Fact]
    public void Create_FirstUseOfAProject_AlsoCreatesItsDefaultGroup()
    {
        var change = Given.Group(SwitchModel.Empty, _context, "web");
        var defaultGroup = change.Model.DefaultGroupOf(ProjectId.Parse("p1"));
        Assert.NotNull(defaultGroup);
        Assert.Equal(2, change.Model.SecurityGroups.Count);
    }

    [Fact]
    public void Create_Stateless_IsStateless()
    {
        Assert.False(Given.Group(SwitchModel.Empty, _context, stateful: false).Value.Stateful);
    }

    [Theory]
    [InlineData("default")]
    [InlineData("Default")]
    [InlineData("DEFAULT")]
    public void Create_NamedDefault_Returns409(string name)
    {
        var ex = Given.Refused(409, "SecurityGroupDefaultAlreadyExists", () => Given.Group(SwitchModel.Empty, _context, name));
        Assert.Equal("Default security group already exists.", ex.Message);
    }

    [Fact]
    public void Create_NameTooLong_Returns400()
    {
        Given.Refused(400, "HTTPBadRequest", () => Given.Group(SwitchModel.Empty, _context, new string('x', 256)));
    }

    [Fact]
    public void Update_RenameToDefault_Returns409()
    {
        var g = Given.Group(SwitchModel.Empty, _context);
        Given.Refused(409, "SecurityGroupDefaultAlreadyExists", () => SecurityGroupOperations.Update(g.Model, g.Value.Id, new SecurityGroupBody("default"), _context));
    }

    [Fact]
    public void Update_RenameTheDefaultGroup_Returns409()
    {
        var g = Given.Group(SwitchModel.Empty, _context);
        var defaultId = g.Model.DefaultGroupOf(_context.ProjectId)!.Id;
        Given.Refused(409, "SecurityGroupCannotUpdateDefault", () => SecurityGroupOperations.Update(g.Model, defaultId, new SecurityGroupBody("mine"), _context));
    }

    [Fact]
    public void Update_DescriptionOfTheDefaultGroup_IsAllowed()
    {
        var g = Given.Group(SwitchModel.Empty, _context);
        var defaultId = g.Model.DefaultGroupOf(_context.ProjectId)!.Id;
        var updated = SecurityGroupOperations.Update(g.Model, defaultId, new SecurityGroupBody(Description: "ours"), _context).Value;
        Assert.Equal(("default", "ours", 1L), (updated.Name, updated.Description, updated.RevisionNumber));
    }

    [Fact]
    public void Update_NameAndDescription_ChangeAndBumpRevision()
    {
        var g = Given.Group(SwitchModel.Empty, _context);
        var updated = SecurityGroupOperations.Update(g.Model, g.Value.Id, new SecurityGroupBody("new", "text"), _context);
        Assert.Equal(("new", "text", 1L), (updated.Value.Name, updated.Value.Description, updated.Value.RevisionNumber));
        Assert.Equal(updated.Value, updated.Model.SecurityGroups[g.Value.Id]);
        Assert.Equal(g.Value.Rules, updated.Value.Rules);
    }

    private (SwitchModel Model, Guid Group) GroupOnAPort(bool stateful = true)
    {
        var (model, network, group) = Given.NetworkAndGroup(_context);
        if (!stateful)
        {
            model = SecurityGroupOperations.Update(model, group, new SecurityGroupBody(Stateful: false), _context).Model;
        }
        model = PortOperations.Create(model, new PortBody("p", network, SecurityGroups: [group]), _context).Model;
        return (model, group);
    }

    [Fact]
    public void Update_StatefulWhileInUse_Returns409()
    {
        var (model, group) = GroupOnAPort();
        var ex = Given.Refused(409, "SecurityGroupInUse", () => SecurityGroupOperations.Update(model, group, new SecurityGroupBody(Stateful: false), _context));
        Assert.Equal($"Security Group {group} in use.", ex.Message);
    }

    [Fact]
    public void Update_StatefulToSameValueWhileInUse_IsAllowed()
    {
        var (model, group) = GroupOnAPort();
        Assert.True(SecurityGroupOperations.Update(model, group, new SecurityGroupBody("renamed", Stateful: true), _context).Value.Stateful);
    }

    [Fact]
    public void Update_StatefulWhileUnused_Changes()
    {
        var g = Given.Group(SwitchModel.Empty, _context);
        Assert.False(SecurityGroupOperations.Update(g.Model, g.Value.Id, new SecurityGroupBody(Stateful: false), _context).Value.Stateful);
    }

    [Fact]
    public void Update_UnknownGroup_Returns404()
    {
        Given.Refused(404, "SecurityGroupNotFound", () => SecurityGroupOperations.Update(SwitchModel.Empty, Guid.NewGuid(), new SecurityGroupBody("x"), _context));
    }

    [Fact]
    public void Delete_InUse_Returns409()
    {
        var (model, group) = GroupOnAPort();
        Given.Refused(409, "SecurityGroupInUse", () => SecurityGroupOperations.Delete(model, group, _context));
    }

    [Fact]
    public void Delete_DefaultGroupInUse_Returns409()
    {
        var (model, network, _) = Given.NetworkAndGroup(_context);
        model = PortOperations.Create(model, new PortBody("p", network), _context).Model;
        var defaultId = model.DefaultGroupOf(_context.ProjectId)!.Id;
        Given.Refused(409, "SecurityGroupInUse", () => SecurityGroupOperations.Delete(model, defaultId, _context));
    }

    [Fact]
    public void Delete_DefaultGroupAsNonAdmin_Returns409()
    {
        var user = Given.Context(admin: false);
        var g = Given.Group(SwitchModel.Empty, user);
        var defaultId = g.Model.DefaultGroupOf(user.ProjectId)!.Id;
        var ex = Given.Refused(409, "SecurityGroupCannotRemoveDefault", () => SecurityGroupOperations.Delete(g.Model, defaultId, user));
        Assert.Equal("Insufficient rights for removing default security group.", ex.Message);
    }

    [Fact]
    public void Delete_UnusedDefaultGroupAsAdmin_Removes()
    {
        var g = Given.Group(SwitchModel.Empty, _context);
        var defaultId = g.Model.DefaultGroupOf(_context.ProjectId)!.Id;
        Assert.DoesNotContain(defaultId, SecurityGroupOperations.Delete(g.Model, defaultId, _context).SecurityGroups.Keys);
    }

    [Fact]
    public void Delete_UnknownGroup_Returns404()
    {
        Given.Refused(404, "SecurityGroupNotFound", () => SecurityGroupOperations.Delete(SwitchModel.Empty, Guid.NewGuid(), _context));
    }

    [Fact]
    public void Delete_GroupNamedAsRemoteGroup_RemovesTheRulesThatNameIt()
    {
        var db = Given.Group(SwitchModel.Empty, _context, "db");
        var app = Given.Group(db.Model, _context, "app");
        var rule = SecurityGroupRuleOperations.Create(app.Model, new SecurityGroupRuleBody(db.Value.Id, "ingress", Protocol: "tcp", PortRangeMin: 5432, PortRangeMax: 5432, RemoteGroupId: app.Value.Id), _context);
        var model = SecurityGroupOperations.Delete(rule.Model, app.Value.Id, _context);
        Assert.DoesNotContain(app.Value.Id, model.SecurityGroups.Keys);
        Assert.Null(model.FindRule(rule.Value.Id));
        Assert.Equal(2, model.SecurityGroups[db.Value.Id].Rules.Count);
    }

    [Fact]
    public void Get_OtherProjectsGroupAsNonAdmin_Returns404()
    {
        var g = Given.Group(SwitchModel.Empty, _context);
        var other = Given.Context("p2", admin: false);
        Given.Refused(404, "SecurityGroupNotFound", () => SecurityGroupOperations.Get(g.Model, g.Value.Id, other));
        Assert.Empty(SecurityGroupOperations.List(g.Model, other));
        Assert.Equal(2, SecurityGroupOperations.List(g.Model, _context).Count());
    }
}
