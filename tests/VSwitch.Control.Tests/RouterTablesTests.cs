using Microsoft.Extensions.Logging.Abstractions;
using VSwitch.Control.Model;
using VSwitch.Dataplane;
using VSwitch.Packets;

namespace VSwitch.Control.Tests;

/// <summary>
/// Routers from the model to the data path (<see cref="RouterTables"/> through the <see cref="Reconciler"/>): interfaces,
/// connected and extra routes, neighbours from the attached ports, one conntrack zone for the networks a router joins.
/// </summary>
public sealed class RouterTablesTests : IDisposable
{
    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048 });
    private readonly Reconciler _reconciler;
    private readonly OperationContext _context = Given.Context();

    public RouterTablesTests() => _reconciler = new Reconciler(_datapath, Given.PortTypes, NullLogger<Reconciler>.Instance);

    public void Dispose()
    {
        _reconciler.Dispose();
        _datapath.Dispose();
    }

    private (SwitchModel Model, Guid Router, Guid[] Networks, Guid[] Subnets) TwoNetworksOneRouter()
    {
        var model = SwitchModel.Empty;
        var networks = new Guid[3];
        var subnets = new Guid[3];
        for (var i = 0; i < 3; i++)
        {
            var net = Given.Network(model, _context, $"n{i}");
            var subnet = SubnetOperations.Create(net.Model, new SubnetBody(NetworkId: net.Value.Id, IpVersion: 4, Cidr: $"198.18.{i + 1}.0/24"), _context);
            (model, networks[i], subnets[i]) = (subnet.Model, net.Value.Id, subnet.Value.Id);
        }
        var router = RouterOperations.Create(model, new RouterBody("r"), _context);
        model = router.Model;
        for (var i = 0; i < 2; i++)
        {
            model = RouterOperations.AddInterface(model, router.Value.Id, subnets[i], null, _context).Model;
        }
        for (var i = 0; i < 3; i++)
        {
            model = PortOperations.Create(model, new PortBody($"vm{i}", networks[i], $"memory:vm{i}", PortSecurityEnabled: false), _context).Model;
        }
        return (model, router.Value.Id, networks, subnets);
    }

    [Fact]
    public void TheRoutersNetworks_ShareAZone_AndGetItsInterfaces_ButAnUnattachedNetworkDoesNot()
    {
        var (model, _, networks, _) = TwoNetworksOneRouter();
        _reconciler.Apply(model);
        var snapshot = _datapath.Publisher.Current;
        var segments = networks.Select(n => snapshot.Networks[_reconciler.NetworkIndex(n)]!).ToArray();
        Assert.Equal(segments[0].Zone, segments[1].Zone);
        Assert.Equal(segments[2].Index, segments[2].Zone);
        Assert.NotEqual(segments[0].Zone, segments[2].Zone);
        Assert.Equal(IpAddress128.FromIpv4(0xC612_0101).Ipv4, Assert.Single(segments[0].RouterInterfaces).Ipv4);
        Assert.Empty(segments[2].RouterInterfaces);

        var router = Assert.Single(snapshot.Routers)!;
        Assert.Equal(2, router.Interfaces.Length);
        Assert.Equal(2, router.NeighborCount); // vm0 and vm1; vm2's network is not the router's
        Assert.True(router.TryRoute(IpAddress128.FromIpv4(0xC612_0205), out var iface, out var nextHop));
        Assert.Equal((segments[1].Index, IpAddress128.FromIpv4(0xC612_0205)), (router.Interfaces[iface].Network, nextHop));
        var vm1 = model.Ports.Values.Single(p => p.Name == "vm1");
        Assert.True(router.TryResolve(vm1.FixedIps[0].Address, out var neighbor));
        Assert.Equal((_reconciler.SlotOf(vm1.Id), vm1.Mac!.Value), (neighbor.Slot, neighbor.Mac));
        Assert.False(router.TryRoute(IpAddress128.FromIpv4(0xC612_0305), out _, out _));
    }

    [Fact]
    public void ExtraRoutes_LeaveByTheInterfaceOfTheirNextHop_AndAStatefulPortMakesTheWholeZoneTracked()
    {
        var (model, routerId, networks, _) = TwoNetworksOneRouter();
        model = RouterOperations.Update(model, routerId, new RouterBody(Routes: [("198.19.0.0/16", "198.18.2.2")]), _context).Model;
        var group = Given.Group(model, _context);
        var vm0 = model.Ports.Values.Single(p => p.Name == "vm0");
        model = PortOperations.Update(group.Model, vm0.Id, new PortBody(PortSecurityEnabled: true, SecurityGroups: [group.Value.Id]), _context).Model;
        _reconciler.Apply(model);
        var snapshot = _datapath.Publisher.Current;
        var router = snapshot.Routers.Single()!;
        Assert.True(router.TryRoute(IpAddress128.FromIpv4(0xC613_0909), out var iface, out var nextHop));
        Assert.Equal((_reconciler.NetworkIndex(networks[1]), IpAddress128.FromIpv4(0xC612_0202)), (router.Interfaces[iface].Network, nextHop));
        Assert.DoesNotContain(snapshot.Networks[_reconciler.NetworkIndex(networks[1])]!.Members, slot => snapshot.Ports[slot]!.Policy is not null);
        Assert.True(snapshot.Networks[_reconciler.NetworkIndex(networks[1])]!.Stateful);
        Assert.False(snapshot.Networks[_reconciler.NetworkIndex(networks[2])]!.Stateful);
        Assert.All(_reconciler.Statuses.Values, s => Assert.Equal(PortStatus.Active, s.State));
    }

    [Fact]
    public void RemovingTheInterface_SplitsTheZone_AndAnAdminDownRouterIsPublishedDown()
    {
        var (model, routerId, networks, subnets) = TwoNetworksOneRouter();
        model = RouterOperations.Update(model, routerId, new RouterBody(AdminStateUp: false), _context).Model;
        _reconciler.Apply(model);
        Assert.False(_datapath.Publisher.Current.Routers.Single()!.AdminUp);
        Assert.All(_reconciler.Statuses.Values.Where(s => s.Slot < 0), s => Assert.Equal(PortStatus.Down, s.State));

        var joined = _datapath.Publisher.Current.Networks[_reconciler.NetworkIndex(networks[1])]!.Zone;
        model = RouterOperations.RemoveInterface(model, routerId, subnets[1], null, _context).Model;
        _reconciler.Apply(model);
        var snapshot = _datapath.Publisher.Current;
        // Its connections from the joined days are still found in the zone it had then.
        Assert.Equal(joined, snapshot.Networks[_reconciler.NetworkIndex(networks[1])]!.PreviousZone);
        Assert.NotEqual(snapshot.Networks[_reconciler.NetworkIndex(networks[0])]!.Zone, snapshot.Networks[_reconciler.NetworkIndex(networks[1])]!.Zone);
        Assert.Empty(snapshot.Networks[_reconciler.NetworkIndex(networks[1])]!.RouterInterfaces);
    }
}
