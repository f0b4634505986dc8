using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using VSwitch.Control.Model;
using VSwitch.Dataplane.Ports;

namespace VSwitch.Control.Configuration;

/// <summary>
/// The JSON configuration file of <c>vswitchd --config</c>: data-path sizes, and networks and ports that exist from
/// the start.
/// </summary>
/// <remarks>
/// Ids of networks and ports named in the file are derived from their names (a name-based UUID), so the same file
/// gives the same ids on every start.
/// </remarks>
public sealed class SwitchConfig
{
    [JsonPropertyName("workers")] public int? Workers { get; set; }

    [JsonPropertyName("pin_workers")] public bool PinWorkers { get; set; } = true;

    /// <summary>Busy-poll window of the workers in microseconds (0 = off; see DatapathOptions.BusyPollMicroseconds).</summary>
    [JsonPropertyName("busy_poll_us")] public int BusyPollMicroseconds { get; set; }

    [JsonPropertyName("max_ports")] public int MaxPorts { get; set; } = 1024;

    [JsonPropertyName("mac_aging_seconds")] public int MacAgingSeconds { get; set; } = 300;

    [JsonPropertyName("mac_table_size")] public int MacTableSize { get; set; } = 65536;

    /// <summary>Connection-tracking entries, preallocated (152 bytes each).</summary>
    [JsonPropertyName("conntrack_max_entries")] public int ConntrackMaxEntries { get; set; } = 262144;

    /// <summary>
    /// The most tracked connections a port may have unless the port sets its own (<c>conntrack_limit</c>; in the API
    /// <c>binding:profile</c>), counted on both ends; 0 (the default) is no limit. As OVN's default <c>ct-zone-limit</c>.
    /// </summary>
    [JsonPropertyName("conntrack_port_limit")] public int ConntrackPortLimit { get; set; }

    /// <summary>Fragmented datagrams whose first fragment the switch remembers at once (64 bytes each; Fragments/README.md).</summary>
    [JsonPropertyName("fragment_max_datagrams")] public int FragmentMaxDatagrams { get; set; } = 8192;

    /// <summary>Milliseconds a datagram's first fragment is remembered after its last fragment was seen.</summary>
    [JsonPropertyName("fragment_timeout_ms")] public int FragmentTimeoutMs { get; set; } = 5000;

    /// <summary>The API's default quota per project (Neutron's <c>[QUOTAS]</c> options and defaults; -1 is unlimited).</summary>
    [JsonPropertyName("quotas")] public QuotasEntry Quotas { get; set; } = new();

    public sealed class QuotasEntry
    {
        [JsonPropertyName("network")] public int Network { get; set; } = 100;

        [JsonPropertyName("subnet")] public int Subnet { get; set; } = 100;

        [JsonPropertyName("port")] public int Port { get; set; } = 500;

        [JsonPropertyName("router")] public int Router { get; set; } = 10;

        [JsonPropertyName("floatingip")] public int FloatingIp { get; set; } = 50;

        [JsonPropertyName("security_group")] public int SecurityGroup { get; set; } = 10;

        [JsonPropertyName("security_group_rule")] public int SecurityGroupRule { get; set; } = 100;

        public QuotaLimits ToLimits() => QuotaLimits.Of(
            new(QuotaLimits.Network, Network), new(QuotaLimits.Subnet, Subnet), new(QuotaLimits.Port, Port),
            new(QuotaLimits.Router, Router), new(QuotaLimits.FloatingIp, FloatingIp),
            new(QuotaLimits.SecurityGroup, SecurityGroup), new(QuotaLimits.SecurityGroupRule, SecurityGroupRule));
    }

    /// <summary>Connection-tracking timeouts in seconds, by state (Linux's names and defaults; see Conntrack/README.md).</summary>
    [JsonPropertyName("conntrack_timeouts")] public TimeoutsEntry ConntrackTimeouts { get; set; } = new();

    public sealed class TimeoutsEntry
    {
        [JsonPropertyName("tcp_syn_sent")] public int TcpSynSent { get; set; } = 120;

        [JsonPropertyName("tcp_syn_recv")] public int TcpSynRecv { get; set; } = 60;

        [JsonPropertyName("tcp_established")] public int TcpEstablished { get; set; } = 432_000;

        [JsonPropertyName("tcp_fin_wait")] public int TcpFinWait { get; set; } = 120;

