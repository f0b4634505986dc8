using System.Text.Json;

namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// A test lab: network namespaces standing in for VMs, wired to a real <c>vswitchd</c> through TAP ports (the switch
/// creates the device inside the namespace) or AF_PACKET ports (the host end of a veth pair).
/// </summary>
/// <remarks>
/// Everything is named with a per-lab prefix, uses only 198.18.0.0/15 and 2001:db8::/32, and is removed in
/// <see cref="Dispose"/> even when a test fails.
/// </remarks>
internal sealed class Lab : IDisposable
{
    private static int s_counter;
    private readonly List<string> _namespaces = [];
    private readonly List<string> _hostLinks = [];
    private readonly List<PortConfig> _ports = [];
    private readonly List<NetworkConfig> _networks = [];

    public Lab()
    {
        Prefix = $"e{Environment.ProcessId % 10000}{Interlocked.Increment(ref s_counter)}";
    }

    /// <summary>A short unique prefix for namespace and interface names (interface names are at most 15 characters).</summary>
    public string Prefix { get; }

    public Daemon? Daemon { get; private set; }

    /// <summary>The configuration file the lab's daemon runs with (written at <see cref="Start"/> and <see cref="Reload"/>).</summary>
    public string ConfigPath => Path.Combine(Path.GetTempPath(), $"{Prefix}-config.json");

    /// <summary>A port entry of the configuration file (JSON names as the file spells them).</summary>
    private sealed record PortConfig(string name, string network, string device, string? mac_address, bool port_security_enabled = false)
    {
        public string[]? fixed_ips { get; init; }

        public string[]? security_groups { get; init; }

        public int? conntrack_limit { get; init; }
    }

    /// <summary>A security-group rule of the configuration file.</summary>
    public sealed record Rule(string direction, string ethertype, string? protocol = null, int? port_range_min = null, int? port_range_max = null,
        string? remote_ip_prefix = null, string? remote_group = null);

    private sealed record GroupConfig(string name, bool stateful, Rule[] rules);

    private readonly List<GroupConfig> _groups = [];

    /// <summary>Defines a security group (it also gets Neutron's two egress-anywhere rules).</summary>
    public void Group(string name, bool stateful, params Rule[] rules) => _groups.Add(new GroupConfig(name, stateful, rules));

    /// <summary>Replaces a group's rules (takes effect at the next <see cref="Reload"/>).</summary>
    public void SetRules(string group, params Rule[] rules)
    {
        var i = _groups.FindIndex(g => g.name == group);
        _groups[i] = _groups[i] with { rules = rules };
    }

    /// <summary>Replaces a port's groups (takes effect at the next <see cref="Reload"/>).</summary>
    public void SetGroups(string port, params string[] groups)
    {
        var i = _ports.FindIndex(p => p.name == port);
        _ports[i] = _ports[i] with { security_groups = groups };
    }

    /// <summary>Sets (or, with null, clears) a port's connection limit (takes effect at the next <see cref="Reload"/>).</summary>
    public void SetConntrackLimit(string port, int? limit)
    {
        var i = _ports.FindIndex(p => p.name == port);
        _ports[i] = _ports[i] with { conntrack_limit = limit };
    }

    /// <summary>
    /// Adds a VM on a TAP port with port security: MAC fa:16:3e:00:01:HOST, fixed IPs 198.18.0.HOST and 2001:db8::HOST,
    /// and the given groups (null: the project's default group).
    /// </summary>
    public Vm SecuredVm(string name, string network, int host, string[]? groups)
    {
        var vm = TapVm(name, network, host, mac: $"fa:16:3e:00:01:{host:x2}");
        var i = _ports.FindIndex(p => p.name == name);
        _ports[i] = _ports[i] with
        {
            port_security_enabled = true,
            fixed_ips = [vm.Ipv4, vm.Ipv6],
            security_groups = groups,
        };
        return vm;
    }

    public sealed record Vm(string Namespace, string Interface, string Ipv4, string Ipv6, string Port)
    {
        public string Exec(string command) => $"ip netns exec {Namespace} {command}";
    }

    /// <summary>A network entry of the configuration file.</summary>
    private sealed record NetworkConfig(string name, int? mtu = null, bool? vlan_transparent = null);

    /// <summary>A subnet entry of the configuration file.</summary>
    private sealed record SubnetConfig(string name, string network, string cidr, string? ipv6_address_mode = null, string? ipv6_ra_mode = null)
    {
        public object[]? allocation_pools { get; init; }
    }

    private readonly List<SubnetConfig> _subnets = [];

    /// <summary>Adds a subnet (ports of its network without fixed IPs get addresses from it); IPv6 ones are SLAAC.</summary>
    public void Subnet(string name, string network, string cidr, string? poolStart = null, string? poolEnd = null)
    {
        var ipv6 = cidr.Contains(':', StringComparison.Ordinal);
        _subnets.Add(new SubnetConfig(name, network, cidr, ipv6 ? "slaac" : null, ipv6 ? "slaac" : null)
        {
            allocation_pools = poolStart is null ? null : [new { start = poolStart, end = poolEnd }],
        });
    }

