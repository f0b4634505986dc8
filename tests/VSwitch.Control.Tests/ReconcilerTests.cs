using Microsoft.Extensions.Logging.Abstractions;
using VSwitch.Control.Configuration;
using VSwitch.Control.Model;
using VSwitch.Dataplane;
using VSwitch.Dataplane.Ports;

namespace VSwitch.Control.Tests;

public sealed class ReconcilerTests : IDisposable
{
    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048 });
    private readonly Reconciler _reconciler;

    public ReconcilerTests()
    {
        _reconciler = new Reconciler(_datapath, Given.PortTypes, NullLogger<Reconciler>.Instance);
    }

    private static SwitchModel Model(string json) => SwitchConfig.Parse(json).ToModel(portTypes: Given.PortTypes);

    private const string TwoPorts = """
        { "networks": [ { "name": "n" } ],
          "ports": [ { "name": "a", "network": "n", "device": "memory:a", "mac_address": "02:00:00:00:00:0a" },
                     { "name": "b", "network": "n", "device": "memory:b" } ] }
        """;

    [Fact]
    public void Apply_NewPorts_PublishesThemActive()
    {
        _reconciler.Apply(Model(TwoPorts));
        var snapshot = _datapath.Publisher.Current;
        Assert.Equal(2, snapshot.Ports.Count(p => p is not null));
        Assert.All(_reconciler.Statuses.Values, s => Assert.Equal(PortStatus.Active, s.State));
        var a = snapshot.Ports.Single(p => p?.Name == "a")!;
        Assert.Equal(a.Slot, _datapath.Macs.Lookup(a.Network, VSwitch.Packets.MacAddress.Parse("02:00:00:00:00:0a"), 0));
        Assert.Equal(2, snapshot.Networks[a.Network]!.Members.Length);
    }

    [Fact]
    public void Apply_NetworkMtuAndVlanTransparency_ReachTheDataPath()
    {
        _reconciler.Apply(Model("""
            { "networks": [ { "name": "n", "mtu": 9000, "vlan_transparent": true }, { "name": "m" } ],
              "ports": [ { "name": "a", "network": "n", "device": "memory:a" }, { "name": "b", "network": "m", "device": "memory:b" } ] }
            """));
        var snapshot = _datapath.Publisher.Current;
        var n = snapshot.Networks[snapshot.Ports.Single(p => p?.Name == "a")!.Network]!;
        var m = snapshot.Networks[snapshot.Ports.Single(p => p?.Name == "b")!.Network]!;
        Assert.Equal((9000, true), (n.Mtu, n.VlanTransparent));
        Assert.Equal((1500, false), (m.Mtu, m.VlanTransparent));
    }

    [Fact]
    public void Apply_RemovedPort_IsClosedAndItsSlotFreed()
    {
        _reconciler.Apply(Model(TwoPorts));
        var a = (InMemoryPort)_datapath.Publisher.Current.Ports.Single(p => p?.Name == "a")!.Port;
        _reconciler.Apply(Model("""{ "networks": [ { "name": "n" } ], "ports": [ { "name": "b", "network": "n", "device": "memory:b" } ] }"""));
        Assert.Single(_datapath.Publisher.Current.Ports, p => p is not null);
        Assert.Equal(-1, _datapath.Macs.Lookup(0, VSwitch.Packets.MacAddress.Parse("02:00:00:00:00:0a"), 0));
        Assert.Throws<ObjectDisposedException>(() => a.Drain(TimeSpan.Zero));
        Assert.Single(_reconciler.Statuses);
    }

    [Fact]
    public void Apply_UnopenablePort_IsReportedAsErrorAndOthersRun()
    {
        _reconciler.Apply(Model("""{ "networks": [ { "name": "n" } ], "ports": [ { "name": "x", "network": "n", "device": "afpacket:nope0", "port_security_enabled": false }, { "name": "b", "network": "n", "device": "memory:b" } ] }"""));
        var statuses = _reconciler.Statuses.Values.ToList();
        Assert.Contains(statuses, s => s.State == PortStatus.Error && s.Reason!.Contains("nope0", StringComparison.Ordinal));
        Assert.Contains(statuses, s => s.State == PortStatus.Active);
    }

    [Fact]
    public void Apply_AdminDown_PublishesPortDown()
    {
        _reconciler.Apply(Model("""{ "networks": [ { "name": "n" } ], "ports": [ { "name": "b", "network": "n", "device": "memory:b", "admin_state_up": false } ] }"""));
        Assert.False(_datapath.Publisher.Current.Ports.Single(p => p is not null)!.AdminUp);
        Assert.Equal(PortStatus.Down, _reconciler.Statuses.Values.Single().State);
        Assert.NotNull(_reconciler.Statuses.Values.Single().Details);
    }

    [Fact]
    public void CheckHealth_FailedPort_GoesDownWithItsReason()
    {
        _reconciler.Apply(Model(TwoPorts));
        var b = _datapath.Publisher.Current.Ports.Single(p => p?.Name == "b")!;
        ((InMemoryPort)b.Port).Fail("interface vanished");
        _reconciler.CheckHealth();
        var status = _reconciler.Statuses[SwitchConfig.NameBasedId("port", "b")];
        Assert.Equal(PortStatus.Down, status.State);
        Assert.Equal("interface vanished", status.Reason);
        // A port that went down still says how it was opened (the API shows both in binding:vif_details).
        Assert.Equal(b.Port.QueueCount.ToString(System.Globalization.CultureInfo.InvariantCulture), status.Details!["queues"]);
        Assert.False(_datapath.Publisher.Current.Ports[b.Slot]!.AdminUp);
    }

    [Fact]
    public void Dispose_DetachesEveryPort()
    {
        _reconciler.Apply(Model(TwoPorts));
        _reconciler.Dispose();
        Assert.DoesNotContain(_datapath.Publisher.Current.Ports, p => p is not null);
    }

    public void Dispose()
    {
        _reconciler.Dispose();
        _datapath.Dispose();
    }
}