        [JsonPropertyName("tcp_close_wait")] public int TcpCloseWait { get; set; } = 60;

        [JsonPropertyName("tcp_last_ack")] public int TcpLastAck { get; set; } = 30;

        [JsonPropertyName("tcp_time_wait")] public int TcpTimeWait { get; set; } = 120;

        [JsonPropertyName("tcp_close")] public int TcpClose { get; set; } = 10;

        [JsonPropertyName("udp_unreplied")] public int UdpUnreplied { get; set; } = 30;

        [JsonPropertyName("udp_replied")] public int UdpReplied { get; set; } = 120;

        [JsonPropertyName("icmp")] public int Icmp { get; set; } = 30;

        [JsonPropertyName("other")] public int Other { get; set; } = 600;

        /// <summary>The data path's form; throws <see cref="ConfigException"/> for a value out of range.</summary>
        public VSwitch.Dataplane.Conntrack.ConnTimeouts ToTimeouts(string source)
        {
            var all = new[] { TcpSynSent, TcpSynRecv, TcpEstablished, TcpFinWait, TcpCloseWait, TcpLastAck, TcpTimeWait, TcpClose, UdpUnreplied, UdpReplied, Icmp, Other };
            if (all.Any(v => v is < 1 or > 10_000_000))
            {
                throw new ConfigException($"{source}: conntrack_timeouts: every timeout must be between 1 and 10000000 seconds");
            }
            return new VSwitch.Dataplane.Conntrack.ConnTimeouts
            {
                TcpSynSent = TimeSpan.FromSeconds(TcpSynSent),
                TcpSynRecv = TimeSpan.FromSeconds(TcpSynRecv),
                TcpEstablished = TimeSpan.FromSeconds(TcpEstablished),
                TcpFinWait = TimeSpan.FromSeconds(TcpFinWait),
                TcpCloseWait = TimeSpan.FromSeconds(TcpCloseWait),
                TcpLastAck = TimeSpan.FromSeconds(TcpLastAck),
                TcpTimeWait = TimeSpan.FromSeconds(TcpTimeWait),
                TcpClose = TimeSpan.FromSeconds(TcpClose),
                UdpUnreplied = TimeSpan.FromSeconds(UdpUnreplied),
                UdpReplied = TimeSpan.FromSeconds(UdpReplied),
                Icmp = TimeSpan.FromSeconds(Icmp),
                Other = TimeSpan.FromSeconds(Other),
            };
        }
    }

    /// <summary>Security-group logging (Neutron's <c>[network_log]</c> options).</summary>
    [JsonPropertyName("log")] public LogEntry Log { get; set; } = new();

    public sealed class LogEntry
    {
        /// <summary>Log lines per second at most, over all ports (Neutron's <c>rate_limit</c>, default 100).</summary>
        [JsonPropertyName("rate_limit")] public int RateLimit { get; set; } = 100;

        /// <summary>Lines that may be written at once above the rate (Neutron's <c>burst_limit</c>, default 25).</summary>
        [JsonPropertyName("burst_limit")] public int BurstLimit { get; set; } = 25;
    }

    /// <summary>The project that owns the objects of this file.</summary>
    [JsonPropertyName("project")] public string Project { get; set; } = "admin";

    [JsonPropertyName("networks")] public List<NetworkEntry> Networks { get; set; } = [];

    [JsonPropertyName("subnets")] public List<SubnetEntry> Subnets { get; set; } = [];

    [JsonPropertyName("security_groups")] public List<GroupEntry> SecurityGroups { get; set; } = [];

    /// <summary>A subnet of the file (Neutron's fields; ports of its network without fixed_ips get addresses from it).</summary>
    public sealed class SubnetEntry
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";

        [JsonPropertyName("network")] public string Network { get; set; } = "";

        [JsonPropertyName("cidr")] public string Cidr { get; set; } = "";

        /// <summary>4 or 6; absent: the CIDR's.</summary>
        [JsonPropertyName("ip_version")] public int? IpVersion { get; set; }

        /// <summary>Absent: the first address.</summary>
        [JsonPropertyName("gateway_ip")] public string? GatewayIp { get; set; }

        /// <summary>True: no gateway (the API's <c>gateway_ip: null</c>).</summary>
        [JsonPropertyName("no_gateway")] public bool NoGateway { get; set; }

        [JsonPropertyName("allocation_pools")] public List<PoolEntry>? AllocationPools { get; set; }