    /// <summary>
    /// Adds a VM on a TAP port with port security, MAC fa:16:3e:00:01:HOST and no fixed IPs in the configuration: the
    /// switch allocates them from the network's subnets (read them back with <see cref="Daemon.Api"/>).
    /// </summary>
    public Vm AllocatedVm(string name, string network, int host, string[]? groups)
    {
        var vm = TapVm(name, network, host, mac: $"fa:16:3e:00:01:{host:x2}");
        var i = _ports.FindIndex(p => p.name == name);
        _ports[i] = _ports[i] with { port_security_enabled = true, security_groups = groups };
        return vm with { Ipv4 = "", Ipv6 = "" };
    }

    /// <summary>Adds a network (Neutron's mtu and vlan_transparent when given).</summary>
    public void Network(string name, int? mtu = null, bool? vlanTransparent = null) => _networks.Add(new NetworkConfig(name, mtu, vlanTransparent));

    /// <summary>
    /// Adds a VM on a TAP port; the switch creates interface <c>eth0</c>-like device inside the namespace.
    /// <paramref name="options"/> is appended to the device string (such as <c>?io=syscalls</c>).
    /// </summary>
    public Vm TapVm(string name, string network, int host, string? mac = null, string options = "")
    {
        var ns = $"{Prefix}-{name}";
        Shell.Must($"ip netns add {ns}");
        _namespaces.Add(ns);
        var ifname = $"t{Prefix}{name}";
        if (ifname.Length > 15)
        {
            ifname = ifname[..15];
        }
        var port = $"{name}";
        _ports.Add(new PortConfig(port, network, $"tap:{ifname}@{ns}{options}", mac));
        return new Vm(ns, ifname, $"198.18.0.{host}", $"2001:db8::{host:x}", port);
    }

    /// <summary>
    /// A namespace for a VM whose port the test creates through the API (device <c>tap:IFNAME@NAMESPACE</c>): the
    /// namespace and the interface name, removed with the lab.
    /// </summary>
    public (string Namespace, string Interface) Namespace(string name)
    {
        var ns = $"{Prefix}-{name}";
        Shell.Must($"ip netns add {ns}");
        _namespaces.Add(ns);
        var ifname = $"t{Prefix}{name}";
        return (ns, ifname.Length > 15 ? ifname[..15] : ifname);
    }

    /// <summary>The host end (in the switch's namespace) of AF_PACKET VM <paramref name="name"/>'s veth pair.</summary>
    public string AfPacketHostEnd(string name)
    {
        var hostEnd = $"h{Prefix}{name}";
        return hostEnd.Length > 15 ? hostEnd[..15] : hostEnd;
    }

    /// <summary>
    /// Adds a VM behind a veth pair whose host end is an AF_PACKET port; <paramref name="options"/> is appended to the
    /// device string (such as <c>?rx=v3</c>).
    /// </summary>
    public Vm AfPacketVm(string name, string network, int host, string options = "")
    {
        var ns = $"{Prefix}-{name}";
        Shell.Must($"ip netns add {ns}");
        _namespaces.Add(ns);
        var hostEnd = AfPacketHostEnd(name);
        Shell.Must($"ip link add {hostEnd} type veth peer name eth0 netns {ns}");
        _hostLinks.Add(hostEnd);
        Shell.Must($"sysctl -qw net.ipv6.conf.{hostEnd}.disable_ipv6=1 && ip link set {hostEnd} up");
        _ports.Add(new PortConfig(name, network, $"afpacket:{hostEnd}{options}", null));
        return new Vm(ns, "eth0", $"198.18.0.{host}", $"2001:db8::{host:x}", name);
    }

    /// <summary>A VM on a vhost-user port: its socket, and the NIC's MAC and addresses the port's security knows.</summary>
    public sealed record VhostVm(string Port, string Socket, string Mac, string Ipv4, string Ipv6);

    /// <summary>The directory of the lab's vhost-user sockets (created with the first vhost-user VM).</summary>
    public string SocketDirectory => Path.Combine(Path.GetTempPath(), $"{Prefix}-vhost");

    /// <summary>
    /// Adds a vhost-user port with port security: MAC fa:16:3e:00:02:HOST, fixed IPs 198.18.0.HOST and 2001:db8::HOST,
    /// the given groups; <paramref name="client"/>: the switch connects to the guest's socket (<c>mode=client</c>).
    /// </summary>
    public VhostVm VhostUserVm(string name, string network, int host, string[]? groups, bool client = false)
    {
        Directory.CreateDirectory(SocketDirectory);
        var socket = Path.Combine(SocketDirectory, $"{name}.sock");
        var vm = new VhostVm(name, socket, $"fa:16:3e:00:02:{host:x2}", $"198.18.0.{host}", $"2001:db8::{host:x}");
        _ports.Add(new PortConfig(name, network, $"vhostuser:{socket}" + (client ? "?mode=client" : ""), vm.Mac, port_security_enabled: true)
        {
            fixed_ips = [vm.Ipv4, vm.Ipv6],
            security_groups = groups,
        });
        return vm;
    }

