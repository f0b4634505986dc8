namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// A lab whose VMs take the addresses the switch allocated from the configuration's subnets (IPv4 from a pool, IPv6
/// by SLAAC's EUI-64): real traffic between them passes, and an address the switch did not give is spoofing.
/// </summary>
public sealed class SubnetLab : IDisposable
{
    internal Lab Lab { get; } = new();

    internal Lab.Vm A { get; }
    internal Lab.Vm B { get; }

    /// <summary>A VM with no address configured: it asks the switch's DHCP server.</summary>
    internal Lab.Vm C { get; }

    /// <summary>A VM whose kernel autoconfigures IPv6 from the switch's router advertisements.</summary>
    internal Lab.Vm D { get; }

    public SubnetLab()
    {
        Root.Require();
        Lab.Network("n1");
        Lab.Subnet("n1-v4", "n1", "198.18.70.0/24", "198.18.70.100", "198.18.70.110");
        Lab.Subnet("n1-v6", "n1", "2001:db8:70::/64");
        Lab.Group("lab", stateful: true,
            new Lab.Rule("ingress", "IPv4", remote_ip_prefix: "198.18.70.0/24"),
            new Lab.Rule("ingress", "IPv6", remote_ip_prefix: "2001:db8:70::/64"));
        try
        {
            var a = Lab.AllocatedVm("a", "n1", 1, ["lab"]);
            var b = Lab.AllocatedVm("b", "n1", 2, ["lab"]);
            C = Lab.AllocatedVm("c", "n1", 3, ["lab"]);
            D = Lab.AllocatedVm("d", "n1", 4, ["lab"]);
            var daemon = Lab.Start(1);
            A = WithAllocatedAddresses(daemon, a);
            B = WithAllocatedAddresses(daemon, b);
        }
        catch
        {
            // xunit does not dispose a fixture whose constructor threw: leave no namespace or daemon behind.
            Lab.Dispose();
            throw;
        }
    }

    /// <summary>Reads the port's addresses from the API and gives them to the VM's interface.</summary>
    private static Lab.Vm WithAllocatedAddresses(Daemon daemon, Lab.Vm vm)
    {
        var port = daemon.Api($"v2.0/ports?name={vm.Port}")["ports"]!.AsArray().Single()!;
        var ips = port["fixed_ips"]!.AsArray().Select(ip => (string)ip!["ip_address"]!).ToList();
        var allocated = vm with { Ipv4 = ips.Single(ip => !ip.Contains(':', StringComparison.Ordinal)), Ipv6 = ips.Single(ip => ip.Contains(':', StringComparison.Ordinal)) };
        if (!Shell.Eventually(() => Shell.Run(vm.Exec($"ip link show {vm.Interface}")).Ok, TimeSpan.FromSeconds(10)))
        {
            throw new InvalidOperationException($"{vm.Interface} did not appear in {vm.Namespace}");
        }
        Shell.Must(vm.Exec("ip link set lo up"));
        Shell.Must(vm.Exec($"ip link set {vm.Interface} up"));
        Shell.Must(vm.Exec($"ip addr add {allocated.Ipv4}/24 dev {vm.Interface}"));
        // `replace`: the kernel may already have configured the same address from the switch's router advertisement.
        Shell.Must(vm.Exec($"ip -6 addr replace {allocated.Ipv6}/64 dev {vm.Interface} nodad"));
        return allocated;
    }

    public void Dispose() => Lab.Dispose();
}

