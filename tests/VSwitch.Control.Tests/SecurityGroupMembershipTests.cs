using VSwitch.Control.Model;

namespace VSwitch.Control.Tests;

public class SecurityGroupMembershipTests
{
    private readonly OperationContext _context = Given.Context();
    private readonly SwitchModel _model;
    private readonly Guid _network;
    private readonly Guid _web;
    private readonly Guid _db;

    public SecurityGroupMembershipTests()
    {
        var (model, network, web) = Given.NetworkAndGroup(_context);
        var db = Given.Group(model, _context, "db");
        // db allows 5432 from members of web.
        _model = SecurityGroupRuleOperations.Create(db.Model, new SecurityGroupRuleBody(db.Value.Id, "ingress", Protocol: "tcp", PortRangeMin: 5432, PortRangeMax: 5432, RemoteGroupId: web), _context).Model;
        (_network, _web, _db) = (network, web, db.Value.Id);
    }

    private ModelChange<PortSpec> Port(SwitchModel model, string name, EquatableArray<Guid> groups, params string[] ips) =>
        PortOperations.Create(model, new PortBody(name, _network, FixedIps: [.. ips.Select(ip => (FixedIpBody)ip)], SecurityGroups: groups.ToArray()), _context);

    [Fact]
    public void Addresses_FixedIpsAndAllowedPairsOfMembers()
    {
        var a = Port(_model, "a", [_web], "10.0.0.5", "2001:db8::5");
        var b = PortOperations.Create(a.Model, new PortBody("b", _network, FixedIps: ["10.0.0.6"], SecurityGroups: [_web], AllowedAddressPairs: [new("10.9.0.0/16")]), _context);
        var c = Port(b.Model, "c", [_db], "10.0.0.7");
        var membership = SecurityGroupMembership.Of(c.Model);
        Assert.Equal(["10.0.0.5/32", "10.0.0.6/32", "10.9.0.0/16", "2001:db8::5/128"], membership.Addresses(_web).Select(p => p.ToString()));
        Assert.Equal(["2001:db8::5/128"], membership.Addresses(_web, Ethertype.IPv6).Select(p => p.ToString()));
        Assert.Equal(["10.0.0.7/32"], membership.Addresses(_db).Select(p => p.ToString()));
        Assert.Equal(2, membership.Members(_web).Length);
    }

    [Fact]
    public void Addresses_GroupWithoutMembers_IsEmpty()
    {
        Assert.Empty(SecurityGroupMembership.Of(_model).Addresses(_web));
        Assert.Empty(SecurityGroupMembership.Of(_model).Members(Guid.NewGuid()));
    }

    [Fact]
    public void Addresses_MemberLeaves_GoneInTheNextModel()
    {
        var a = Port(_model, "a", [_web], "10.0.0.5");
        Assert.Single(SecurityGroupMembership.Of(a.Model).Addresses(_web));
        var left = PortOperations.Update(a.Model, a.Value.Id, new PortBody(SecurityGroups: [_db]), _context).Model;
        Assert.Empty(SecurityGroupMembership.Of(left).Addresses(_web));
        Assert.Single(SecurityGroupMembership.Of(left).Addresses(_db));
    }

    [Fact]
    public void EffectiveRules_UnionOfTheGroupsRules()
    {
        var a = Port(_model, "a", [_web, _db], "10.0.0.5");
        var rules = SecurityGroupMembership.Of(a.Model).EffectiveRules(a.Value.Id);
        Assert.Equal(a.Model.SecurityGroups[_web].Rules.Count + a.Model.SecurityGroups[_db].Rules.Count, rules.Length);
        Assert.Equal(rules.Length, rules.Select(r => r.Id).Distinct().Count());
        Assert.Contains(rules, r => r.RemoteGroupId == _web && r.PortRangeMin == 5432);
    }

    [Fact]
    public void EffectiveRules_PortWithoutGroupsOrUnknown_IsEmpty()
    {
        var a = Port(_model, "a", [], "10.0.0.5");
        var membership = SecurityGroupMembership.Of(a.Model);
        Assert.Empty(membership.EffectiveRules(a.Value.Id));
        Assert.Empty(membership.EffectiveRules(Guid.NewGuid()));
    }

    [Fact]
    public void PortsDependingOn_MembersOfGroupsThatNameTheGroupAsRemote()
    {
        var webPort = Port(_model, "w", [_web], "10.0.0.5");
        var dbPort = Port(webPort.Model, "d", [_db], "10.0.0.6");
        var membership = SecurityGroupMembership.Of(dbPort.Model);
        Assert.Equal<Guid>([_db], membership.GroupsReferencing(_web));
        Assert.Equal([dbPort.Value.Id], membership.PortsDependingOn(_web).Select(p => p.Id));
        Assert.Empty(membership.PortsDependingOn(_db));
    }

    [Fact]
    public void PortsDependingOn_DefaultGroupReferencesItself()
    {
        var port = PortOperations.Create(_model, new PortBody("x", _network, FixedIps: ["10.0.0.9"]), _context);
        var defaultId = port.Model.DefaultGroupOf(_context.ProjectId)!.Id;
        var membership = SecurityGroupMembership.Of(port.Model);
        Assert.Equal<Guid>([defaultId], membership.GroupsReferencing(defaultId));
        Assert.Equal([port.Value.Id], membership.PortsDependingOn(defaultId).Select(p => p.Id));
        Assert.Equal(["10.0.0.9/32"], membership.Addresses(defaultId).Select(p => p.ToString()));
    }

    [Fact]
    public void IsStateful_FollowsThePortsGroups()
    {
        var raw = Given.Group(_model, _context, "raw", stateful: false);
        var a = PortOperations.Create(raw.Model, new PortBody("a", _network, SecurityGroups: [raw.Value.Id]), _context);
        var b = PortOperations.Create(a.Model, new PortBody("b", _network, SecurityGroups: [_web]), _context);
        var membership = SecurityGroupMembership.Of(b.Model);
        Assert.False(membership.IsStateful(a.Value.Id));
        Assert.True(membership.IsStateful(b.Value.Id));
    }
}
