using VSwitch.Control.Model;

namespace VSwitch.Control.Tests;

public class ProjectDefaultsTests
{
    private static readonly ProjectId s_project = ProjectId.Parse("0123456789abcdef0123456789abcdef");

    private static OperationContext WithPresets(EquatableArray<PresetGroup>? presets = null) =>
        Given.Context(s_project.Value, presets: presets ?? ProjectDefaults.ShippedPresets);

    private static SecurityGroup Named(SwitchModel model, string name) =>
        model.SecurityGroups.Values.Single(g => g.ProjectId == s_project && g.Name == name);

    [Fact]
    public void EnsureProject_FirstUse_CreatesDefaultWithNeutronsFourRules()
    {
        var model = ProjectDefaults.EnsureProject(SwitchModel.Empty, s_project, Given.Context());
        var group = Assert.Single(model.SecurityGroups.Values);
        Assert.Equal(("default", "Default security group", true), (group.Name, group.Description, group.Stateful));
        Assert.True(group.IsDefault);
        var ingress = group.Rules.Where(r => r.Direction == RuleDirection.Ingress).ToList();
        var egress = group.Rules.Where(r => r.Direction == RuleDirection.Egress).ToList();
        Assert.Equal([Ethertype.IPv4, Ethertype.IPv6], ingress.Select(r => r.Ethertype));
        Assert.All(ingress, r => Assert.Equal((group.Id, (IpPrefix?)null, (string?)null), (r.RemoteGroupId!.Value, r.RemoteIpPrefix, r.Protocol)));
        Assert.Equal([Ethertype.IPv4, Ethertype.IPv6], egress.Select(r => r.Ethertype));
        Assert.All(egress, r => Assert.Equal(((Guid?)null, (IpPrefix?)null), (r.RemoteGroupId, r.RemoteIpPrefix)));
    }

    [Fact]
    public void EnsureProject_ShippedPresets_CreatesTheFourPresetGroups()
    {
        var model = ProjectDefaults.EnsureProject(SwitchModel.Empty, s_project, WithPresets());
        Assert.Equal(
            ["default", "icmp", "remote-desktop-protocol", "ssh", "web"],
            model.SecurityGroups.Values.Select(g => g.Name).Order(StringComparer.Ordinal));

        var ssh = Named(model, "ssh");
        Assert.Equal(4, ssh.Rules.Count);
        Assert.Equal(2, ssh.Rules.Count(r => r.Direction == RuleDirection.Egress && r.RemoteIpPrefix is null && r.Protocol is null));
        var sshIngress = ssh.Rules.Where(r => r.Direction == RuleDirection.Ingress).ToList();
        Assert.Equal(["0.0.0.0/0", "::/0"], sshIngress.Select(r => r.RemoteIpPrefix.ToString()));
        Assert.All(sshIngress, r => Assert.Equal(("tcp", 22, 22), (r.Protocol, r.PortRangeMin!.Value, r.PortRangeMax!.Value)));

        Assert.Equal([3389, 3389], Named(model, "remote-desktop-protocol").Rules.Where(r => r.Direction == RuleDirection.Ingress).Select(r => r.PortRangeMin!.Value));
        Assert.Equal(
            [80, 80, 443, 443, 8080, 8080],
            Named(model, "web").Rules.Where(r => r.Direction == RuleDirection.Ingress).Select(r => r.PortRangeMin!.Value));
        Assert.Equal(
            [("icmp", Ethertype.IPv4), ("ipv6-icmp", Ethertype.IPv6)],
            Named(model, "icmp").Rules.Where(r => r.Direction == RuleDirection.Ingress).Select(r => (r.Protocol!, r.Ethertype)));
    }

    [Fact]
    public void EnsureProject_SecondCall_ReturnsTheSameModel()
    {
        var context = WithPresets();
        var model = ProjectDefaults.EnsureProject(SwitchModel.Empty, s_project, context);
        Assert.Same(model, ProjectDefaults.EnsureProject(model, s_project, context));
    }

