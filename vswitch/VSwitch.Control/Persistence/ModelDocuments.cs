using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using VSwitch.Control.Model;
using VSwitch.Packets;

namespace VSwitch.Control.Persistence;

/// <summary>
/// The JSON document stored for each object of the model (one row per network, port, group, rule and network log).
/// </summary>
/// <remarks>
/// <para><b>What.</b> Plain records with snake_case members, close to Neutron's own attribute names, so that
/// <c>sqlite3 state.db "select doc from ports"</c> reads like the API. Addresses are stored as text in the form the
/// API shows (<c>10.0.0.5</c>, <c>2001:db8::1</c>, <c>10.0.0.0/24</c> with host bits as given, MACs as
/// <c>fa:16:3e:..</c>), and parsed back with the model's own strict parsers.</para>
/// <para><b>Why documents and not columns.</b> The model grows (logging, QoS...) faster than a schema should: a new
/// optional member is a new JSON property that old rows simply lack (its default applies), with no migration. What must be
/// queryable is in columns next to the document: the id (primary key) and, for rules, the group and the insertion
/// sequence that keeps the creation order.</para>
/// <para><b>Thread-safety.</b> Stateless.</para>
/// </remarks>
internal static class ModelDocuments
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    /// <summary>A network; <c>Mtu</c> and <c>VlanTransparent</c> are absent in documents written before they existed.</summary>
    internal sealed record NetworkDoc(Guid Id, string Name, bool AdminStateUp, string? ProjectId, string? Description,
        long RevisionNumber, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt, int? Mtu = null, bool? VlanTransparent = null, string[]? Tags = null,
        bool? RouterExternal = null);

    internal sealed record PairDoc(string IpAddress, string MacAddress);

    internal sealed record PortDoc(Guid Id, string Name, Guid NetworkId, string Device, string? MacAddress, bool AdminStateUp,
        string? ProjectId, string? Description, string[]? FixedIps, PairDoc[]? AllowedAddressPairs, Guid[]? SecurityGroups,
        bool PortSecurityEnabled, long RevisionNumber, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt, string[]? Tags = null,
        int? ConntrackLimit = null, string? DeviceOwner = null, string? DeviceId = null);

    internal sealed record GroupDoc(Guid Id, string Name, string? Description, string? ProjectId, bool Stateful,
        long RevisionNumber, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt, string[]? Tags = null);

    internal sealed record RuleDoc(Guid Id, Guid SecurityGroupId, string? ProjectId, string Direction, string Ethertype,
        string? Protocol, int? PortRangeMin, int? PortRangeMax, string? RemoteIpPrefix, Guid? RemoteGroupId, string? Description,
        long RevisionNumber, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt, string[]? Tags = null, Guid? RemoteAddressGroupId = null);

    internal sealed record AddressGroupDoc(Guid Id, string Name, string? Description, string? ProjectId, string[] Addresses,
        long RevisionNumber, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt);

    internal sealed record SubnetDoc(Guid Id, string Name, Guid NetworkId, string? ProjectId, string Cidr, string? GatewayIp,
        string[][]? AllocationPools, bool EnableDhcp, string[]? DnsNameservers, string[][]? HostRoutes, string? Ipv6RaMode,
        string? Ipv6AddressMode, string? Description, long RevisionNumber, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt, string[]? Tags = null);

    internal sealed record RouterDoc(Guid Id, string Name, string? ProjectId, string? Description, bool AdminStateUp, string[][]? Routes,
        long RevisionNumber, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt, string[]? Tags = null,
        Guid? GatewayNetworkId = null, bool? EnableSnat = null);

    internal sealed record FloatingIpDoc(Guid Id, string? ProjectId, Guid FloatingNetworkId, string FloatingIpAddress, Guid? PortId,
        string? FixedIpAddress, Guid? RouterId, string? Description, long RevisionNumber, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt,
        string[]? Tags = null);

    public static string Write(FloatingIp f) => JsonSerializer.Serialize(
        new FloatingIpDoc(f.Id, f.ProjectId.Value, f.FloatingNetworkId, f.FloatingIpAddress.AddressText, f.PortId, f.FixedIpAddress?.AddressText,
            f.RouterId, f.Description, f.RevisionNumber, f.CreatedAt, f.UpdatedAt, TagsOf(f.Tags)), s_json);

    public static FloatingIp ReadFloatingIp(string json)
    {
        var d = Deserialize<FloatingIpDoc>(json);
        return new FloatingIp(d.Id, Project(d.ProjectId), d.FloatingNetworkId, Host(d.FloatingIpAddress))
        {
            PortId = d.PortId,
            FixedIpAddress = d.FixedIpAddress is null ? null : Host(d.FixedIpAddress),
            RouterId = d.RouterId,
            Description = d.Description ?? "",
            RevisionNumber = d.RevisionNumber,
            CreatedAt = d.CreatedAt,
            UpdatedAt = d.UpdatedAt,
            Tags = (d.Tags ?? []).ToEquatableArray(),
        };
    }

    public static string Write(Router r) => JsonSerializer.Serialize(
        new RouterDoc(r.Id, r.Name, r.ProjectId.Value, r.Description, r.AdminStateUp,
            r.Routes.IsEmpty ? null : [.. r.Routes.Select(x => new[] { x.Destination.ToString(), x.NextHop.AddressText })],
            r.RevisionNumber, r.CreatedAt, r.UpdatedAt, TagsOf(r.Tags), r.ExternalGateway?.NetworkId, r.ExternalGateway?.EnableSnat), s_json);

    public static Router ReadRouter(string json)
    {
        var d = Deserialize<RouterDoc>(json);
        return new Router(d.Id, d.Name, Project(d.ProjectId))
        {
            Description = d.Description ?? "",
            AdminStateUp = d.AdminStateUp,
            Routes = (d.Routes ?? []).Select(r => new HostRoute(Prefix(r[0]), Host(r[1]))).ToEquatableArray(),
            ExternalGateway = d.GatewayNetworkId is { } gateway ? new RouterGateway(gateway, d.EnableSnat ?? false) : null,
            RevisionNumber = d.RevisionNumber,
            CreatedAt = d.CreatedAt,
            UpdatedAt = d.UpdatedAt,
            Tags = (d.Tags ?? []).ToEquatableArray(),
        };
    }

    public static string Write(Subnet s) => JsonSerializer.Serialize(
        new SubnetDoc(s.Id, s.Name, s.NetworkId, s.ProjectId.Value, s.Cidr.ToString(), s.GatewayIp?.AddressText,
            [.. s.AllocationPools.Select(p => new[] { p.Start.AddressText, p.End.AddressText })], s.EnableDhcp,
            [.. s.DnsNameservers.Select(d => d.AddressText)], [.. s.HostRoutes.Select(r => new[] { r.Destination.ToString(), r.NextHop.AddressText })],
            s.Ipv6RaMode, s.Ipv6AddressMode, s.Description, s.RevisionNumber, s.CreatedAt, s.UpdatedAt, TagsOf(s.Tags)), s_json);

    public static Subnet ReadSubnet(string json)
    {
        var d = Deserialize<SubnetDoc>(json);
        return new Subnet(d.Id, d.Name, d.NetworkId, Project(d.ProjectId), Prefix(d.Cidr))
        {
            GatewayIp = d.GatewayIp is null ? null : Host(d.GatewayIp),
            AllocationPools = (d.AllocationPools ?? []).Select(p => new AllocationPool(Host(p[0]), Host(p[1]))).ToEquatableArray(),
            EnableDhcp = d.EnableDhcp,
            DnsNameservers = (d.DnsNameservers ?? []).Select(Host).ToEquatableArray(),
            HostRoutes = (d.HostRoutes ?? []).Select(r => new HostRoute(Prefix(r[0]), Host(r[1]))).ToEquatableArray(),
            Ipv6RaMode = d.Ipv6RaMode,
            Ipv6AddressMode = d.Ipv6AddressMode,
            Description = d.Description ?? "",
            RevisionNumber = d.RevisionNumber,
            CreatedAt = d.CreatedAt,
            UpdatedAt = d.UpdatedAt,
            Tags = (d.Tags ?? []).ToEquatableArray(),
        };
    }

    public static string Write(AddressGroup g) => JsonSerializer.Serialize(
        new AddressGroupDoc(g.Id, g.Name, g.Description, g.ProjectId.Value, [.. g.Addresses.Select(a => a.ToString())], g.RevisionNumber, g.CreatedAt, g.UpdatedAt), s_json);

    public static AddressGroup ReadAddressGroup(string json)
    {
        var d = Deserialize<AddressGroupDoc>(json);
        return new AddressGroup(d.Id, d.Name, d.Description ?? "", Project(d.ProjectId), (d.Addresses ?? []).Select(Prefix).ToEquatableArray())
        {
            RevisionNumber = d.RevisionNumber,
            CreatedAt = d.CreatedAt,
            UpdatedAt = d.UpdatedAt,
        };
    }

    internal sealed record LogDoc(Guid Id, string Name, string? Description, string? ProjectId, string ResourceType, Guid? ResourceId,
        Guid? TargetId, string Event, bool Enabled, long RevisionNumber, DateTimeOffset? CreatedAt, DateTimeOffset? UpdatedAt);

    /// <summary>A default security group rule (a template of new groups' rules).</summary>
    internal sealed record TemplateDoc(Guid Id, string Direction, string Ethertype, string? Protocol, int? PortRangeMin, int? PortRangeMax,
        string? RemoteIpPrefix, bool RemoteIsParent, string? Description, bool UsedInDefaultSg, bool UsedInNonDefaultSg);

    public static string Write(DefaultRuleTemplate t) => JsonSerializer.Serialize(
        new TemplateDoc(t.Id, t.Direction.ToNeutron(), t.Ethertype.ToNeutron(), t.Protocol, t.PortRangeMin, t.PortRangeMax,
            t.RemoteIpPrefix?.ToString(), t.RemoteIsParent, t.Description, t.UsedInDefaultSg, t.UsedInNonDefaultSg), s_json);

    public static DefaultRuleTemplate ReadTemplate(string json)
    {
        var d = Deserialize<TemplateDoc>(json);
        if (!RuleDirections.TryParse(d.Direction, out var direction) || !Ethertypes.TryParse(d.Ethertype, out var ethertype))
        {
            throw new FormatException($"default rule {d.Id}: direction '{d.Direction}' or ethertype '{d.Ethertype}' is not valid");
        }
        return new DefaultRuleTemplate(d.Id, direction, ethertype, d.Protocol, d.PortRangeMin, d.PortRangeMax,
            d.RemoteIpPrefix is null ? null : Prefix(d.RemoteIpPrefix), d.RemoteIsParent, d.Description ?? "", d.UsedInDefaultSg, d.UsedInNonDefaultSg);
    }

    internal sealed record RbacDoc(Guid Id, string ObjectType, Guid ObjectId, string Action, string Target, string? ProjectId);

    public static string Write(RbacPolicy p) => JsonSerializer.Serialize(new RbacDoc(p.Id, p.ObjectType, p.ObjectId, p.Action, p.Target, p.ProjectId.Value), s_json);

    public static RbacPolicy ReadRbac(string json)
    {
        var d = Deserialize<RbacDoc>(json);
        return new RbacPolicy(d.Id, d.ObjectType, d.ObjectId, d.Action, d.Target, Project(d.ProjectId));
    }

    /// <summary>A project's quota overrides: resource name to limit.</summary>
    internal sealed record QuotaDoc(string ProjectId, Dictionary<string, int> Limits);

    public static string Write(ProjectQuota q) => JsonSerializer.Serialize(
        new QuotaDoc(q.ProjectId.Value, q.Overrides.Limits.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)), s_json);

    public static ProjectQuota ReadQuota(string json)
    {
        var d = Deserialize<QuotaDoc>(json);
        return new ProjectQuota(ProjectId.Parse(d.ProjectId),
            new QuotaLimits(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, d.Limits ?? [])));
    }

    public static string Write(NetworkSpec n) => JsonSerializer.Serialize(
        new NetworkDoc(n.Id, n.Name, n.AdminStateUp, n.ProjectId.Value, n.Description, n.RevisionNumber, n.CreatedAt, n.UpdatedAt,
            n.Mtu, n.VlanTransparent, TagsOf(n.Tags), n.External ? true : null), s_json);

    public static string Write(PortSpec p) => JsonSerializer.Serialize(
        new PortDoc(p.Id, p.Name, p.NetworkId, p.Device, p.Mac?.ToString(), p.AdminStateUp, p.ProjectId.Value, p.Description,
            [.. p.FixedIps.Select(ip => ip.AddressText)],
            [.. p.AllowedAddressPairs.Select(a => new PairDoc(a.IpAddress.ToString(), a.MacAddress.ToString()))],
            [.. p.SecurityGroupIds], p.PortSecurityEnabled, p.RevisionNumber, p.CreatedAt, p.UpdatedAt, TagsOf(p.Tags),
            p.ConntrackLimit, p.DeviceOwner.Length == 0 ? null : p.DeviceOwner, p.DeviceId.Length == 0 ? null : p.DeviceId), s_json);

    public static string Write(SecurityGroup g) => JsonSerializer.Serialize(
        new GroupDoc(g.Id, g.Name, g.Description, g.ProjectId.Value, g.Stateful, g.RevisionNumber, g.CreatedAt, g.UpdatedAt, TagsOf(g.Tags)), s_json);

    public static string Write(SecurityGroupRule r) => JsonSerializer.Serialize(
        new RuleDoc(r.Id, r.SecurityGroupId, r.ProjectId.Value, r.Direction.ToNeutron(), r.Ethertype.ToNeutron(), r.Protocol,
            r.PortRangeMin, r.PortRangeMax, r.RemoteIpPrefix?.ToString(), r.RemoteGroupId, r.Description, r.RevisionNumber,
            r.CreatedAt, r.UpdatedAt, TagsOf(r.Tags), r.RemoteAddressGroupId), s_json);

    public static string Write(NetworkLog l) => JsonSerializer.Serialize(
        new LogDoc(l.Id, l.Name, l.Description, l.ProjectId.Value, l.ResourceType, l.ResourceId, l.TargetId, l.Event.ToNeutron(), l.Enabled,
            l.RevisionNumber, l.CreatedAt, l.UpdatedAt), s_json);

    public static NetworkLog ReadLog(string json)
    {
        var d = Deserialize<LogDoc>(json);
        if (!NetworkLogEvents.TryParse(d.Event, out var logEvent))
        {
            throw new FormatException($"log {d.Id}: event '{d.Event}' is not valid");
        }
        return new NetworkLog(d.Id, d.Name, d.Description ?? "", Project(d.ProjectId), d.ResourceType, d.ResourceId, d.TargetId, logEvent, d.Enabled)
        {
            RevisionNumber = d.RevisionNumber,
            CreatedAt = d.CreatedAt,
            UpdatedAt = d.UpdatedAt,
        };
    }

    public static NetworkSpec ReadNetwork(string json)
    {
        var d = Deserialize<NetworkDoc>(json);
        return new NetworkSpec(d.Id, d.Name, d.AdminStateUp)
        {
            ProjectId = Project(d.ProjectId),
            Description = d.Description ?? "",
            RevisionNumber = d.RevisionNumber,
            CreatedAt = d.CreatedAt,
            UpdatedAt = d.UpdatedAt,
            Mtu = d.Mtu ?? NetworkSpec.DefaultMtu,
            VlanTransparent = d.VlanTransparent ?? false,
            External = d.RouterExternal ?? false,
            Tags = (d.Tags ?? []).ToEquatableArray(),
        };
    }

    public static PortSpec ReadPort(string json)
    {
        var d = Deserialize<PortDoc>(json);
        return new PortSpec(d.Id, d.Name, d.NetworkId, d.Device, d.MacAddress is null ? null : Mac(d.MacAddress), d.AdminStateUp)
        {
            ProjectId = Project(d.ProjectId),
            Description = d.Description ?? "",
            FixedIps = (d.FixedIps ?? []).Select(Host).ToEquatableArray(),
            AllowedAddressPairs = (d.AllowedAddressPairs ?? []).Select(a => new AllowedAddressPair(Prefix(a.IpAddress), Mac(a.MacAddress))).ToEquatableArray(),
            SecurityGroupIds = (d.SecurityGroups ?? []).ToEquatableArray(),
            PortSecurityEnabled = d.PortSecurityEnabled,
            ConntrackLimit = d.ConntrackLimit,
            DeviceOwner = d.DeviceOwner ?? "",
            DeviceId = d.DeviceId ?? "",
            RevisionNumber = d.RevisionNumber,
            CreatedAt = d.CreatedAt,
            UpdatedAt = d.UpdatedAt,
            Tags = (d.Tags ?? []).ToEquatableArray(),
        };
    }

    /// <summary>A group without its rules (they are rows of their own).</summary>
    public static SecurityGroup ReadGroup(string json, EquatableArray<SecurityGroupRule> rules)
    {
        var d = Deserialize<GroupDoc>(json);
        return new SecurityGroup(d.Id, d.Name, d.Description ?? "", Project(d.ProjectId), d.Stateful, rules)
        {
            RevisionNumber = d.RevisionNumber,
            CreatedAt = d.CreatedAt,
            UpdatedAt = d.UpdatedAt,
            Tags = (d.Tags ?? []).ToEquatableArray(),
        };
    }

    public static SecurityGroupRule ReadRule(string json)
    {
        var d = Deserialize<RuleDoc>(json);
        if (!RuleDirections.TryParse(d.Direction, out var direction) || !Ethertypes.TryParse(d.Ethertype, out var ethertype))
        {
            throw new FormatException($"rule {d.Id}: direction '{d.Direction}' or ethertype '{d.Ethertype}' is not valid");
        }
        return new SecurityGroupRule(d.Id, d.SecurityGroupId, Project(d.ProjectId), direction, ethertype, d.Protocol,
            d.PortRangeMin, d.PortRangeMax, d.RemoteIpPrefix is null ? null : Prefix(d.RemoteIpPrefix), d.RemoteGroupId, d.Description ?? "")
        {
            RemoteAddressGroupId = d.RemoteAddressGroupId,
            RevisionNumber = d.RevisionNumber,
            CreatedAt = d.CreatedAt,
            UpdatedAt = d.UpdatedAt,
            Tags = (d.Tags ?? []).ToEquatableArray(),
        };
    }

    /// <summary>A whole model as one document (the configuration-file baseline kept in <c>meta</c>).</summary>
    internal sealed record ModelDoc(string[] Networks, string[] Ports, string[] Groups, string[] Rules, string[]? Subnets = null);

    public static string WriteModel(SwitchModel model) => JsonSerializer.Serialize(new ModelDoc(
        [.. model.Networks.Values.Select(Write)],
        [.. model.Ports.Values.Select(Write)],
        [.. model.SecurityGroups.Values.Select(Write)],
        [.. model.SecurityGroups.Values.SelectMany(g => g.Rules).Select(Write)],
        [.. model.Subnets.Values.Select(Write)]), s_json);

    public static SwitchModel ReadModel(string json)
    {
        var d = Deserialize<ModelDoc>(json);
        return Assemble(d.Networks.Select(ReadNetwork), d.Ports.Select(ReadPort), d.Groups, d.Rules.Select(ReadRule),
            subnets: (d.Subnets ?? []).Select(ReadSubnet));
    }

    /// <summary>Builds a model from its rows: rules go into their groups in the order given.</summary>
    public static SwitchModel Assemble(IEnumerable<NetworkSpec> networks, IEnumerable<PortSpec> ports, IEnumerable<string> groupDocs,
        IEnumerable<SecurityGroupRule> rules, IEnumerable<NetworkLog>? logs = null, IEnumerable<ProjectQuota>? quotas = null,
        IEnumerable<DefaultRuleTemplate>? defaultRules = null, IEnumerable<AddressGroup>? addressGroups = null, IEnumerable<RbacPolicy>? rbacPolicies = null,
        IEnumerable<Subnet>? subnets = null, IEnumerable<Router>? routers = null, IEnumerable<FloatingIp>? floatingIps = null)
    {
        var rulesByGroup = rules.GroupBy(r => r.SecurityGroupId).ToDictionary(g => g.Key, g => g.ToEquatableArray());
        var groups = groupDocs.Select(doc =>
        {
            var id = Deserialize<GroupDoc>(doc).Id;
            return ReadGroup(doc, rulesByGroup.GetValueOrDefault(id));
        });
        var empty = SwitchModel.Empty;
        return empty with
        {
            DefaultRules = defaultRules is null ? empty.DefaultRules : defaultRules.ToImmutableSortedDictionary(t => t.Id, t => t),
            Networks = networks.ToImmutableSortedDictionary(n => n.Id, n => n),
            Ports = ports.ToImmutableSortedDictionary(p => p.Id, p => p),
            SecurityGroups = groups.ToImmutableSortedDictionary(g => g.Id, g => g),
            Logs = (logs ?? []).ToImmutableSortedDictionary(l => l.Id, l => l),
            Quotas = (quotas ?? []).ToImmutableSortedDictionary(q => q.ProjectId, q => q),
            AddressGroups = (addressGroups ?? []).ToImmutableSortedDictionary(g => g.Id, g => g),
            RbacPolicies = (rbacPolicies ?? []).ToImmutableSortedDictionary(p => p.Id, p => p),
            Subnets = (subnets ?? []).ToImmutableSortedDictionary(s => s.Id, s => s),
            Routers = (routers ?? []).ToImmutableSortedDictionary(r => r.Id, r => r),
            FloatingIps = (floatingIps ?? []).ToImmutableSortedDictionary(f => f.Id, f => f),
        };
    }

    private static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, s_json) ?? throw new FormatException($"a null {typeof(T).Name} document");

    /// <summary>Tags as stored: absent when there are none, so documents without tags stay as they were.</summary>
    private static string[]? TagsOf(EquatableArray<string> tags) => tags.IsEmpty ? null : [.. tags];

    private static ProjectId Project(string? text) => string.IsNullOrEmpty(text) ? ProjectId.None : ProjectId.Parse(text);

    private static MacAddress Mac(string text) =>
        MacAddress.TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address");

    private static IpPrefix Host(string text) =>
        IpPrefix.TryParseHost(text, out var host) ? host : throw new FormatException($"'{text}' is not an IP address");

    private static IpPrefix Prefix(string text) =>
        IpPrefix.TryParse(text, out var prefix) ? prefix : throw new FormatException($"'{text}' is not an IP prefix");
}
