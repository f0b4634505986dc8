using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;
using Terminal.Gui.Input;
using VSwitch.Console.Views;
using Xunit.Abstractions;

namespace VSwitch.Console.Tests;

/// <summary>The routers screen: its rows built from the API's routers, floating IPs, subnets and ports, and its text at 80 columns.</summary>
public sealed class RoutersScreenTests(ITestOutputHelper output)
{
    private static readonly Network[] s_networks = [new() { Id = "n-ext", Name = "public" }, new() { Id = "n-in", Name = "private" }];

    private static readonly Subnet[] s_subnets =
    [
        new() { Id = "s-app", Name = "app", NetworkId = "n-in", Cidr = "198.18.20.0/24" },
        new() { Id = "s-web", Name = "web", NetworkId = "n-in", Cidr = "198.18.10.0/24" },
        new() { Id = "s-pub", Name = "pub", NetworkId = "n-ext", Cidr = "198.19.0.0/24" },
    ];

    private static readonly Router[] s_routers =
    [
        new()
        {
            Id = "r1", Name = "edge", AdminStateUp = true, Status = "ACTIVE",
            ExternalGateway = new RouterGatewayInfo { NetworkId = "n-ext", ExternalFixedIps = [new FixedIp { IpAddress = "198.19.0.2", SubnetId = "s-pub" }] },
            Routes = [new HostRoute { Destination = "198.18.99.0/24", NextHop = "198.18.20.254" }],
        },
        new() { Id = "r2", Name = "lab", AdminStateUp = false, Status = "ACTIVE" },
    ];

    private static Port Port(string id, string name, string ip, string? subnet = null, string? owner = null, string? device = null, params string[] groups) => new()
    {
        Id = id,
        Name = name,
        FixedIps = [new FixedIp { IpAddress = ip, SubnetId = subnet }],
        PortSecurityEnabled = owner is null,
        SecurityGroups = groups,
        DeviceOwner = owner,
        DeviceId = device,
    };

    private static readonly Port[] s_ports =
    [
        Port("i1", "", "198.18.20.1", "s-app", RouterTable.InterfaceOwner, "r1"),
        Port("i2", "", "198.18.10.1", "s-web", RouterTable.InterfaceOwner, "r1"),
        Port("p-web", "web-vm", "198.18.10.5", "s-web", null, null, "g-web", "g-default"),
    ];

    private static readonly FloatingIp[] s_floating =
    [
        new() { Id = "f2", FloatingIpAddress = "198.19.0.100", FloatingNetworkId = "n-ext", Status = "DOWN" },
        new() { Id = "f1", FloatingIpAddress = "198.19.0.20", FloatingNetworkId = "n-ext", PortId = "p-web", FixedIpAddress = "198.18.10.5", RouterId = "r1", Status = "ACTIVE" },
    ];

    private static SwitchSnapshot Snapshot(double at, long webRx, long webTx) => new(TimeSpan.FromSeconds(at),
        new SwitchStats { PortStats = [new PortStats { PortId = "p-web", Name = "web-vm", RxPackets = webRx, TxPackets = webTx }] },
        s_ports,
        [new SecurityGroup { Id = "g-web", Name = "web" }, new SecurityGroup { Id = "g-default", Name = "default" }],
        null,
        new RoutingInventory(s_routers, s_floating, s_subnets, s_networks));

    [Fact]
    public void Routers_ShowGatewaySnatSubnetsAndRoutes_ByName()
    {
        var rows = RouterTable.Routers(Snapshot(1, 0, 0));
        Assert.Equal(["edge", "lab"], rows.Select(r => r.Name));
        var edge = rows[0];
        Assert.Equal(("ACTIVE", "public 198.19.0.2", "on", 1), (edge.State, edge.Gateway, edge.Snat, edge.FloatingIps));
        Assert.Equal(["198.18.20.1/24 app", "198.18.10.1/24 web"], edge.Interfaces);
        Assert.Equal(["198.18.99.0/24 via 198.18.20.254"], edge.Routes);
        Assert.Equal(("DOWN", "(none)", "", 0), (rows[1].State, rows[1].Gateway, rows[1].Snat, rows[1].Interfaces.Count));
    }

    [Fact]
    public void FloatingIps_NameTheirPortGroupsAndRouter_InAddressOrder_WithThePortsRate()
    {
        var rows = RouterTable.FloatingIps(Snapshot(1, 100, 50), Snapshot(3, 300, 250));
        Assert.Equal(["198.19.0.20", "198.19.0.100"], rows.Select(r => r.Address));
        Assert.Equal(new FloatingIpRow("198.19.0.20", "web-vm", "198.18.10.5", "edge", "web,default", 200, "f1"), rows[0]);
        Assert.Equal(new FloatingIpRow("198.19.0.100", "", "", "", "", null, "f2"), rows[1]);
        Assert.Null(RouterTable.FloatingIps(null, Snapshot(1, 100, 50))[0].PacketsPerSecond);
    }

    [Fact]
    public void Screen_At80Columns_ShowsBothTables_AndBeforeTheFirstReadSaysSo()
    {
        using var ui = new Headless(80, 24);
        output.WriteLine($"focused before: {ui.App.Navigation?.GetFocused()?.GetType().Name}");
        ui.Press(Key.D6);
        output.WriteLine($"screen {ui.Window.State.Screen} focused: {ui.App.Navigation?.GetFocused()?.GetType().Name}");
        var before = ui.Screen();
        output.WriteLine(before);
        Assert.Contains("Routers: reading", before);
        ui.Window.Apply(Snapshot(1, 100, 50));
        ui.Window.Apply(Snapshot(2, 150, 60));
        var screen = ui.Screen();
        output.WriteLine(screen);
        var lines = screen.Split('\n');
        Assert.Contains(lines, l => l.Contains("edge", StringComparison.Ordinal) && l.Contains("ACTIVE", StringComparison.Ordinal)
            && l.Contains("public 198.19.0.2", StringComparison.Ordinal) && l.Contains(" on ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("lab", StringComparison.Ordinal) && l.Contains("DOWN", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("198.19.0.20 ", StringComparison.Ordinal) && l.Contains("web-vm", StringComparison.Ordinal) && l.TrimEnd().EndsWith("60", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("198.19.0.100", StringComparison.Ordinal) && l.Contains("(unattached)", StringComparison.Ordinal));
        Assert.Contains("Floating IPs: 2", screen);
        // The routed subnets, all of them, in the router's row (the table scrolls sideways at 80 columns).
        var routers = ui.Window.ScreenOf<RoutersScreen>().Routers;
        Assert.Equal("198.18.20.1/24 app, 198.18.10.1/24 web", routers.Table![0, 4]);
    }

    [Fact]
    public void Routers_WithoutNameStatusOrCidrLength_StillShowSomething()
    {
        var snapshot = new SwitchSnapshot(TimeSpan.Zero, new SwitchStats(),
            [Port("i9", "", "198.18.30.1", "s-odd", RouterTable.InterfaceOwner, "r9")], [], null,
            new RoutingInventory([new Router { Id = "r9", Name = "", AdminStateUp = true, Status = null }], [],
                [new Subnet { Id = "s-odd", Name = "odd", Cidr = "198.18.30.0" }], []));
        var row = Assert.Single(RouterTable.Routers(snapshot));
        Assert.Equal(("r9", "ACTIVE", "198.18.30.1 odd"), (row.Name, row.State, Assert.Single(row.Interfaces)));
    }
}
