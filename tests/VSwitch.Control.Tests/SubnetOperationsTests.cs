using VSwitch.Control.Model;
using VSwitch.Control.Persistence;

namespace VSwitch.Control.Tests;

/// <summary>Subnets with Neutron's validation, and ports' fixed IPs allocated from them (IPAM).</summary>
public class SubnetOperationsTests
{
    private readonly OperationContext _context = Given.Context();
    private readonly SwitchModel _model;
    private readonly Guid _network;

    public SubnetOperationsTests() => (_model, _network, _) = Given.NetworkAndGroup(_context);

    private ModelChange<Subnet> Create(SubnetBody body, SwitchModel? model = null) => SubnetOperations.Create(model ?? _model, body, _context);

    private SubnetBody V4(string cidr = "198.18.10.0/24") => new(Name: "s", NetworkId: _network, IpVersion: 4, Cidr: cidr);

    private static int Status(Action action) => Assert.Throws<NeutronException>(action).StatusCode;

    private static string[] Addresses(PortSpec port) => [.. port.FixedIps.Select(ip => ip.AddressText)];

    [Fact]
    public void Create_Defaults_GatewayIsTheFirstAddress_PoolsTheRestButBroadcast()
    {
        var subnet = Create(V4()).Value;
        Assert.Equal(4, subnet.IpVersion);
        Assert.Equal("198.18.10.1", subnet.GatewayIp!.Value.AddressText);
        Assert.Equal([("198.18.10.2", "198.18.10.254")], subnet.AllocationPools.Select(p => (p.Start.AddressText, p.End.AddressText)));
        Assert.True(subnet.EnableDhcp);

        var noGateway = Create(V4() with { NoGateway = true }).Value;
        Assert.Null(noGateway.GatewayIp);
        Assert.Equal([("198.18.10.1", "198.18.10.254")], noGateway.AllocationPools.Select(p => (p.Start.AddressText, p.End.AddressText)));

        var middle = Create(V4() with { GatewayIp = "198.18.10.100" }).Value;
        Assert.Equal([("198.18.10.1", "198.18.10.99"), ("198.18.10.101", "198.18.10.254")], middle.AllocationPools.Select(p => (p.Start.AddressText, p.End.AddressText)));

        var v6 = Create(new SubnetBody(NetworkId: _network, IpVersion: 6, Cidr: "2001:db8:10::/64", Ipv6RaMode: "slaac", Ipv6AddressMode: "slaac")).Value;
        Assert.Equal("2001:db8:10::1", v6.GatewayIp!.Value.AddressText);
        Assert.True(v6.IsAutoAddress);
    }