        [JsonPropertyName("enable_dhcp")] public bool EnableDhcp { get; set; } = true;

        [JsonPropertyName("dns_nameservers")] public List<string> DnsNameservers { get; set; } = [];

        [JsonPropertyName("host_routes")] public List<RouteEntry> HostRoutes { get; set; } = [];

        [JsonPropertyName("ipv6_ra_mode")] public string? Ipv6RaMode { get; set; }

        [JsonPropertyName("ipv6_address_mode")] public string? Ipv6AddressMode { get; set; }
    }

    public sealed class PoolEntry
    {
        [JsonPropertyName("start")] public string Start { get; set; } = "";

        [JsonPropertyName("end")] public string End { get; set; } = "";
    }

    public sealed class RouteEntry
    {
        [JsonPropertyName("destination")] public string Destination { get; set; } = "";

        [JsonPropertyName("nexthop")] public string NextHop { get; set; } = "";
    }

    [JsonPropertyName("ports")] public List<PortEntry> Ports { get; set; } = [];

    /// <summary>Routers: interfaces on subnets, an external gateway, extra routes (after the networks, subnets and ports).</summary>
    [JsonPropertyName("routers")] public List<RouterEntry> Routers { get; set; } = [];

    /// <summary>Floating IPs on external networks, each given to a port of this file (after the routers).</summary>
    [JsonPropertyName("floating_ips")] public List<FloatingIpEntry> FloatingIps { get; set; } = [];

    public sealed class NetworkEntry
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";

        [JsonPropertyName("admin_state_up")] public bool AdminStateUp { get; set; } = true;

        [JsonPropertyName("mtu")] public int? Mtu { get; set; }

        [JsonPropertyName("vlan_transparent")] public bool? VlanTransparent { get; set; }

        /// <summary>Neutron's <c>router:external</c>: where the outside world is attached, for router gateways and floating IPs.</summary>
        [JsonPropertyName("external")] public bool External { get; set; }
    }

    public sealed class RouterEntry
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";

        [JsonPropertyName("admin_state_up")] public bool AdminStateUp { get; set; } = true;

        /// <summary>Subnet names: the router gets an interface at each one's gateway address.</summary>
        [JsonPropertyName("subnets")] public List<string> Subnets { get; set; } = [];

        [JsonPropertyName("external_gateway")] public GatewayEntry? ExternalGateway { get; set; }

        [JsonPropertyName("routes")] public List<RouteEntry> Routes { get; set; } = [];
    }

    public sealed class GatewayEntry
    {
        /// <summary>An external network of this file.</summary>
        [JsonPropertyName("network")] public string Network { get; set; } = "";

        /// <summary>Ports without a floating IP reach out from the gateway's address (Neutron's default: true).</summary>
        [JsonPropertyName("enable_snat")] public bool EnableSnat { get; set; } = true;

        /// <summary>The gateway's address on the external network; absent: allocated.</summary>
        [JsonPropertyName("ip_address")] public string? IpAddress { get; set; }
    }

    public sealed class FloatingIpEntry
    {
        /// <summary>An external network of this file.</summary>
        [JsonPropertyName("network")] public string Network { get; set; } = "";

        /// <summary>The address; absent: allocated from the network's subnets.</summary>
        [JsonPropertyName("floating_ip_address")] public string? FloatingIpAddress { get; set; }

        /// <summary>A port of this file; absent: the floating IP is kept unassociated.</summary>
        [JsonPropertyName("port")] public string? Port { get; set; }

        [JsonPropertyName("description")] public string? Description { get; set; }
    }

    public sealed class PortEntry
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";

        [JsonPropertyName("network")] public string Network { get; set; } = "";

        [JsonPropertyName("device")] public string Device { get; set; } = "";

        [JsonPropertyName("mac_address")] public string? MacAddress { get; set; }

        [JsonPropertyName("admin_state_up")] public bool AdminStateUp { get; set; } = true;

        /// <summary>Addresses; absent: allocated from the network's subnets, if it has any (as a port created without them).</summary>
        [JsonPropertyName("fixed_ips")] public List<string>? FixedIps { get; set; }

        [JsonPropertyName("allowed_address_pairs")] public List<PairEntry> AllowedAddressPairs { get; set; } = [];

        /// <summary>Group names; absent: the project's <c>default</c> group (as Neutron).</summary>
        [JsonPropertyName("security_groups")] public List<string>? SecurityGroups { get; set; }

        [JsonPropertyName("port_security_enabled")] public bool PortSecurityEnabled { get; set; } = true;

        /// <summary>The port's own connection limit (0: none); absent: <c>conntrack_port_limit</c>.</summary>
        [JsonPropertyName("conntrack_limit")] public int? ConntrackLimit { get; set; }
    }

    public sealed class PairEntry
    {
        [JsonPropertyName("ip_address")] public string IpAddress { get; set; } = "";

        [JsonPropertyName("mac_address")] public string? MacAddress { get; set; }
    }

    /// <summary>
    /// The groups every project gets next to <c>default</c> on first use: absent for the shipped presets (ssh,
    /// remote-desktop-protocol, web, icmp), <c>[]</c> for none. Their rules name no remote group.
    /// </summary>
    [JsonPropertyName("preset_groups")] public List<PresetEntry>? PresetGroups { get; set; }

    public sealed class PresetEntry
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";

        [JsonPropertyName("description")] public string? Description { get; set; }

        [JsonPropertyName("rules")] public List<RuleEntry> Rules { get; set; } = [];
    }

    /// <summary>The presets this file asks for (the shipped ones unless <c>preset_groups</c> is given).</summary>
    public EquatableArray<PresetGroup> Presets() => PresetGroups is null
        ? ProjectDefaults.ShippedPresets
        : PresetGroups.Select(p => new PresetGroup(p.Name, p.Description ?? "", p.Rules.Select(r => new SecurityGroupRuleBody(
            Direction: r.Direction, Ethertype: r.Ethertype, Protocol: r.Protocol, PortRangeMin: r.PortRangeMin, PortRangeMax: r.PortRangeMax,
            RemoteIpPrefix: r.RemoteIpPrefix, Description: r.Description)).ToEquatableArray())).ToEquatableArray();

    public sealed class GroupEntry
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";

        [JsonPropertyName("description")] public string? Description { get; set; }

        [JsonPropertyName("stateful")] public bool Stateful { get; set; } = true;

        [JsonPropertyName("rules")] public List<RuleEntry> Rules { get; set; } = [];
    }

    public sealed class RuleEntry
    {
        [JsonPropertyName("direction")] public string? Direction { get; set; }

        [JsonPropertyName("ethertype")] public string? Ethertype { get; set; }

        [JsonPropertyName("protocol")] public string? Protocol { get; set; }

        [JsonPropertyName("port_range_min")] public int? PortRangeMin { get; set; }

        [JsonPropertyName("port_range_max")] public int? PortRangeMax { get; set; }

        [JsonPropertyName("remote_ip_prefix")] public string? RemoteIpPrefix { get; set; }

        /// <summary>Name of the remote group (a group of this file, <c>default</c>, or a preset).</summary>
        [JsonPropertyName("remote_group")] public string? RemoteGroup { get; set; }

        [JsonPropertyName("description")] public string? Description { get; set; }
    }

    private static readonly JsonSerializerOptions s_json = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads and validates a configuration file; errors name the file and the field.</summary>
    public static SwitchConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read: {ex.Message}");
        }
        return Parse(text, path);
    }

    public static SwitchConfig Parse(string json, string source = "config")
    {
        SwitchConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<SwitchConfig>(json, s_json);
        }
        catch (JsonException ex)
        {
            throw new ConfigException($"{source}: {ex.Message}");
        }
        if (config is null)
        {
            throw new ConfigException($"{source}: empty configuration");
        }
        config.Validate(source);
        return config;
    }

    private void Validate(string source)
    {
        void Fail(string message) => throw new ConfigException($"{source}: {message}");
        if (PresetGroups is not null)
        {
            if (PresetGroups.SelectMany(p => p.Rules).Any(r => r.RemoteGroup is not null))
            {
                Fail("preset_groups: a preset's rule cannot name a remote_group");
            }
            try
            {
                ProjectDefaults.ValidatePresets(Presets());
            }
            catch (NeutronException ex)
            {
                Fail($"preset_groups: {ex.Message}");
            }
        }
        if (Workers is < 1 or > 256)
        {
            Fail($"workers must be between 1 and 256, not {Workers}");
        }
        if (BusyPollMicroseconds is < 0 or > 1_000_000)
        {
            Fail($"busy_poll_us must be between 0 and 1000000, not {BusyPollMicroseconds}");
        }
        if (MaxPorts is < 1 or > 65535)
        {
            Fail($"max_ports must be between 1 and 65535, not {MaxPorts}");
        }
        if (MacAgingSeconds is < 1 or > 86400)
        {
            Fail($"mac_aging_seconds must be between 1 and 86400, not {MacAgingSeconds}");
        }
        if (MacTableSize is < 1024 or > (1 << 24))
        {
            Fail($"mac_table_size must be between 1024 and 16777216, not {MacTableSize}");
        }
        if (ConntrackMaxEntries is < 1024 or > (1 << 26))
        {
            Fail($"conntrack_max_entries must be between 1024 and 67108864, not {ConntrackMaxEntries}");
        }
        foreach (var (resource, limit) in Quotas.ToLimits().Limits)
        {
            if (limit < -1)
            {
                Fail($"quotas.{resource} must be -1 (unlimited) or more, not {limit}");
            }
        }
        if (FragmentMaxDatagrams is < 64 or > (1 << 24))
        {
            Fail($"fragment_max_datagrams must be between 64 and 16777216, not {FragmentMaxDatagrams}");
        }
        if (ConntrackPortLimit is < 0 or > PortOperations.MaxConntrackLimit)
        {
            Fail($"conntrack_port_limit must be between 0 (no limit) and {PortOperations.MaxConntrackLimit}, not {ConntrackPortLimit}");
        }
        if (FragmentTimeoutMs is < 10 or > 60_000)
        {
            Fail($"fragment_timeout_ms must be between 10 and 60000, not {FragmentTimeoutMs}");
        }
        ConntrackTimeouts.ToTimeouts(source);
        if (Log.RateLimit is < 1 or > 1_000_000 || Log.BurstLimit is < 1 or > 1_000_000)
        {
            Fail($"log: rate_limit and burst_limit must be between 1 and 1000000, not {Log.RateLimit} and {Log.BurstLimit}");
        }
        var networks = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in Networks)
        {
            if (string.IsNullOrWhiteSpace(n.Name))
            {
                Fail("networks[]: name is required");
            }
            if (!networks.Add(n.Name))
            {
                Fail($"networks: duplicate name '{n.Name}'");
            }
            if (n.Mtu is < NetworkSpec.MinMtu or > NetworkSpec.MaxMtu)
            {
                Fail($"networks[{n.Name}]: mtu must be between {NetworkSpec.MinMtu} and {NetworkSpec.MaxMtu}, not {n.Mtu}");
            }
        }
        var ports = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in Ports)
        {
            if (string.IsNullOrWhiteSpace(p.Name))
            {
                Fail("ports[]: name is required");
            }
            if (!ports.Add(p.Name))
            {
                Fail($"ports: duplicate name '{p.Name}'");
            }
            if (!networks.Contains(p.Network))
            {
                Fail($"ports[{p.Name}].network: no network named '{p.Network}'");
            }
            if (string.IsNullOrWhiteSpace(p.Device))
            {
                Fail($"ports[{p.Name}].device: required (a device string such as tap:NAME[@NETNS])");
            }
            if (p.MacAddress is not null && !VSwitch.Packets.MacAddress.TryParse(p.MacAddress, out _))
            {
                Fail($"ports[{p.Name}].mac_address: '{p.MacAddress}' is not a MAC address");
            }
        }
        var routers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in Routers)
        {
            // A router's ids come from its name: two of one name would be one router.
            if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Contains('|', StringComparison.Ordinal))
            {
                Fail("routers[]: a name is required, without '|'");
            }
            if (!routers.Add(r.Name))
            {
                Fail($"routers: duplicate name '{r.Name}'");
            }
        }
    }

    /// <summary>
    /// The desired state this file describes, built with the same validated operations the API uses, so a file can
    /// hold nothing the API would refuse. Ids are derived from names, so the same file gives the same ids every time.
    /// </summary>
    /// <param name="source">The file's name, for messages.</param>
    /// <param name="portTypes">The port types devices may name (default: <c>memory</c> only).</param>
    public SwitchModel ToModel(string source = "config", PortTypes? portTypes = null)
    {
        var model = SwitchModel.Empty;
        var nextId = Guid.Empty;
        var sequence = 0;
        string scope = "project";
        var context = new OperationContext(
            ProjectId.Parse(Project),
            () => nextId != Guid.Empty ? nextId : NameBasedId(scope, (sequence++).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            () => DateTimeOffset.UnixEpoch,
            Presets())
        {
            PortTypes = portTypes ?? PortTypes.MemoryOnly,
        };
        void Use(string idScope, Guid? id = null)
        {
            scope = idScope;
            sequence = 0;
            nextId = id ?? Guid.Empty;
        }
        string where = "";
        try
        {
            Use($"project:{Project}");
            model = ProjectDefaults.EnsureProject(model, context.ProjectId, context);
            var networks = new Dictionary<string, Guid>(StringComparer.Ordinal);
            foreach (var n in Networks)
            {
                where = $"networks[{n.Name}]";
                Use("network", NameBasedId("network", n.Name));
                var change = NetworkOperations.Create(model, new NetworkBody(n.Name, n.AdminStateUp, Mtu: n.Mtu, VlanTransparent: n.VlanTransparent,
                    External: n.External ? true : null), context);
                model = change.Model;
                networks[n.Name] = change.Value.Id;
            }
            var subnets = new Dictionary<string, Guid>(StringComparer.Ordinal);
            foreach (var s in Subnets)
            {
                where = $"subnets[{s.Name}]";
                if (string.IsNullOrWhiteSpace(s.Name) || !subnets.TryAdd(s.Name, NameBasedId("subnet", s.Name)))
                {
                    throw new ConfigException($"{source}: {where}: a subnet needs a name of its own");
                }
                if (!networks.TryGetValue(s.Network, out var subnetNetwork))
                {
                    throw new ConfigException($"{source}: {where}.network: no network named '{s.Network}'");
                }
                Use("subnet", NameBasedId("subnet", s.Name));
                model = SubnetOperations.Create(model, new SubnetBody(
                    s.Name, subnetNetwork, s.IpVersion ?? (s.Cidr.Contains(':', StringComparison.Ordinal) ? 6 : 4), s.Cidr, s.GatewayIp, s.NoGateway,
                    s.AllocationPools?.Select(p => ((string?)p.Start, (string?)p.End)).ToList(), s.EnableDhcp, s.DnsNameservers,
                    [.. s.HostRoutes.Select(r => ((string?)r.Destination, (string?)r.NextHop))], s.Ipv6RaMode, s.Ipv6AddressMode), context).Model;
            }
            var groups = new Dictionary<string, Guid>(StringComparer.Ordinal);
            foreach (var g in model.SecurityGroups.Values)
            {
                groups[g.Name] = g.Id;
            }
            foreach (var g in SecurityGroups)
            {
                where = $"security_groups[{g.Name}]";
                if (groups.ContainsKey(g.Name))
                {
                    throw new ConfigException($"{source}: {where}: a group named '{g.Name}' already exists (default or a preset)");
                }
                Use($"group:{g.Name}");
                var change = SecurityGroupOperations.Create(model, new SecurityGroupBody(g.Name, g.Description, g.Stateful), context);
                model = change.Model;
                groups[g.Name] = change.Value.Id;
            }
            foreach (var g in SecurityGroups)
            {
                for (var i = 0; i < g.Rules.Count; i++)
                {
                    var r = g.Rules[i];
                    where = $"security_groups[{g.Name}].rules[{i}]";
                    Guid? remote = null;
                    if (r.RemoteGroup is not null)
                    {
                        remote = groups.TryGetValue(r.RemoteGroup, out var rg)
                            ? rg : throw new ConfigException($"{source}: {where}.remote_group: no group named '{r.RemoteGroup}'");
                    }
                    Use("rule", NameBasedId("rule", $"{g.Name}|{r.Direction}|{r.Ethertype}|{r.Protocol}|{r.PortRangeMin}|{r.PortRangeMax}|{r.RemoteIpPrefix}|{r.RemoteGroup}"));
                    model = SecurityGroupRuleOperations.Create(model, new SecurityGroupRuleBody(
                        groups[g.Name], r.Direction, r.Ethertype, r.Protocol, r.PortRangeMin, r.PortRangeMax, r.RemoteIpPrefix, remote, r.Description), context).Model;
                }
            }
            foreach (var p in Ports)
            {
                where = $"ports[{p.Name}]";
                if (p.PortSecurityEnabled && p.MacAddress is null && context.PortTypes.TryParse(p.Device, out var device, out _) && device!.NeedsMac)
                {
                    throw new ConfigException($"{source}: {where}.mac_address: required for a {device.Type.Scheme} port with port security (the switch cannot know the VM's MAC)");
                }
                List<Guid>? portGroups = null;
                if (p.SecurityGroups is not null)
                {
                    portGroups = [];
                    foreach (var name in p.SecurityGroups)
                    {
                        portGroups.Add(groups.TryGetValue(name, out var id)
                            ? id : throw new ConfigException($"{source}: {where}.security_groups: no group named '{name}'"));
                    }
                }
                Use("port", NameBasedId("port", p.Name));
                model = PortOperations.Create(model, new PortBody(
                    p.Name, networks[p.Network], p.Device, p.MacAddress, p.AdminStateUp, p.FixedIps?.Select(ip => (FixedIpBody)ip).ToList(),
                    p.AllowedAddressPairs.Select(a => new AllowedAddressPairBody(a.IpAddress, a.MacAddress)).ToList(),
                    portGroups, p.PortSecurityEnabled, ConntrackLimit: p.ConntrackLimit), context).Model;
            }
            foreach (var r in Routers)
            {
                where = $"routers[{r.Name}]";
                // A router and its gateway port take two ids: named by the scope and their order.
                Use($"router:{r.Name}");
                GatewayBody? gateway = null;
                if (r.ExternalGateway is { } g)
                {
                    gateway = new GatewayBody(networks.TryGetValue(g.Network, out var external)
                        ? external : throw new ConfigException($"{source}: {where}.external_gateway.network: no network named '{g.Network}'"),
                        g.EnableSnat, g.IpAddress is null ? null : [new FixedIpBody(g.IpAddress, null)]);
                }
                where = gateway is null ? where : $"routers[{r.Name}].external_gateway";
                var router = RouterOperations.Create(model, new RouterBody(r.Name, AdminStateUp: r.AdminStateUp, Gateway: gateway), context);
                model = router.Model;
                foreach (var name in r.Subnets)
                {
                    where = $"routers[{r.Name}].subnets[{name}]";
                    Use($"router-interface:{r.Name}|{name}");
                    model = RouterOperations.AddInterface(model, router.Value.Id,
                        subnets.TryGetValue(name, out var subnet) ? subnet : throw new ConfigException($"{source}: {where}: no subnet named '{name}'"), null, context).Model;
                }
                if (r.Routes.Count > 0)
                {
                    where = $"routers[{r.Name}].routes";
                    model = RouterOperations.Update(model, router.Value.Id,
                        new RouterBody(Routes: [.. r.Routes.Select(x => ((string?)x.Destination, (string?)x.NextHop))]), context).Model;
                }
            }
            var ports = model.Ports.Values.Where(p => !p.IsServicePort).ToDictionary(p => p.Name, p => p.Id, StringComparer.Ordinal);
            for (var i = 0; i < FloatingIps.Count; i++)
            {
                var f = FloatingIps[i];
                where = $"floating_ips[{i}]";
                // A floating IP with its address keeps its id wherever it is listed and whichever port it is given to
                // (a reload moves it, not replaces it); one the switch allocates is known by its place in the list.
                Use(f.FloatingIpAddress is { Length: > 0 } address ? $"floatingip:{f.Network}|{address}" : $"floatingip:{i}|{f.Network}|{f.Port}");
                Guid? port = f.Port is null ? null
                    : ports.TryGetValue(f.Port, out var id) ? id : throw new ConfigException($"{source}: {where}.port: no port named '{f.Port}'");
                model = FloatingIpOperations.Create(model, new FloatingIpBody(
                    networks.TryGetValue(f.Network, out var external)
                        ? external : throw new ConfigException($"{source}: {where}.network: no network named '{f.Network}'"),
                    f.FloatingIpAddress, PortId: port, Description: f.Description), context).Model;
            }
        }
        catch (NeutronException ex)
        {
            throw new ConfigException($"{source}: {where}: {ex.Message}");
        }
        return model;
    }

    /// <summary>A stable UUID (version 5 layout over SHA-1) for a named object of the configuration file.</summary>
    public static Guid NameBasedId(string kind, string name)
    {
        var hash = SHA1.HashData(Encoding.UTF8.GetBytes($"vswitch:{kind}:{name}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}

/// <summary>The configuration file is unreadable or invalid; the message names the field.</summary>
public sealed class ConfigException(string message) : Exception(message);
