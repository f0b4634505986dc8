using VSwitch.Control.Model;
using VSwitch.Packets;

namespace VSwitch.Control.Tests;

public class PortOperationsTests
{
    private readonly OperationContext _context = Given.Context();
    private readonly SwitchModel _model;
    private readonly Guid _network;
    private readonly Guid _group;

    public PortOperationsTests() => (_model, _network, _group) = Given.NetworkAndGroup(_context);

    private ModelChange<PortSpec> Create(PortBody body, SwitchModel? model = null) => PortOperations.Create(model ?? _model, body, _context);

    private PortBody Body(string name = "p") => new(name, _network, "memory");

    [Fact]
    public void Create_WithoutGroups_GetsTheProjectsDefaultGroup()
    {
        var port = Create(Body()).Value;
        Assert.Equal([_model.DefaultGroupOf(_context.ProjectId)!.Id], port.SecurityGroupIds);
        Assert.True(port.PortSecurityEnabled);
        Assert.Equal(_context.ProjectId, port.ProjectId);
    }

    [Fact]
    public void Create_ProjectsFirstUse_CreatesTheDefaultGroupToo()
    {
        var admin = Given.Context("admin");
        var net = Given.Network(SwitchModel.Empty, admin);
        var port = PortOperations.Create(net.Model, new PortBody("p", net.Value.Id, ProjectId: "fresh"), admin);
        var defaultGroup = port.Model.DefaultGroupOf(ProjectId.Parse("fresh"));
        Assert.NotNull(defaultGroup);
        Assert.Equal([defaultGroup.Id], port.Value.SecurityGroupIds);
    }

    [Fact]
    public void Create_EmptyGroupList_GetsNoGroup()
    {
        Assert.Empty(Create(Body() with { SecurityGroups = [] }).Value.SecurityGroupIds);
    }

    [Fact]
    public void Create_GroupGivenTwice_Returns400NamingIt()
    {
        // Neutron's uuid_list validator: "Duplicate items in the list".
        var ex = Given.Refused(400, "HTTPBadRequest", () => Create(Body() with { SecurityGroups = [_group, _group] }));
        Assert.Contains($"Duplicate items in the list: '{_group}'", ex.Message);
    }

    [Fact]
    public void Create_PortSecurityDisabled_GetsNoDefaultGroup()
    {
        var port = Create(Body() with { PortSecurityEnabled = false }).Value;
        Assert.Empty(port.SecurityGroupIds);
        Assert.False(port.PortSecurityEnabled);
    }

    [Fact]
    public void Create_PortSecurityDisabledWithGroups_Returns400()
    {
        Given.Refused(400, "PortSecurityAndIPRequiredForSecurityGroups", () => Create(Body() with { PortSecurityEnabled = false, SecurityGroups = [_group] }));
    }