    [Theory]
    [InlineData(4, "198.18.10.5/24", null, "isn't a recommended CIDR, it should be '198.18.10.0/24'")]
    [InlineData(6, "198.18.10.0/24", null, "does not match ip_version 6")]
    [InlineData(5, "198.18.10.0/24", null, "ip_version")]
    [InlineData(4, "not-a-cidr", null, "is not a valid IP subnet")]
    [InlineData(4, "198.18.10.0/24", "198.18.11.1", "Gateway is not valid on subnet")]
    [InlineData(4, "198.18.10.0/24", "198.18.10.0", "Gateway is not valid on subnet")]
    [InlineData(4, "198.18.10.0/24", "198.18.10.255", "Gateway is not valid on subnet")]
    [InlineData(4, "198.18.10.0/24", "2001:db8::1", "is not a valid IP address")]
    public void Create_Invalid_Is400WithNeutronsReason(int version, string cidr, string? gateway, string reason)
    {
        var ex = Assert.Throws<NeutronException>(() => Create(new SubnetBody(NetworkId: _network, IpVersion: version, Cidr: cidr, GatewayIp: gateway)));
        Assert.Equal(400, ex.StatusCode);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_PoolsAreChecked_AndOverlappingSubnetsOfOneNetworkRefused()
    {
        Assert.Equal(400, Status(() => Create(V4() with { AllocationPools = [("198.18.10.50", "198.18.10.40")] })));
        Assert.Equal(400, Status(() => Create(V4() with { AllocationPools = [("198.18.10.50", "198.18.11.40")] })));
        Assert.Equal(409, Status(() => Create(V4() with { AllocationPools = [("198.18.10.10", "198.18.10.20"), ("198.18.10.20", "198.18.10.30")] })));
        Assert.Equal(409, Status(() => Create(V4() with { AllocationPools = [("198.18.10.1", "198.18.10.9")] }))); // holds the gateway
        var pools = Create(V4() with { AllocationPools = [("198.18.10.100", "198.18.10.110"), ("198.18.10.10", "198.18.10.20")] }).Value.AllocationPools;
        Assert.Equal(["198.18.10.10", "198.18.10.100"], pools.Select(p => p.Start.AddressText));

        var first = Create(V4());
        var ex = Assert.Throws<NeutronException>(() => Create(V4("198.18.10.128/25"), first.Model));
        Assert.Contains("overlaps with another subnet", ex.Message, StringComparison.Ordinal);
        var other = Given.Network(first.Model, _context, "other");
        // Another network may use the same range (Neutron's allow_overlapping_ips).
        Assert.Equal("198.18.10.0/24", Create(new SubnetBody(NetworkId: other.Value.Id, IpVersion: 4, Cidr: "198.18.10.0/24"), other.Model).Value.Cidr.ToString());
    }

    [Theory]
    [InlineData(4, "198.18.10.0/24", "slaac", null, "Modes are only valid for IPv6")]
    [InlineData(6, "2001:db8::/64", "slaac", "dhcpv6-stateful", "they must be the same value")]
    [InlineData(6, "2001:db8::/80", null, "slaac", "requires the prefix to be /64")]
    [InlineData(6, "2001:db8::/64", "auto", null, "is not in")]
    public void Create_Ipv6Modes_AreChecked(int version, string cidr, string? ra, string? address, string reason)
    {
        var ex = Assert.Throws<NeutronException>(() => Create(new SubnetBody(NetworkId: _network, IpVersion: version, Cidr: cidr, Ipv6RaMode: ra, Ipv6AddressMode: address)));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ports_GetAddressesFromThePools_LowestFreeFirst_AndFreeThemOnDelete()
    {
        var subnet = Create(V4() with { AllocationPools = [("198.18.10.10", "198.18.10.12")] });
        var a = PortOperations.Create(subnet.Model, new PortBody("a", _network, "memory"), _context);
        Assert.Equal(["198.18.10.10"], Addresses(a.Value));
        var b = PortOperations.Create(a.Model, new PortBody("b", _network, "memory", FixedIps: [new FixedIpBody(null, subnet.Value.Id)]), _context);
        Assert.Equal(["198.18.10.11"], Addresses(b.Value));
        var c = PortOperations.Create(b.Model, new PortBody("c", _network, "memory", FixedIps: [new FixedIpBody("198.18.10.200", subnet.Value.Id)]), _context);
        Assert.Equal(["198.18.10.200"], Addresses(c.Value)); // outside the pools but in the subnet: allowed, as Neutron
        var d = PortOperations.Create(c.Model, new PortBody("d", _network, "memory"), _context);
        Assert.Equal(["198.18.10.12"], Addresses(d.Value));
        var full = Assert.Throws<NeutronException>(() => PortOperations.Create(d.Model, new PortBody("e", _network, "memory"), _context));
        Assert.Equal(("IpAddressGenerationFailure", 409), (full.Type, full.StatusCode));

        var freed = PortOperations.Delete(d.Model, a.Value.Id, _context);
        Assert.Equal(["198.18.10.10"], Addresses(PortOperations.Create(freed, new PortBody("e", _network, "memory"), _context).Value));
        Assert.Equal(409, Status(() => SubnetOperations.Delete(freed, subnet.Value.Id, _context)));
    }

    [Fact]
    public void ExplicitAddresses_AreCheckedAgainstTheSubnets()
    {
        var subnet = Create(V4());
        PortSpec Port(params FixedIpBody[] ips) => PortOperations.Create(subnet.Model, new PortBody("p", _network, "memory", FixedIps: ips), _context).Value;
        NeutronException Refused(params FixedIpBody[] ips) => Assert.Throws<NeutronException>(() => Port(ips));

        Assert.Equal(["198.18.10.7"], Addresses(Port("198.18.10.7")));
        Assert.Equal("InvalidIpForNetwork", Refused("198.18.99.7").Type);
        Assert.Equal("InvalidIpForSubnet", Refused(new FixedIpBody("198.18.99.7", subnet.Value.Id)).Type);
        Assert.Equal("InvalidIpForSubnet", Refused("198.18.10.0").Type);
        Assert.Equal("InvalidIpForSubnet", Refused("198.18.10.255").Type);
        Assert.Equal("IpAddressAlreadyAllocated", Refused("198.18.10.1").Type);
        Assert.Equal("InvalidInput", Refused(new FixedIpBody(null, Guid.NewGuid())).Type);
        Assert.Equal(400, Refused("198.18.10.7", "198.18.10.7").StatusCode);

        // A network without subnets keeps taking bare addresses, as before subnets existed.
        var bare = Given.Network(subnet.Model, _context, "bare");
        Assert.Equal(["203.0.113.9"], Addresses(PortOperations.Create(bare.Model, new PortBody("q", bare.Value.Id, "memory", FixedIps: ["203.0.113.9"]), _context).Value));
    }

    [Fact]
    public void APortWithoutFixedIps_GetsOneIpv4Address_AndItsEui64OnSlaac()
    {
        var v4 = Create(V4());
        var v6 = Create(new SubnetBody(NetworkId: _network, IpVersion: 6, Cidr: "2001:db8:10::/64", Ipv6RaMode: "slaac", Ipv6AddressMode: "slaac"), v4.Model);
        var port = PortOperations.Create(v6.Model, new PortBody("p", _network, "memory", MacAddress: "fa:16:3e:12:34:56"), _context).Value;
        Assert.Equal(["198.18.10.2", "2001:db8:10:0:f816:3eff:fe12:3456"], Addresses(port));
    }

    [Fact]
    public void Update_ReadOnlyAttributesAndGatewayConflicts_AreRefused_OthersApply()
    {
        var subnet = Create(V4());
        Assert.Equal(400, Status(() => SubnetOperations.Update(subnet.Model, subnet.Value.Id, new SubnetBody(Cidr: "198.18.11.0/24"), _context)));
        Assert.Equal(409, Status(() => SubnetOperations.Update(subnet.Model, subnet.Value.Id, new SubnetBody(GatewayIp: "198.18.10.50"), _context)));
        var port = PortOperations.Create(subnet.Model, new PortBody("p", _network, "memory", FixedIps: ["198.18.10.250"]), _context);
        Assert.Equal(409, Status(() => SubnetOperations.Update(port.Model, subnet.Value.Id,
            new SubnetBody(GatewayIp: "198.18.10.250", AllocationPools: [("198.18.10.2", "198.18.10.200")]), _context)));
        var updated = SubnetOperations.Update(port.Model, subnet.Value.Id,
            new SubnetBody(Name: "renamed", DnsNameservers: ["198.18.0.53"], HostRoutes: [("198.19.0.0/16", "198.18.10.254")], EnableDhcp: false), _context).Value;
        Assert.Equal(("renamed", "198.18.0.53", false, 1L), (updated.Name, updated.DnsNameservers.Single().AddressText, updated.EnableDhcp, updated.RevisionNumber));
    }

    [Fact]
    public void DeletingTheNetwork_TakesItsSubnets_AndTheStoreKeepsThem()
    {
        var subnet = Create(V4() with { DnsNameservers = ["198.18.0.53"], HostRoutes = [("198.19.0.0/16", "198.18.10.254")] });
        var v6 = Create(new SubnetBody(NetworkId: _network, IpVersion: 6, Cidr: "2001:db8:10::/64", Ipv6AddressMode: "dhcpv6-stateful"), subnet.Model);
        var dir = Directory.CreateTempSubdirectory("vswitch-subnets-").FullName;
        try
        {
            using (var store = StateStore.Open(dir))
            {
                store.Commit(SwitchModel.Empty, v6.Model);
            }
            using (var store = StateStore.Open(dir))
            {
                var loaded = store.Load();
                Assert.Equal(v6.Model.Subnets.Values, loaded.Subnets.Values);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        Assert.Empty(NetworkOperations.Delete(v6.Model, _network, _context).Subnets);
    }
}
