using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// Two networks behind one router, built with the real <c>openstack</c> CLI over the daemon's TCP API: VMs on TAP ports
/// in namespaces take their addresses and default route from the switch's DHCP, then ping and connect across the
/// router; a VM whose groups admit nothing is reached by nothing (dropped at its ingress, counted).
/// </summary>
public sealed class RouterLab : IDisposable
{
    public const string Token = "router-lab-token-0123456789";

    internal Lab Lab { get; } = new();

    internal string Url { get; }

    private readonly string _tokenFile;

    /// <summary>The VMs: (namespace, interface), front (default group), back (default group), locked (a group with no ingress rule).</summary>
    internal (string Ns, string If) Front { get; }

    internal (string Ns, string If) Back { get; }

    internal (string Ns, string If) Locked { get; }

    /// <summary>The outside world: a namespace on the external network <c>ext</c> (port security off).</summary>
    internal (string Ns, string If) Outside { get; }

    /// <summary>
    /// An upstream router on ext that is no port's address: 198.18.89.1, the external subnet's gateway (the router's
    /// default route), with 198.19.77.1, "the internet", behind it.
    /// </summary>
    internal (string Ns, string If) Upstream { get; }

    /// <summary>front-vm's floating IP on ext.</summary>
    internal string FloatingIp { get; }

    /// <summary>A VM on network v6, whose subnets are DHCPv6 stateful (2001:db8:83::/64) and stateless (2001:db8:84::/64).</summary>
    internal (string Ns, string If) Dhcp6 { get; }