    [Fact]
    public void EnsureProject_NoProject_ReturnsTheSameModel()
    {
        Assert.Same(SwitchModel.Empty, ProjectDefaults.EnsureProject(SwitchModel.Empty, ProjectId.None, WithPresets()));
    }

    [Fact]
    public void EnsureProject_TwoProjects_EachGetsItsOwnGroups()
    {
        var context = WithPresets();
        var model = ProjectDefaults.EnsureProject(SwitchModel.Empty, s_project, context);
        model = ProjectDefaults.EnsureProject(model, ProjectId.Parse("admin"), context);
        Assert.Equal(10, model.SecurityGroups.Count);
        Assert.NotEqual(model.DefaultGroupOf(s_project)!.Id, model.DefaultGroupOf(ProjectId.Parse("admin"))!.Id);
    }

    [Fact]
    public void EnsureProject_RenamedPreset_UsesTheConfiguredName()
    {
        PresetGroup[] presets =
        [
            new("bin-ssh", "ssh for the lab", [new SecurityGroupRuleBody(Direction: "ingress", Protocol: "tcp", PortRangeMin: 22, PortRangeMax: 22, RemoteIpPrefix: "10.0.0.0/8")]),
        ];
        var model = ProjectDefaults.EnsureProject(SwitchModel.Empty, s_project, WithPresets(presets.ToEquatableArray()));
        var group = Named(model, "bin-ssh");
        Assert.Equal("10.0.0.0/8", group.Rules[^1].RemoteIpPrefix.ToString());
        Assert.DoesNotContain(model.SecurityGroups.Values, g => g.Name == "ssh");
    }

    [Fact]
    public void EnsureProject_DefaultDeletedByAdmin_RecreatesItAndOnlyTheMissingPresets()
    {
        var context = WithPresets();
        var model = ProjectDefaults.EnsureProject(SwitchModel.Empty, s_project, context);
        model = SecurityGroupOperations.Delete(model, model.DefaultGroupOf(s_project)!.Id, context);
        model = SecurityGroupOperations.Delete(model, Named(model, "web").Id, context);
        model = ProjectDefaults.EnsureProject(model, s_project, context);
        Assert.Equal(5, model.SecurityGroups.Count);
        Assert.Single(model.SecurityGroups.Values, g => g.Name == "ssh");
        Assert.NotNull(model.DefaultGroupOf(s_project));
    }

    [Fact]
    public void ValidatePresets_Shipped_Passes()
    {
        ProjectDefaults.ValidatePresets(ProjectDefaults.ShippedPresets);
    }

    [Fact]
    public void ValidatePresets_BadRule_ThrowsNeutronsError()
    {
        PresetGroup[] presets = [new("bad", "", [new SecurityGroupRuleBody(Direction: "ingress", Protocol: "tcp", PortRangeMin: 22)])];
        Given.Refused(400, "SecurityGroupInvalidPortRange", () => ProjectDefaults.ValidatePresets(presets));
    }

    [Fact]
    public void ValidatePresets_NamedDefault_Throws()
    {
        PresetGroup[] presets = [new("Default", "", [])];
        Given.Refused(409, "SecurityGroupDefaultAlreadyExists", () => ProjectDefaults.ValidatePresets(presets));
    }

    [Fact]
    public void ValidatePresets_SameNameTwice_Throws()
    {
        PresetGroup[] presets = [new("a", "", []), new("a", "", [])];
        Given.Refused(400, "InvalidInput", () => ProjectDefaults.ValidatePresets(presets));
    }

    [Fact]
    public void ValidatePresets_RepeatingTheDefaultEgressRule_Throws()
    {
        PresetGroup[] presets = [new("a", "", [new SecurityGroupRuleBody(Direction: "egress", Ethertype: "IPv6")])];
        Given.Refused(409, "SecurityGroupRuleExists", () => ProjectDefaults.ValidatePresets(presets));
    }
}
