namespace VSwitch.Control.Model;

/// <summary>
/// What a project gets on first use: its <c>default</c> group and the preset groups.
/// </summary>
/// <remarks>
/// <para><b>When.</b> Neutron creates a project's <c>default</c> group the first time the project creates a network, a
/// port or a group, updates a port, or lists groups or rules (<c>_ensure_default_security_group</c>). The operations here
/// call <see cref="EnsureProject"/> on create and update; an API list should call it before listing (it is a change,
/// to be persisted like any other). Objects without a project (<see cref="ProjectId.None"/>, the configuration file's)
/// get nothing.</para>
/// <para><b>The default group</b> allows egress anywhere and ingress from members of itself, for IPv4 and IPv6
/// (Neutron's four rules). It is recognised by its name, which no other group can take.</para>
/// <para><b>Presets</b> (<see cref="ShippedPresets"/> unless the configuration redefines them) are created in the same
/// step, each with the two egress rules of any new group plus its own. Their ingress rules name
/// <c>0.0.0.0/0</c> and <c>::/0</c> explicitly, as <c>openstack security group rule create</c> does by default, rather
/// than leaving the prefix empty; both mean anywhere and Neutron's duplicate check treats them alike. If an admin deletes
/// a <c>default</c> group, the next use creates it again, and re-creates only the presets whose names the project no
/// longer has.</para>
/// </remarks>
public static class ProjectDefaults
{
    /// <summary>The presets shipped in the embedded configuration (ARCHITECTURE.md §2).</summary>
    public static EquatableArray<PresetGroup> ShippedPresets { get; } =
    [
        new("ssh", "Allows SSH (tcp/22) from anywhere", FromAnywhere("tcp", 22)),
        new("remote-desktop-protocol", "Allows RDP (tcp/3389) from anywhere", FromAnywhere("tcp", 3389)),
        new("web", "Allows HTTP and HTTPS (tcp/80, 443, 8080) from anywhere", FromAnywhere("tcp", 80, 443, 8080)),
        new("icmp", "Allows ICMP and ICMPv6 from anywhere",
        [
            new SecurityGroupRuleBody(Direction: "ingress", Ethertype: "IPv4", Protocol: ProtocolNames.Icmp, RemoteIpPrefix: "0.0.0.0/0"),
            new SecurityGroupRuleBody(Direction: "ingress", Ethertype: "IPv6", Protocol: ProtocolNames.Ipv6Icmp, RemoteIpPrefix: "::/0"),
        ]),
    ];

    /// <summary>
    /// Creates the project's <c>default</c> group and its presets if the project has no <c>default</c> group yet;
    /// otherwise returns the model unchanged.
    /// </summary>
    public static SwitchModel EnsureProject(SwitchModel model, ProjectId projectId, OperationContext context) =>
        Ensure(model, projectId, context, strict: false);

    // strict: refuse a preset rule that the group already has from a default rule template (checking a preset list
    // against the shipped templates), instead of keeping the rule once (a project's first use, where the operator's
    // templates may since have come to include it).
    private static SwitchModel Ensure(SwitchModel model, ProjectId projectId, OperationContext context, bool strict)
    {
        if (projectId.IsNone || model.DefaultGroupOf(projectId) is not null)
        {
            return model;
        }
        // The caller may be another project's (an admin acting for it): the project's own objects are made as admin, and
        // outside the quota (they are not the request's; Neutron makes the default group so too).
        context = context with { IsAdmin = true, QuotaDefaults = null };
        var defaultGroup = SecurityGroupOperations.NewGroup(model,
            SecurityGroup.DefaultName, SecurityGroupOperations.DefaultDescription, projectId, stateful: true, isDefault: true, context);
        model = SecurityGroupOperations.WithGroup(model, defaultGroup);
        foreach (var preset in context.Presets)
        {
            if (model.SecurityGroups.Values.Any(g => g.ProjectId == projectId && g.Name == preset.Name))
            {
                continue;
            }
            var change = SecurityGroupOperations.Create(model, new SecurityGroupBody(preset.Name, preset.Description, ProjectId: projectId.Value), context);
            model = change.Model;
            foreach (var rule in preset.Rules)
            {
                // A default rule template may already have given the new group this rule: it stays once.
                try
                {
                    model = SecurityGroupRuleOperations.Create(model, rule with { SecurityGroupId = change.Value.Id, ProjectId = null }, context).Model;
                }
                catch (NeutronException ex) when (!strict && ex.Type == "SecurityGroupRuleExists")
                {
                }
            }
        }
        return model;
    }

    /// <summary>
    /// Checks a configured preset list by creating it for a scratch project: a bad preset is refused at start-up with
    /// the Neutron error that would otherwise refuse every project's first request.
    /// </summary>
    /// <exception cref="NeutronException">A preset's name or rule is invalid, or two presets share a name.</exception>
    public static void ValidatePresets(IReadOnlyList<PresetGroup> presets)
    {
        var duplicate = presets.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw NeutronErrors.InvalidInput($"preset group name '{duplicate.Key}' is used twice");
        }
        // In any case: "default" itself would otherwise be skipped silently, as a name the project already has.
        if (presets.Any(p => string.Equals(p.Name, SecurityGroup.DefaultName, StringComparison.OrdinalIgnoreCase)))
        {
            throw NeutronErrors.SecurityGroupDefaultAlreadyExists();
        }
        var context = new OperationContext(ProjectId.Parse("preset-check"), Guid.NewGuid, () => DateTimeOffset.UnixEpoch, presets.ToEquatableArray());
        Ensure(SwitchModel.Empty, context.ProjectId, context, strict: true);
    }

    private static EquatableArray<SecurityGroupRuleBody> FromAnywhere(string protocol, params int[] ports) =>
        ports.SelectMany(port => new[]
        {
            new SecurityGroupRuleBody(Direction: "ingress", Ethertype: "IPv4", Protocol: protocol, PortRangeMin: port, PortRangeMax: port, RemoteIpPrefix: "0.0.0.0/0"),
            new SecurityGroupRuleBody(Direction: "ingress", Ethertype: "IPv6", Protocol: protocol, PortRangeMin: port, PortRangeMax: port, RemoteIpPrefix: "::/0"),
        }).ToEquatableArray();
}