    public RouterLab()
    {
        Root.Require();
        _tokenFile = Path.Combine(Path.GetTempPath(), $"{Lab.Prefix}-token");
        try
        {
            File.WriteAllText(_tokenFile, Token);
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}";
            Lab.StartWith(1, ["--api-listen", $"127.0.0.1:{port}", "--api-token-file", _tokenFile]);
            Front = Lab.Namespace("front");
            Back = Lab.Namespace("back");
            Locked = Lab.Namespace("locked");
            Dhcp6 = Lab.Namespace("dhcp6");
            Outside = Lab.Namespace("outside");
            Upstream = Lab.Namespace("upstream");

            Os("network create front");
            Os("network create back");
            Os("subnet create front-v4 --network front --subnet-range 198.18.81.0/24");
            Os("subnet create back-v4 --network back --subnet-range 198.18.82.0/24");
            Os("subnet create front-v6 --network front --ip-version 6 --subnet-range 2001:db8:81::/64 --ipv6-ra-mode slaac --ipv6-address-mode slaac");
            Os("subnet create back-v6 --network back --ip-version 6 --subnet-range 2001:db8:82::/64 --ipv6-ra-mode slaac --ipv6-address-mode slaac");
            Os("router create edge");
            foreach (var subnet in new[] { "front-v4", "back-v4", "front-v6", "back-v6" })
            {
                Os($"router add subnet edge {subnet}");
            }
            Os("network create v6");
            Os("subnet create v6-stateful --network v6 --ip-version 6 --subnet-range 2001:db8:83::/64 --ipv6-ra-mode dhcpv6-stateful --ipv6-address-mode dhcpv6-stateful --dns-nameserver 2001:db8::53");
            Os("subnet create v6-stateless --network v6 --ip-version 6 --subnet-range 2001:db8:84::/64 --ipv6-ra-mode dhcpv6-stateless --ipv6-address-mode dhcpv6-stateless --dns-nameserver 2001:db8::54");
            Os($"port create v6-vm --network v6 --binding-profile device=tap:{Dhcp6.If}@{Dhcp6.Ns}");
            Os("network create ext --external");
            Os("subnet create ext-v4 --network ext --subnet-range 198.18.89.0/24");
            Os("router set edge --external-gateway ext");
            Os($"port create outside-vm --network ext --disable-port-security --binding-profile device=tap:{Outside.If}@{Outside.Ns}");
            Os($"port create upstream --network ext --disable-port-security --no-fixed-ip --binding-profile device=tap:{Upstream.If}@{Upstream.Ns}");
            Os("security group create locked");
            Os($"port create front-vm --network front --binding-profile device=tap:{Front.If}@{Front.Ns}");
            Os($"port create back-vm --network back --binding-profile device=tap:{Back.If}@{Back.Ns}");
            Os($"port create locked-vm --network back --security-group locked --binding-profile device=tap:{Locked.If}@{Locked.Ns}");
            FloatingIp = (string)OsJson("floating ip create ext --port front-vm")["floating_ip_address"]!;
            foreach (var vm in new[] { Front, Back, Locked, Outside })
            {
                Dhcp(vm);
            }

        }
        catch
        {
            // xunit does not dispose a fixture whose constructor threw: leave no namespace or daemon behind.
            Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>openstack ARGS</c> against the lab's daemon (no OS_* variables from the environment); its output.</summary>
    internal string Os(string args)
    {
        var result = Shell.Run($"env -i PATH=/usr/bin:/bin HOME={Lab.Daemon!.StateDir} /usr/bin/openstack --os-auth-type admin_token --os-token {Token} --os-endpoint {Url} {args}",
            TimeSpan.FromSeconds(90));
        if (!result.Ok)
        {
            throw new InvalidOperationException($"openstack {args}: {result}\n{Lab.Daemon.Log}");
        }
        return result.Stdout;
    }

    internal JsonNode OsJson(string args) => JsonNode.Parse(Os($"{args} -f json"))!;

    /// <summary>
    /// Brings the VM's interface up and runs busybox's DHCP client with a script that configures what the switch
    /// offered: the address, its prefix and the default route through the router.
    /// </summary>
    internal void Dhcp((string Ns, string If) vm)
    {
        WaitForInterface(vm);
        var script = Path.Combine(Path.GetTempPath(), $"{Lab.Prefix}-udhcpc.sh");
        File.WriteAllText(script, """
            #!/bin/sh
            [ "$1" = bound ] || [ "$1" = renew ] || exit 0
            ip addr replace "$ip/$mask" dev "$interface"
            ip route replace default via "${router%% *}" dev "$interface"
            """);
        Shell.Must($"chmod 700 {script}");
        Shell.Must($"ip netns exec {vm.Ns} ip link set lo up");
        Shell.Must($"ip netns exec {vm.Ns} sysctl -qw net.ipv6.conf.{vm.If}.accept_ra=1 net.ipv6.conf.{vm.If}.autoconf=1 net.ipv6.conf.{vm.If}.use_tempaddr=0");
        Shell.Must($"ip netns exec {vm.Ns} ip link set {vm.If} up");
        var dhcp = Shell.Run($"ip netns exec {vm.Ns} busybox udhcpc -i {vm.If} -n -q -f -t 5 -T 1 -s {script}", TimeSpan.FromSeconds(20));
        if (!dhcp.Ok)
        {
            throw new InvalidOperationException($"DHCP in {vm.Ns} failed: {dhcp}");
        }
    }

    /// <summary>Configures the upstream router's addresses (again, after a restart recreated its TAP device).</summary>
    internal void ConfigureUpstream()
    {
        WaitForInterface(Upstream);
        Shell.Must($"ip netns exec {Upstream.Ns} ip addr replace 198.18.89.1/24 dev {Upstream.If}");
        Shell.Must($"ip netns exec {Upstream.Ns} ip link set {Upstream.If} up");
        Shell.Must($"ip netns exec {Upstream.Ns} ip link set lo up");
        Shell.Must($"ip netns exec {Upstream.Ns} ip addr replace 198.19.77.1/32 dev lo");
    }

    private static void WaitForInterface((string Ns, string If) vm)
    {
        if (!Shell.Eventually(() => Shell.Run($"ip netns exec {vm.Ns} ip link show {vm.If}").Ok, TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"{vm.If} did not appear in {vm.Ns}");
        }
    }

    /// <summary>The VM's IPv4 (or IPv6) address, as the switch allocated it.</summary>
    internal string Address(string port, bool ipv6 = false) => Addresses(port).Single(ip => ip.Contains(':', StringComparison.Ordinal) == ipv6);

    internal IEnumerable<string> Addresses(string port) =>
        Lab.Daemon!.Api($"v2.0/ports?name={port}")["ports"]!.AsArray().Single()!["fixed_ips"]!.AsArray().Select(ip => (string)ip!["ip_address"]!);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Lab.Dispose();
        File.Delete(_tokenFile);
        File.Delete(Path.Combine(Path.GetTempPath(), $"{Lab.Prefix}-udhcpc.sh"));
    }
}