    [Fact]
    public void Create_UnknownGroups_Returns404NamingThem()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        var ex = Given.Refused(404, "SecurityGroupNotFound", () => Create(Body() with { SecurityGroups = [_group, a, b] }));
        Assert.Equal($"Security group {a}, {b} does not exist", ex.Message);
    }

    [Fact]
    public void Create_OtherProjectsGroup_Returns404()
    {
        var other = Given.Group(_model, Given.Context("p2"), "theirs");
        Given.Refused(404, "SecurityGroupNotFound", () => Create(Body() with { SecurityGroups = [other.Value.Id] }, other.Model));
    }

    [Fact]
    public void Create_StatefulAndStatelessGroups_Returns409()
    {
        var stateless = Given.Group(_model, _context, "raw", stateful: false);
        var ex = Given.Refused(409, "SecurityGroupConflict", () => Create(Body() with { SecurityGroups = [_group, stateless.Value.Id] }, stateless.Model));
        Assert.Contains("both stateful and stateless", ex.Message);
    }

    [Fact]
    public void Create_OnlyStatelessGroups_IsAllowed()
    {
        var a = Given.Group(_model, _context, "a", stateful: false);
        var b = Given.Group(a.Model, _context, "b", stateful: false);
        Assert.Equal(2, Create(Body() with { SecurityGroups = [a.Value.Id, b.Value.Id] }, b.Model).Value.SecurityGroupIds.Count);
    }

    [Theory]
    [InlineData("zz")]
    [InlineData("00:00:00:00:00:00")]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("fa:16:3e:00:00")]
    public void Create_InvalidMac_Returns400(string mac)
    {
        var ex = Given.Refused(400, "HTTPBadRequest", () => Create(Body() with { MacAddress = mac }));
        Assert.Equal($"Invalid input for mac_address. Reason: '{mac}' is not a valid MAC address.", ex.Message);
    }

    [Fact]
    public void Create_MacInUseInTheNetwork_Returns409()
    {
        var first = Create(Body() with { MacAddress = "fa:16:3e:00:00:01" });
        var ex = Given.Refused(409, "MacAddressInUse", () => Create(Body("q") with { MacAddress = "FA:16:3E:00:00:01" }, first.Model));
        Assert.Equal($"Unable to complete operation for network {_network}. The mac address fa:16:3e:00:00:01 is in use.", ex.Message);
    }

    [Fact]
    public void Create_SameMacInAnotherNetwork_IsAllowed()
    {
        var first = Create(Body() with { MacAddress = "fa:16:3e:00:00:01" });
        var net2 = Given.Network(first.Model, _context, "net2");
        Assert.Equal(2, Create(new PortBody("q", net2.Value.Id, MacAddress: "fa:16:3e:00:00:01"), net2.Model).Model.Ports.Count);
    }

    [Fact]
    public void Create_NoMac_GetsAFreeNeutronBaseMac()
    {
        var model = _model;
        var macs = new HashSet<MacAddress>();
        for (var i = 0; i < 20; i++)
        {
            var change = Create(Body($"p{i}"), model);
            model = change.Model;
            var mac = change.Value.Mac!.Value;
            Assert.StartsWith("fa:16:3e:", mac.ToString());
            Assert.True(macs.Add(mac));
        }
    }

    [Fact]
    public void Create_FixedIps_ParsedAsPlainAddresses()
    {
        var port = Create(Body() with { FixedIps = ["10.0.0.5", "2001:db8::5"] }).Value;
        Assert.Equal(["10.0.0.5", "2001:db8::5"], port.FixedIps.Select(ip => ip.AddressText));
        Assert.Equal([Ethertype.IPv4, Ethertype.IPv6], port.FixedIps.Select(ip => ip.Family));
    }

    [Fact]
    public void Create_Ipv4MappedIpv6Addresses_StayIpv6_AsInNeutron()
    {
        var port = Create(Body() with
        {
            FixedIps = ["::ffff:198.18.77.5", "198.18.77.5"],
            AllowedAddressPairs = [new AllowedAddressPairBody("::ffff:198.18.77.96/123")],
        }).Value;
        Assert.Equal(["::ffff:198.18.77.5", "198.18.77.5"], port.FixedIps.Select(ip => ip.AddressText));
        Assert.Equal([Ethertype.IPv6, Ethertype.IPv4], port.FixedIps.Select(ip => ip.Family));
        Assert.Equal((Ethertype.IPv6, "::ffff:198.18.77.96/123"), (port.AllowedAddressPairs[0].IpAddress.Family, port.AllowedAddressPairs[0].IpAddress.ToString()));
    }

    [Theory]
    [InlineData("10.0.0.300")]
    [InlineData("10.0.0.0/24")]
    [InlineData("nope")]
    public void Create_InvalidFixedIp_Returns400(string ip)
    {
        var ex = Given.Refused(400, "HTTPBadRequest", () => Create(Body() with { FixedIps = [ip] }));
        Assert.Contains("fixed_ips", ex.Message);
    }

    [Fact]
    public void Create_SameFixedIpTwiceInTheRequest_Returns400()
    {
        var ex = Given.Refused(400, "HTTPBadRequest", () => Create(Body() with { FixedIps = ["10.0.0.5", "10.0.0.5"] }));
        Assert.Contains("Duplicate IP address '10.0.0.5'", ex.Message);
    }

    [Fact]
    public void Create_FixedIpInUseInTheNetwork_Returns409()
    {
        var first = Create(Body() with { FixedIps = ["10.0.0.5"] });
        var ex = Given.Refused(409, "IpAddressInUse", () => Create(Body("q") with { FixedIps = ["10.0.0.6", "10.0.0.5"] }, first.Model));
        Assert.Contains("The IP address 10.0.0.5 is in use.", ex.Message);
    }

    [Fact]
    public void Create_AllowedAddressPairs_DefaultToThePortsMac()
    {
        var port = Create(Body() with
        {
            MacAddress = "fa:16:3e:00:00:07",
            AllowedAddressPairs = [new("10.0.0.100"), new("10.1.0.0/16", "fa:16:3e:00:00:99")],
        }).Value;
        Assert.Equal(
            [("10.0.0.100", "fa:16:3e:00:00:07"), ("10.1.0.0/16", "fa:16:3e:00:00:99")],
            port.AllowedAddressPairs.Select(p => (p.IpAddressText, p.MacAddress.ToString())));
    }

    [Fact]
    public void Create_AllowedAddressPairsWithoutPortSecurity_Returns409()
    {
        Given.Refused(409, "AddressPairAndPortSecurityRequired", () => Create(Body() with { PortSecurityEnabled = false, AllowedAddressPairs = [new("10.0.0.100")] }));
    }

    [Fact]
    public void Create_SameAddressPairTwice_Returns400()
    {
        Given.Refused(400, "DuplicateAddressPairInRequest", () => Create(Body() with { AllowedAddressPairs = [new("10.0.0.100"), new("10.0.0.100")] }));
    }

    [Theory]
    [InlineData(null, null, "AllowedAddressPairsMissingIP")]
    [InlineData("10.0.0.0/40", null, "HTTPBadRequest")]
    [InlineData("10.0.0.1", "zz", "HTTPBadRequest")]
    public void Create_InvalidAddressPair_Returns400(string? ip, string? mac, string type)
    {
        Given.Refused(400, type, () => Create(Body() with { AllowedAddressPairs = [new(ip, mac)] }));
    }

    [Fact]
    public void Create_UnknownNetwork_Returns404()
    {
        var id = Guid.NewGuid();
        var ex = Given.Refused(404, "NetworkNotFound", () => Create(new PortBody("p", id)));
        Assert.Equal($"Network {id} could not be found.", ex.Message);
    }

    [Fact]
    public void Create_NoNetwork_Returns400()
    {
        Given.Refused(400, "HTTPBadRequest", () => Create(new PortBody("p")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("memory")]
    [InlineData("tap:web0")]
    [InlineData("tap:web0@vm-web")]
    [InlineData("afpacket:veth-db")]
    [InlineData("afpacket:veth-db?rx=v2")]
    [InlineData("afpacket:abcdefghijklmno?rx=v3")]
    [InlineData("tap:web0?io=uring")]
    [InlineData("tap:web0@vm-web?io=syscalls")]
    public void Create_ValidDevice_Kept(string device)
    {
        Assert.Equal(device, Create(Body() with { Device = device }).Value.Device);
    }

    [Theory]
    [InlineData("tap:")]
    [InlineData("tap:averyveryverylongname")]
    [InlineData("tap:a/b")]
    [InlineData("tap:x@")]
    [InlineData("vhost:x")]
    [InlineData("afpacket:veth-db?rx=v9")]
    [InlineData("afpacket:veth-db?")]
    [InlineData("tap:web0?rx=v2")]
    [InlineData("tap:web0?io=epoll")]
    [InlineData("tap:web0?")]
    [InlineData("tap:web0@vm?io=")]
    [InlineData("afpacket:veth-db?io=uring")]
    public void Create_InvalidDevice_Returns400(string device)
    {
        Given.Refused(400, "HTTPBadRequest", () => Create(Body() with { Device = device }));
    }

    [Fact]
    public void Create_DeviceOfAnotherPort_Returns409()
    {
        var first = Create(Body() with { Device = "tap:web0" });
        Given.Refused(409, "DeviceInUse", () => Create(Body("q") with { Device = "tap:web0@other" }, first.Model));
    }

    [Fact]
    public void Create_TapOfAnotherPortWithOtherIo_Returns409()
    {
        var first = Create(Body() with { Device = "tap:web0?io=uring" });
        Given.Refused(409, "DeviceInUse", () => Create(Body("q") with { Device = "tap:web0@vm?io=syscalls" }, first.Model));
    }

    [Fact]
    public void Create_AfPacketInterfaceOfAnotherPortWithOtherRing_Returns409()
    {
        var first = Create(Body() with { Device = "afpacket:veth-db" });
        Given.Refused(409, "DeviceInUse", () => Create(Body("q") with { Device = "afpacket:veth-db?rx=v3" }, first.Model));
    }

    [Fact]
    public void Update_DisablePortSecurityWhileGroupsRemain_Returns409()
    {
        var port = Create(Body());
        Given.Refused(409, "PortSecurityPortHasSecurityGroup", () => PortOperations.Update(port.Model, port.Value.Id, new PortBody(PortSecurityEnabled: false), _context));
    }

    [Fact]
    public void Update_DisablePortSecurityAndClearGroups_IsAllowed()
    {
        var port = Create(Body());
        var updated = PortOperations.Update(port.Model, port.Value.Id, new PortBody(PortSecurityEnabled: false, SecurityGroups: []), _context).Value;
        Assert.False(updated.PortSecurityEnabled);
        Assert.Empty(updated.SecurityGroupIds);
        Assert.Equal(1, updated.RevisionNumber);
    }

    [Fact]
    public void Update_GroupsOnAPortWithoutPortSecurity_Returns400()
    {
        var port = Create(Body() with { PortSecurityEnabled = false });
        Given.Refused(400, "PortSecurityAndIPRequiredForSecurityGroups", () => PortOperations.Update(port.Model, port.Value.Id, new PortBody(SecurityGroups: [_group]), _context));
    }

    [Fact]
    public void Update_ReenablePortSecurity_DoesNotAddDefault()
    {
        var port = Create(Body() with { PortSecurityEnabled = false });
        Assert.Empty(PortOperations.Update(port.Model, port.Value.Id, new PortBody(PortSecurityEnabled: true), _context).Value.SecurityGroupIds);
    }

    [Fact]
    public void Update_ReplaceGroups_ChangesMembership()
    {
        var port = Create(Body());
        var updated = PortOperations.Update(port.Model, port.Value.Id, new PortBody(SecurityGroups: [_group]), _context);
        Assert.Equal([_group], updated.Value.SecurityGroupIds);
        Assert.Equal([port.Value.Id], SecurityGroupMembership.Of(updated.Model).Members(_group).Select(p => p.Id));
    }

    [Fact]
    public void Update_Network_Returns400()
    {
        var port = Create(Body());
        Given.Refused(400, "HTTPBadRequest", () => PortOperations.Update(port.Model, port.Value.Id, new PortBody(NetworkId: Guid.NewGuid()), _context));
    }

    [Fact]
    public void Update_MacToAnotherPortsMac_Returns409()
    {
        var a = Create(Body() with { MacAddress = "fa:16:3e:00:00:01" });
        var b = Create(Body("q"), a.Model);
        Given.Refused(409, "MacAddressInUse", () => PortOperations.Update(b.Model, b.Value.Id, new PortBody(MacAddress: "fa:16:3e:00:00:01"), _context));
        Assert.Equal(
            "fa:16:3e:00:00:01",
            PortOperations.Update(a.Model, a.Value.Id, new PortBody(MacAddress: "fa:16:3e:00:00:01"), _context).Value.Mac.ToString());
    }

    [Fact]
    public void Delete_Port_RemovesIt()
    {
        var port = Create(Body());
        Assert.Empty(PortOperations.Delete(port.Model, port.Value.Id, _context).Ports);
    }

    [Fact]
    public void Delete_UnknownPort_Returns404()
    {
        Given.Refused(404, "PortNotFound", () => PortOperations.Delete(_model, Guid.NewGuid(), _context));
    }

    [Fact]
    public void PortSpec_SameContentBuiltTwice_IsEqual()
    {
        var a = Create(Body() with { FixedIps = ["10.0.0.5"], MacAddress = "fa:16:3e:00:00:01" }).Value;
        var b = a with { FixedIps = [new IpPrefix(IpAddress128.FromIpv4(0x0A000005), 32, Ethertype.IPv4)], SecurityGroupIds = a.SecurityGroupIds.ToArray().ToEquatableArray() };
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { FixedIps = [] });
    }
}