    /// <summary>Starts the daemon with the lab's networks and ports and configures every VM's addresses.</summary>
    public Daemon Start(int workers, params Vm[] vms) => StartWith(workers, [], vms);

    /// <summary>As <see cref="Start"/>, with extra vswitchd arguments.</summary>
    public Daemon StartWith(int workers, string[] daemonArgs, params Vm[] vms)
    {
        _daemonArgs = daemonArgs;
        Daemon = Daemon.Start(WriteConfig(workers), workers, daemonArgs);
        foreach (var vm in vms)
        {
            ConfigureAddresses(vm);
        }
        return Daemon;
    }

    /// <summary>The extra vswitchd arguments of the last start (an API listener and token stay where the tests reach them).</summary>
    private string[] _daemonArgs = [];

    /// <summary>Kills the daemon with SIGKILL and starts a new one on the same state directory, configuration and arguments.</summary>
    public Daemon RestartAfterSigkill(int workers)
    {
        var stateDir = Daemon!.StateDir;
        Daemon.Kill9();
        Daemon.Dispose();
        Daemon = Daemon.StartIn(stateDir, ConfigPath, workers, _daemonArgs);
        return Daemon;
    }

    /// <summary>Drops a port from the configuration (takes effect at the next <see cref="Reload"/>).</summary>
    public void RemovePort(string name) => _ports.RemoveAll(p => p.name == name);

    /// <summary>Rewrites the configuration file and sends the daemon SIGHUP.</summary>
    public void Reload()
    {
        WriteConfig(workers: 1);
        var before = Daemon!.Log.Split('\n').Count(l => l.Contains("reloaded", StringComparison.Ordinal));
        Shell.Must($"kill -HUP {Daemon.Pid}");
        if (!Shell.Eventually(() => Daemon.Log.Split('\n').Count(l => l.Contains("reloaded", StringComparison.Ordinal)) > before, TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"the daemon did not reload:\n{Daemon.Log}");
        }
    }

    /// <summary>Connection-table capacity written to the configuration (null: the daemon's default).</summary>
    public int? ConntrackMaxEntries { get; set; }

    private string WriteConfig(int workers)
    {
        var config = new
        {
            workers,
            conntrack_max_entries = ConntrackMaxEntries,
            networks = _networks.ToArray(),
            subnets = _subnets.Count == 0 ? null : _subnets.ToArray(),
            security_groups = _groups.ToArray(),
            ports = _ports.ToArray(),
        };
        var path = ConfigPath;
        File.WriteAllText(path, JsonSerializer.Serialize(config, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        return path;
    }

    /// <summary>Waits until something in the VM listens on <paramref name="port"/> (<paramref name="proto"/> t: TCP, u: UDP).</summary>
    public static void WaitListening(Vm vm, int port, string proto = "t")
    {
        if (!Shell.Eventually(() => Shell.Run(vm.Exec($"ss -ln{proto} 'sport = :{port}'")).Stdout.Contains($":{port}", StringComparison.Ordinal), TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"nothing listens on {port}/{(proto == "u" ? "udp" : "tcp")} in {vm.Namespace}");
        }
    }

    /// <summary>Waits for the VM's interface, then gives it its IPv4 and IPv6 addresses (no DAD wait).</summary>
    public static void ConfigureAddresses(Vm vm)
    {
        if (!Shell.Eventually(() => Shell.Run(vm.Exec($"ip link show {vm.Interface}")).Ok, TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"{vm.Interface} did not appear in {vm.Namespace}");
        }
        Shell.Must(vm.Exec($"ip link set lo up"));
        Shell.Must(vm.Exec($"ip link set {vm.Interface} up"));
        Shell.Must(vm.Exec($"ip addr add {vm.Ipv4}/24 dev {vm.Interface}"));
        Shell.Must(vm.Exec($"ip -6 addr add {vm.Ipv6}/64 dev {vm.Interface} nodad"));
    }

    public void Dispose()
    {
        Daemon?.Dispose();
        foreach (var link in _hostLinks)
        {
            Shell.Run($"ip link del {link} 2>/dev/null");
        }
        foreach (var ns in _namespaces)
        {
            Shell.Run($"ip netns pids {ns} 2>/dev/null | xargs -r kill -9; ip netns del {ns}");
        }
        File.Delete(ConfigPath);
        if (Directory.Exists(SocketDirectory))
        {
            Directory.Delete(SocketDirectory, recursive: true);
        }
    }
}