[Collection(LabCollection.Name)]
public sealed class RouterTests(RouterLab fixture) : IClassFixture<RouterLab>
{
    private static string Exec((string Ns, string If) vm, string command) => $"ip netns exec {vm.Ns} {command}";

    [Fact]
    public async Task VmsOnTwoSubnets_PingAndConnectThroughTheRouter_WithTheirAddressesAndRouteFromDhcp()
    {
        var daemon = fixture.Lab.Daemon!;
        var back = fixture.Address("back-vm");
        Assert.StartsWith("198.18.82.", back, StringComparison.Ordinal);
        var route = Shell.Run(Exec(fixture.Front, "ip route show default")).Stdout;
        Assert.Contains("via 198.18.81.1", route, StringComparison.Ordinal);

        // The gateway answers for itself; the far side answers through it (the default group admits its own members).
        var gateway = Shell.Run(Exec(fixture.Front, "ping -c 1 -W 2 198.18.81.1"), TimeSpan.FromSeconds(10));
        Assert.True(gateway.Ok, gateway.ToString() + daemon.Log);
        var ping = Shell.Run(Exec(fixture.Front, $"ping -c 2 -i 0.2 -W 2 {back}"), TimeSpan.FromSeconds(15));
        Assert.True(ping.Ok, ping.ToString() + daemon.Metrics());
        Assert.Contains("ttl=63", ping.Stdout, StringComparison.Ordinal);

        // TCP across the router: the listener's reply comes back through the same connection.
        var server = Task.Run(() => Shell.Run(Exec(fixture.Back, "timeout 15 ncat -l -p 8080 --send-only -c 'echo routed-hello'"), TimeSpan.FromSeconds(20)));
        Lab.WaitListening(new Lab.Vm(fixture.Back.Ns, fixture.Back.If, back, "", "back-vm"), 8080);
        var tcp = Shell.Run(Exec(fixture.Front, $"ncat -w 3 --recv-only {back} 8080"), TimeSpan.FromSeconds(10));
        Assert.Contains("routed-hello", tcp.Stdout, StringComparison.Ordinal);
        await server;
        Assert.True(daemon.Metric("vswitch_router_forwarded_packets_total") >= 6, daemon.Metrics());
        Assert.True(daemon.Metric("vswitch_router_echo_replies_total") >= 1);
    }

    [Fact]
    public void AVmWhoseGroupsAdmitNothing_IsNotReachedThroughTheRouter_AndTheDropIsCountedAtItsIngress()
    {
        var daemon = fixture.Lab.Daemon!;
        var locked = fixture.Address("locked-vm");
        var dropped = "vswitch_port_dropped_packets_total{port=\"locked-vm\",direction=\"ingress\",reason=\"security_group\"}";
        var before = Math.Max(0, daemon.Metric(dropped));
        var ping = Shell.Run(Exec(fixture.Front, $"ping -c 2 -i 0.2 -W 1 {locked}"), TimeSpan.FromSeconds(15));
        Assert.False(ping.Ok, "a VM whose groups admit nothing answered a ping through the router");
        Assert.True(Shell.Eventually(() => daemon.Metric(dropped) >= before + 2, TimeSpan.FromSeconds(5)), daemon.Metrics());

        // The trace says where: routed by the router, then refused by the receiver's ingress.
        var show = fixture.OsJson("router show edge");
        Assert.Equal(4, show["interfaces_info"]!.AsArray().Count);
    }