[Collection(LabCollection.Name)]
public sealed class SubnetTests(SubnetLab fixture) : IClassFixture<SubnetLab>
{
    [Fact]
    public void VmsOnAllocatedAddresses_Talk_AndAnAddressTheSwitchDidNotGiveIsSpoofing()
    {
        Assert.Equal(("198.18.70.100", "198.18.70.101"), (fixture.A.Ipv4, fixture.B.Ipv4));
        Assert.Equal("2001:db8:70:0:f816:3eff:fe00:101", fixture.A.Ipv6);
        var v4 = Shell.Run(fixture.A.Exec($"ping -c 2 -i 0.2 -W 2 {fixture.B.Ipv4}"), TimeSpan.FromSeconds(15));
        Assert.True(v4.Ok, v4.ToString());
        // From the allocated address: the kernel may also hold a temporary SLAAC address (use_tempaddr), which is not a's.
        var v6 = Shell.Run(fixture.A.Exec($"ping -6 -c 2 -i 0.2 -W 2 -I {fixture.A.Ipv6} {fixture.B.Ipv6}"), TimeSpan.FromSeconds(15));
        Assert.True(v6.Ok, v6.ToString());

        // Another address of the subnet, not allocated to a: dropped at a's egress as spoofing.
        var daemon = fixture.Lab.Daemon!;
        var spoofing = $"vswitch_port_dropped_packets_total{{port=\"a\",direction=\"egress\",reason=\"spoofing\"}}";
        var before = daemon.Metric(spoofing);
        Shell.Must(fixture.A.Exec($"ip addr add 198.18.70.150/24 dev {fixture.A.Interface}"));
        try
        {
            var spoofed = Shell.Run(fixture.A.Exec($"ping -c 2 -i 0.2 -W 1 -I 198.18.70.150 {fixture.B.Ipv4}"), TimeSpan.FromSeconds(15));
            Assert.False(spoofed.Ok, "a ping from an address the switch did not give passed");
            Assert.True(Shell.Eventually(() => daemon.Metric(spoofing) >= before + 2, TimeSpan.FromSeconds(5)), daemon.Metrics());
        }
        finally
        {
            Shell.Run(fixture.A.Exec($"ip addr del 198.18.70.150/24 dev {fixture.A.Interface}"));
        }
    }

    [Fact]
    public void AVmWithoutAnAddress_GetsItsOwnFromTheSwitchsDhcp()
    {
        var daemon = fixture.Lab.Daemon!;
        var allocated = (string)daemon.Api("v2.0/ports?name=c")["ports"]!.AsArray().Single()!["fixed_ips"]!.AsArray()
            .Select(ip => ip!["ip_address"]!).Single(ip => !((string)ip!).Contains(':', StringComparison.Ordinal))!;
        Shell.Must(fixture.C.Exec($"ip link set {fixture.C.Interface} up"));
        // busybox's udhcpc: discover, offer, request, ack; the script that would configure the address is left out.
        var dhcp = Shell.Run(fixture.C.Exec($"busybox udhcpc -i {fixture.C.Interface} -n -q -f -t 5 -T 1 -s /bin/true"), TimeSpan.FromSeconds(20));
        Assert.True(dhcp.Ok, dhcp.ToString());
        Assert.Contains($"lease of {allocated} obtained", dhcp.Stdout + dhcp.Stderr, StringComparison.Ordinal);
        Assert.True(daemon.Metric("vswitch_dhcp_replies_total") >= 2, daemon.Metrics());

        // ISC dhclient too (in the foreground, its script left out; it keeps running to renew, so it is stopped after).
        var dir = Directory.CreateTempSubdirectory("vsw-dhclient").FullName;
        try
        {
            var dhclient = Shell.Run(fixture.C.Exec($"timeout 8 dhclient -d -1 -v -sf /bin/true -lf {dir}/leases -pf {dir}/pid {fixture.C.Interface}"), TimeSpan.FromSeconds(20));
            Assert.Contains($"bound to {allocated}", dhclient.Stdout + dhclient.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AVmsKernel_AutoconfiguresItsIpv6Address_FromTheSwitchsRouterAdvertisement()
    {
        var daemon = fixture.Lab.Daemon!;
        var allocated = (string)daemon.Api("v2.0/ports?name=d")["ports"]!.AsArray().Single()!["fixed_ips"]!.AsArray()
            .Select(ip => ip!["ip_address"]!).Single(ip => ((string)ip!).Contains(':', StringComparison.Ordinal))!;
        Assert.Equal("2001:db8:70:0:f816:3eff:fe00:104", allocated);
        Shell.Must(fixture.D.Exec($"sysctl -qw net.ipv6.conf.{fixture.D.Interface}.accept_ra=1 net.ipv6.conf.{fixture.D.Interface}.autoconf=1"));
        Shell.Must(fixture.D.Exec($"ip link set {fixture.D.Interface} up"));
        // The kernel solicits once its link-local address passed DAD (about a second), then retries every 4 s.
        Assert.True(Shell.Eventually(() => Shell.Run(fixture.D.Exec($"ip -6 addr show dev {fixture.D.Interface} scope global")).Stdout
            .Contains("2001:db8:70:0:f816:3eff:fe00:104/64", StringComparison.Ordinal), TimeSpan.FromSeconds(15)),
            Shell.Run(fixture.D.Exec($"ip -6 addr show dev {fixture.D.Interface}")).ToString() + daemon.Metrics());
        Assert.True(daemon.Metric("vswitch_router_advertisements_total") >= 1);
    }
}