    [Fact]
    public void Ipv6_VmsAutoconfigureFromTheRoutersAdvertisements_AndPingAcrossIt()
    {
        var daemon = fixture.Lab.Daemon!;
        var (front, back) = (fixture.Address("front-vm", ipv6: true), fixture.Address("back-vm", ipv6: true));
        Assert.StartsWith("2001:db8:82:0:f816:3e", back, StringComparison.Ordinal);
        foreach (var (vm, address) in new[] { (fixture.Front, front), (fixture.Back, back) })
        {
            // The kernel takes its SLAAC address and its default route from the router interface's advertisement; until the
            // address passed duplicate address detection it would send from its link-local address, which no router forwards.
            Assert.True(Shell.Eventually(() => Shell.Run(Exec(vm, "ip -6 route show default")).Stdout.Contains("via fe80::", StringComparison.Ordinal)
                && Shell.Run(Exec(vm, "ip -6 addr show scope global")).Stdout is var global
                && global.Contains(address, StringComparison.Ordinal) && !global.Contains("tentative", StringComparison.Ordinal), TimeSpan.FromSeconds(20)),
                Shell.Run(Exec(vm, "ip -6 addr; ip -6 route")).ToString() + daemon.Metrics());
        }
        var ping = Shell.Run(Exec(fixture.Front, $"ping -6 -c 2 -i 0.2 -W 2 {back}"), TimeSpan.FromSeconds(15));
        Assert.True(ping.Ok, ping.ToString() + daemon.Metrics());
        Assert.Contains("ttl=63", ping.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Dhcpv6_DhclientGetsThePortsStatefulAddress_AndAStatelessClientItsDnsServers()
    {
        var daemon = fixture.Lab.Daemon!;
        var vm = fixture.Dhcp6;
        var stateful = fixture.Addresses("v6-vm").Single(ip => ip.StartsWith("2001:db8:83:", StringComparison.Ordinal));
        Assert.True(Shell.Eventually(() => Shell.Run(Exec(vm, $"ip link show {vm.If}")).Ok, TimeSpan.FromSeconds(10)));
        Shell.Must(Exec(vm, $"sysctl -qw net.ipv6.conf.{vm.If}.accept_dad=0"));
        Shell.Must(Exec(vm, $"ip link set {vm.If} up"));
        var dir = Directory.CreateTempSubdirectory("vsw-dhclient6").FullName;
        try
        {
            // ISC dhclient in the foreground, its script left out; it stays to renew, so it is stopped after.
            var bound = Shell.Run(Exec(vm, $"timeout 8 dhclient -6 -d -1 -v -sf /bin/true -lf {dir}/leases -pf {dir}/pid {vm.If}"), TimeSpan.FromSeconds(20));
            Assert.Contains(stateful, bound.Stdout + bound.Stderr, StringComparison.Ordinal);
            Assert.Contains("RCV: Reply message", bound.Stdout + bound.Stderr, StringComparison.Ordinal);
            // Stateless: an Information-request; the script records the DNS servers dhclient was given.
            File.WriteAllText($"{dir}/record.sh", $"#!/bin/sh\necho \"$reason $new_dhcp6_name_servers\" >> {dir}/given\n");
            Shell.Must($"chmod 700 {dir}/record.sh");
            var info = Shell.Run(Exec(vm, $"timeout 8 dhclient -6 -S -d -1 -v -sf {dir}/record.sh -lf {dir}/leases-s -pf {dir}/pid-s {vm.If}"), TimeSpan.FromSeconds(20));
            Assert.Contains("RCV: Reply message", info.Stdout + info.Stderr, StringComparison.Ordinal);
            var given = File.Exists($"{dir}/given") ? File.ReadAllText($"{dir}/given") : "";
            Assert.Contains("2001:db8::54", given, StringComparison.Ordinal);
            Assert.Contains("2001:db8::53", given, StringComparison.Ordinal);
            Assert.True(daemon.Metric("vswitch_dhcpv6_replies_total") >= 3, daemon.Metrics());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task TheOutside_ReachesAFloatingIp_OnlyOnWhatItsGroupsAllow_AndDetachingItCutsTheConnection()
    {
        var daemon = fixture.Lab.Daemon!;
        var fip = fixture.FloatingIp;
        var front = new Lab.Vm(fixture.Front.Ns, fixture.Front.If, fixture.Address("front-vm"), "", "front-vm");
        var outside = fixture.Address("outside-vm");
        Assert.StartsWith("198.18.89.", fip, StringComparison.Ordinal);

        // `default` admits its own members only: nothing from the outside, not even a ping. The network log names the floating IP.
        fixture.Os("network log create --resource-type security_group --target front-vm --event ALL --enable front-log");
        var dropped = "vswitch_port_dropped_packets_total{port=\"front-vm\",direction=\"ingress\",reason=\"security_group\"}";
        var before = Math.Max(0, daemon.Metric(dropped));
        var ping = Shell.Run(Exec(fixture.Outside, $"ping -c 2 -i 0.2 -W 1 {fip}"), TimeSpan.FromSeconds(10));
        Assert.False(ping.Ok, "the outside pinged a floating IP whose groups admit nothing from outside");
        Assert.True(Shell.Eventually(() => daemon.Metric(dropped) >= before + 2, TimeSpan.FromSeconds(5)), daemon.Metrics());
        var log = Path.Combine(daemon.StateDir, "security-group.log");
        string? LogLine(string action, string protocol) => File.Exists(log)
            ? File.ReadLines(log).FirstOrDefault(l => l.Contains($"\"action\":\"{action}\"", StringComparison.Ordinal)
                && l.Contains($"\"protocol\":\"{protocol}\"", StringComparison.Ordinal) && l.Contains("\"port_name\":\"front-vm\"", StringComparison.Ordinal)
                && l.Contains("\"direction\":\"ingress\"", StringComparison.Ordinal))
            : null;
        Assert.True(Shell.Eventually(() => LogLine("DROP", "icmp") is not null, TimeSpan.FromSeconds(5)), "no DROP line for the pings to the floating IP");
        var drop = System.Text.Json.Nodes.JsonNode.Parse(LogLine("DROP", "icmp")!)!;
        Assert.Equal((outside, front.Ipv4, fip, "ingress"), ((string?)drop["src"], (string?)drop["dst"], (string?)drop["floating_ip"], (string?)drop["direction"]));

        // With the project's preset ssh group, port 22 opens (and only it): a line streams in through the floating IP.
        fixture.Os("port set front-vm --security-group ssh");
        var received = Path.Combine(Path.GetTempPath(), $"{fixture.Lab.Prefix}-fip-received");
        var server = Task.Run(() => Shell.Run(Exec(fixture.Front, $"timeout 12 ncat -l -p 22 --recv-only -o {received}"), TimeSpan.FromSeconds(16)));
        Lab.WaitListening(front, 22);
        var client = Task.Run(() => Shell.Run(Exec(fixture.Outside, $"bash -c 'for i in $(seq 50); do echo line-$i; sleep 0.2; done | timeout 11 ncat {fip} 22'"), TimeSpan.FromSeconds(20)));
        Assert.True(Shell.Eventually(() => File.Exists(received) && File.ReadAllText(received).Contains("line-3", StringComparison.Ordinal), TimeSpan.FromSeconds(10)),
            daemon.Metrics());
        Assert.True(Shell.Eventually(() => LogLine("ACCEPT", "tcp") is not null, TimeSpan.FromSeconds(5)), "no ACCEPT line for the connection to the floating IP");
        var accept = System.Text.Json.Nodes.JsonNode.Parse(LogLine("ACCEPT", "tcp")!)!;
        Assert.Equal((front.Ipv4, 22, fip), ((string?)accept["dst"], (int)accept["dst_port"]!, (string?)accept["floating_ip"]));
        fixture.Os("network log delete front-log");

        // Detaching the floating IP cuts the open connection at once, like a rule removal.
        fixture.Os($"floating ip unset --port {fip}");
        Assert.Contains("connections through it cut", daemon.Log, StringComparison.Ordinal);
        var atCut = File.ReadAllText(received).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        await client;
        await server;
        var total = File.ReadAllText(received).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.True(total < 50 && total <= atCut + 2, $"{total} lines arrived, {atCut} before the floating IP was detached");
        Assert.True(daemon.Metric("vswitch_nat_translated_packets_total") > 0);
        File.Delete(received);

        // Attached again, the VM reaches out as its floating IP: the outside sees that address.
        fixture.Os($"floating ip set --port front-vm {fip}");
        Assert.Equal(fip, await SeenFromOutside(fixture.Front));
    }

    /// <summary>The source address the outside VM sees a datagram from <paramref name="vm"/> come from (its floating IP, or the gateway's through SNAT).</summary>
    private async Task<string> SeenFromOutside((string Ns, string If) vm)
    {
        var outside = fixture.Address("outside-vm");
        var echo = Task.Run(() => Shell.Run(Exec(fixture.Outside,
            "/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',7000)); s.settimeout(10); d,a=s.recvfrom(100); s.sendto(a[0].encode(),a)\""),
            TimeSpan.FromSeconds(15)));
        Lab.WaitListening(new Lab.Vm(fixture.Outside.Ns, fixture.Outside.If, outside, "", "outside-vm"), 7000, "u");
        var seen = Shell.Run(Exec(vm,
            $"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(4); s.sendto(b'hi',('{outside}',7000)); print(s.recv(100).decode())\""),
            TimeSpan.FromSeconds(10));
        await echo;
        return seen.Ok ? seen.Stdout.Trim() : seen.ToString() + fixture.Lab.Daemon!.Metrics();
    }

    [Fact]
    public async Task VmsWithoutAFloatingIp_ReachOutThroughSnat_FromTheGatewayAddress_AndErrorsComeBackThroughIt()
    {
        var daemon = fixture.Lab.Daemon!;
        var outside = fixture.Address("outside-vm");
        var gateway = (string)fixture.OsJson("router show edge")["external_gateway_info"]!["external_fixed_ips"]![0]!["ip_address"]!;
        var script = Path.Combine(Path.GetTempPath(), $"{fixture.Lab.Prefix}-snat.py");
        // The outside answers each datagram or connection with the address and port it came from.
        File.WriteAllText(script, """
            import socket, sys
            mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
            if mode == "serve":
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", port))
                t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(("0.0.0.0", port)); t.listen(4)
                u.settimeout(20)
                for _ in range(2):
                    d, a = u.recvfrom(100); u.sendto(f"{a[0]}:{a[1]}".encode(), a)
                t.settimeout(20)
                c, a = t.accept(); c.sendall(f"{a[0]}:{a[1]}".encode()); c.close()
            elif mode == "udp":
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5555)); s.settimeout(4)
                s.sendto(b"hi", (host, port)); print(s.recv(100).decode())
            elif mode == "tcp":
                s = socket.create_connection((host, port), timeout=4); print(s.recv(100).decode())
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(4); s.connect((host, port)); s.send(b"hi")
                try:
                    s.recv(100); print("answered")
                except ConnectionRefusedError:
                    print("refused")
            """);
        var server = Task.Run(() => Shell.Run(Exec(fixture.Outside, $"/usr/bin/python3 {script} serve - 7001"), TimeSpan.FromSeconds(30)));
        Lab.WaitListening(new Lab.Vm(fixture.Outside.Ns, fixture.Outside.If, outside, "", "outside-vm"), 7001, "u");

        // Two VMs without a floating IP send from the same port: both leave from the gateway, on different ports.
        var back = Shell.Run(Exec(fixture.Back, $"/usr/bin/python3 {script} udp {outside} 7001"), TimeSpan.FromSeconds(10));
        Assert.True($"{gateway}:5555" == back.Stdout.Trim(), back + daemon.Metrics());
        // The flow listing shows the binding as such: translated tuple, external network, the VM's endpoint behind it.
        var backVm = fixture.Address("back-vm");
        var binding = daemon.Api("v2.0/vswitch/flows")["flows"]!.AsArray()
            .Single(f => (string?)f!["kind"] == "snat" && (string?)f["snat_inside"] == $"{backVm}:5555" && (int)f["dst_port"]! == 7001)!;
        Assert.Equal((gateway, 5555, outside, "udp"), ((string?)binding["src"], (int)binding["src_port"]!, (string?)binding["dst"], (string?)binding["protocol"]));
        Assert.Equal((string)fixture.OsJson("network show ext")["id"]!, (string?)binding["network_id"]);
        var locked = Shell.Run(Exec(fixture.Locked, $"/usr/bin/python3 {script} udp {outside} 7001"), TimeSpan.FromSeconds(10));
        Assert.StartsWith($"{gateway}:", locked.Stdout.Trim(), StringComparison.Ordinal);
        Assert.NotEqual($"{gateway}:5555", locked.Stdout.Trim());
        // TCP too; locked-vm's group admits nothing inward, yet the replies of its own connections come back.
        var tcp = Shell.Run(Exec(fixture.Locked, $"/usr/bin/python3 {script} tcp {outside} 7001"), TimeSpan.FromSeconds(10));
        Assert.StartsWith($"{gateway}:", tcp.Stdout.Trim(), StringComparison.Ordinal);
        Assert.True((await server).Ok);

        // A datagram to a closed port: the outside's "port unreachable" comes back through the NAT to its sender.
        var refused = Shell.Run(Exec(fixture.Back, $"/usr/bin/python3 {script} refused {outside} 7009"), TimeSpan.FromSeconds(10));
        Assert.True("refused" == refused.Stdout.Trim(), refused + daemon.Metrics());
        Assert.True(daemon.Metric("vswitch_nat_translated_packets_total") >= 6);
        File.Delete(script);
    }

    [Fact]
    public void TheConsole_ShowsTheRouterAndItsFloatingIp()
    {
        var daemon = fixture.Lab.Daemon!;
        fixture.Os($"floating ip set --port front-vm {fixture.FloatingIp}");
        var exe = Path.GetFullPath(ConsoleTests.Vswitchctl());
        Assert.True(File.Exists(exe), $"{exe} is missing: build the solution first");
        using var tmux = new ConsoleTests.Tmux($"{fixture.Lab.Prefix}-console");
        Shell.Must($"tmux -L {fixture.Lab.Prefix}-console new-session -d -s console -x 80 -y 24 " +
            $"\"{exe} console --socket {daemon.StateDir}/api.sock; echo CONSOLE-EXIT \\$?; sleep 60\"");
        tmux.Wait("VSwitch console");
        tmux.Keys("6");
        // edge: its gateway on ext with SNAT on, and the front subnet's gateway address; the floating IP and where it leads.
        tmux.Wait(@"edge\s+ACTIVE\s+ext 198\.18\.89\.\d+\s+on\s+198\.18\.8\d\.1/24");
        tmux.Wait($@"{System.Text.RegularExpressions.Regex.Escape(fixture.FloatingIp)}\s+front-vm\s+198\.18\.81\.\d+\s+edge\s+default");
        tmux.Keys("q");
        tmux.Wait("CONSOLE-EXIT 0");
    }

    [Fact]
    public void TheInternetBeyondAnUpstreamRouterThatIsNoPort_IsReached_OnceTheRouterHasAskedForItWithArp()
    {
        var daemon = fixture.Lab.Daemon!;
        fixture.ConfigureUpstream();
        // The first echo is lost while the router asks who 198.18.89.1 is; the next ones go through SNAT and back.
        Assert.True(Shell.Eventually(() => Shell.Run(Exec(fixture.Back, "ping -c 1 -W 1 198.19.77.1"), TimeSpan.FromSeconds(5)).Ok, TimeSpan.FromSeconds(10)),
            daemon.Metrics());
        Assert.True(daemon.Metric("vswitch_router_arp_requests_total") >= 1);
        Assert.True(daemon.Metric("vswitch_router_neighbors_learned_total") >= 1);
        var ping = Shell.Run(Exec(fixture.Back, "ping -c 3 -i 0.2 -W 2 198.19.77.1"), TimeSpan.FromSeconds(10));
        Assert.True(ping.Ok && ping.Stdout.Contains(" 0% packet loss", StringComparison.Ordinal), ping.ToString());

        // What the router learned is listed, as `ip neigh` would: the upstream's address and its interface's MAC.
        var mac = Shell.Must($"ip -n {fixture.Upstream.Ns} -br link show {fixture.Upstream.If}").Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
        var learned = daemon.Api("v2.0/vswitch/neighbors")["neighbors"]!.AsArray().Single(n => (string?)n!["ip_address"] == "198.18.89.1")!;
        Assert.Equal((mac, (string)fixture.OsJson("network show ext")["id"]!), ((string?)learned["mac_address"], (string?)learned["network_id"]));
        var listed = Shell.Must($"{Path.GetFullPath(ConsoleTests.Vswitchctl())} --socket {daemon.StateDir}/api.sock neighbor list -f value -c network -c ip_address -c mac_address");
        Assert.Contains($"ext 198.18.89.1 {mac}", listed, StringComparison.Ordinal);
    }

    [Fact]
    public void FragmentationNeeded_FromARouterBeyondTheUpstream_ComesBackThroughSnat_ToTheVmThatSentTooMuch()
    {
        var daemon = fixture.Lab.Daemon!;
        fixture.ConfigureUpstream();
        // Beyond the upstream router, a link of MTU 1280 to a far host: the upstream (a Linux router) refuses a larger
        // packet that may not be fragmented, and tells its sender, the gateway's SNAT address, quoting what it received.
        var (far, _) = fixture.Lab.Namespace("far");
        var up = fixture.Upstream.Ns;
        Shell.Must($"ip netns exec {up} sysctl -qw net.ipv4.ip_forward=1");
        Shell.Must($"ip -n {up} link add far0 mtu 1280 type veth peer name far1 mtu 1280 netns {far}");
        Shell.Must($"ip -n {up} addr add 198.19.78.254/24 dev far0 && ip -n {up} link set far0 up");
        Shell.Must($"ip -n {far} addr add 198.19.78.1/24 dev far1 && ip -n {far} link set far1 up && ip -n {far} route add default via 198.19.78.254");
        Assert.True(Shell.Eventually(() => Shell.Run(Exec(fixture.Back, "ping -c 1 -W 1 198.19.78.1"), TimeSpan.FromSeconds(5)).Ok, TimeSpan.FromSeconds(10)),
            daemon.Metrics());

        var big = Shell.Run(Exec(fixture.Back, "ping -c 2 -i 0.3 -W 2 -M do -s 1400 198.19.78.1"), TimeSpan.FromSeconds(10));
        Assert.False(big.Ok, big.ToString());
        // "Frag needed and DF set (mtu = 1280)" from the upstream; a second try is refused locally from the learned path MTU.
        Assert.Matches(@"mtu ?= ?1280", big.Stdout + big.Stderr);
        var route = Shell.Run(Exec(fixture.Back, "ip route get 198.19.78.1")).Stdout;
        Assert.Contains("mtu 1280", route, StringComparison.Ordinal);
    }

    [Fact]
    public void ATtlThatRunsOut_AtTheRouter_ComesBackAsTimeExceededFromTheGateway()
    {
        var back = fixture.Address("back-vm");
        var ping = Shell.Run(Exec(fixture.Front, $"ping -c 1 -t 1 -W 2 {back}"), TimeSpan.FromSeconds(10));
        Assert.Contains("From 198.18.81.1", ping.Stdout, StringComparison.Ordinal);
        Assert.Contains("Time to live exceeded", ping.Stdout, StringComparison.Ordinal);
        Assert.True(fixture.Lab.Daemon!.Metric("vswitch_router_icmp_errors_total") >= 1);
    }

    [Fact]
    public async Task RoutersLeasesAndFloatingIps_SurviveKill9()
    {
        var back = fixture.Address("back-vm");
        var front = fixture.Address("front-vm");
        fixture.Os($"floating ip set --port front-vm {fixture.FloatingIp}");
        var daemon = fixture.Lab.RestartAfterSigkill(1);
        Assert.Equal("edge", (string)daemon.Api("v2.0/routers")["routers"]!.AsArray().Single()!["name"]!);
        // The TAP devices went with the old process: the VMs ask for their leases again and get the same addresses.
        fixture.Dhcp(fixture.Front);
        fixture.Dhcp(fixture.Back);
        fixture.Dhcp(fixture.Outside);
        fixture.Dhcp(fixture.Locked);
        Assert.Equal((front, back), (fixture.Address("front-vm"), fixture.Address("back-vm")));
        var ping = Shell.Run(Exec(fixture.Front, $"ping -c 2 -i 0.2 -W 2 {back}"), TimeSpan.FromSeconds(15));
        Assert.True(ping.Ok, ping.ToString() + daemon.Log);
        // The floating IP is still front-vm's: the outside sees it come from there.
        Assert.Equal(fixture.FloatingIp, await SeenFromOutside(fixture.Front));
    }
}
