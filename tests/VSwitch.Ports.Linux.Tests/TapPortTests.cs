using System.Diagnostics;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Ports.Linux.Tests.Infrastructure;

namespace VSwitch.Ports.Linux.Tests;

/// <summary>TAP ports against real namespaces (root; CI runs them). Each test builds and removes its own network.</summary>
[Collection(PrivilegedCollection.Name)]
[Trait("Category", "Privileged")]
public sealed class TapPortTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(3);
    private readonly TestNetwork _net = new();

    public void Dispose() => _net.Dispose();

    /// <summary>Creates a namespace, a TAP port moved into it, and gives the TAP (the VM's NIC) address .1.</summary>
    private (string Ns, string Tap, TapPort Port) OpenInNamespace(int queues = 1, VSwitch.Packets.MacAddress? mac = null)
    {
        var ns = _net.AddNamespace("vm");
        var tap = _net.LinkName("t");
        var port = TapPort.Open($"tap:{tap}@{ns}", queues, mac);
        Shell.Ip($"-n {ns} addr add {_net.Address(1)}/24 dev {tap}");
        return (ns, tap, port);
    }

    [Fact]
    public void Open_WithNamespace_MovesDeviceSetsMacAndBringsItUp()
    {
        var mac = Frames.RandomMac();
        var (ns, tap, port) = OpenInNamespace(mac: mac);
        using (port)
        {
            Assert.False(Shell.TryIp($"link show {tap}"), "the device must have left the switch's namespace");
            var show = Shell.Ip($"-n {ns} -d link show {tap}");
            Assert.Contains("UP", show);
            Assert.Contains(mac.ToString(), show, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("tap", show);
            Assert.Equal(1, port.QueueCount);
            Assert.Null(port.Failure);
        }
        Assert.False(Shell.TryIp($"-n {ns} link show {tap}"), "Dispose must remove the device");
    }

    [Fact]
    public void Transmit_ArpRequest_NamespaceRepliesAndReplyIsReceived()
    {
        var mac = Frames.RandomMac();
        var (_, _, port) = OpenInNamespace(mac: mac);
        using (port)
        using (var driver = new PortDriver(port))
        {
            var peer = Frames.RandomMac();
            Assert.Equal(1, driver.Send(Frames.ArpRequest(peer, _net.Address(2), _net.Address(1))));

            var reply = driver.WaitFor(f => Frames.IsArp(f.Data, 2, _net.Address(1)), s_wait);
            Assert.NotNull(reply);
            Assert.Equal(42, reply.Data.Length);
            Assert.Equal(mac, VSwitch.Packets.MacAddress.Read(reply.Data.AsSpan(6)));
            Assert.Equal(peer, VSwitch.Packets.MacAddress.Read(reply.Data.AsSpan(0)));
            Assert.Equal(0, driver.Errors.RxErrors);
        }
    }

    [Fact]
    public void Receive_PingFromNamespace_DeliversArpRequestWithCorrectLength()
    {
        var (ns, _, port) = OpenInNamespace();
        using (port)
        using (var driver = new PortDriver(port))
        using (var ping = Shell.Start("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", _net.Address(2)))
        {
            var request = driver.WaitFor(f => Frames.IsArp(f.Data, 1, _net.Address(1)), s_wait);
            Assert.NotNull(request);
            Assert.Equal(42, request.Data.Length);
            Assert.True(VSwitch.Packets.MacAddress.Read(request.Data).IsBroadcast);
            ping.WaitForExit(5000);
        }
    }

    [Fact]
    public void Transmit_IcmpEchoRequest_NamespaceAnswersWithEchoReply()
    {
        var mac = Frames.RandomMac();
        var (ns, tap, port) = OpenInNamespace(mac: mac);
        using (port)
        using (var driver = new PortDriver(port))
        {
            var peer = Frames.RandomMac();
            Shell.Ip($"-n {ns} neigh replace {_net.Address(2)} lladdr {peer} dev {tap}");
            var frame = Frames.IcmpEchoRequest(mac, peer, _net.Address(2), _net.Address(1), id: 0x5a5a, seq: 1, payload: 56);
            Assert.Equal(1, driver.Send(frame));

            var reply = driver.WaitFor(f => Frames.IsEchoReply(f.Data, _net.Address(1), 0x5a5a), s_wait);
            Assert.NotNull(reply);
            Assert.Equal(frame.Length, reply.Data.Length);
        }
    }

    [Fact]
    public void Open_TwoQueues_OpensTwoFdsAndBothQueuesWork()
    {
        var mac = Frames.RandomMac();
        var (ns, tap, port) = OpenInNamespace(queues: 2, mac: mac);
        using (port)
        using (var driver = new PortDriver(port))
        {
            Assert.Equal(2, port.QueueCount);
            Assert.NotEqual(port.GetReadyFd(0), port.GetReadyFd(1));
            var details = Shell.Ip($"-n {ns} -d link show {tap}");
            if (details.Contains("numqueues"))
            {
                Assert.Contains("numqueues 2", details);
            }
            var peer = Frames.RandomMac();
            Assert.Equal(1, driver.Send(Frames.ArpRequest(peer, _net.Address(2), _net.Address(1)), queue: 1));
            Assert.NotNull(driver.WaitFor(f => Frames.IsArp(f.Data, 2, _net.Address(1)), s_wait));
        }
    }

    [Fact]
    public void Open_AfterDaemonDied_ReattachesToDeviceInsideNamespace()
    {
        var mac = Frames.RandomMac();
        var (ns, tap, first) = OpenInNamespace(mac: mac);
        var index = first.IfIndex;
        first.Abandon();   // as kill -9: queues closed, persistence left on

        Assert.True(Shell.TryIp($"-n {ns} link show {tap}"), "a persistent device must survive its owner");
        using (var second = TapPort.Open($"tap:{tap}@{ns}", 2, mac))
        using (var driver = new PortDriver(second))
        {
            Assert.Equal(index, second.IfIndex);
            Assert.Contains(_net.Address(1), Shell.Ip($"-n {ns} addr show {tap}"));
            var peer = Frames.RandomMac();
            Assert.Equal(1, driver.Send(Frames.ArpRequest(peer, _net.Address(2), _net.Address(1))));
            Assert.NotNull(driver.WaitFor(f => Frames.IsArp(f.Data, 2, _net.Address(1)), s_wait));
        }
        Assert.False(Shell.TryIp($"-n {ns} link show {tap}"), "Dispose must remove the device");
    }

    [Fact]
    public void Open_DeviceLeftInSwitchNamespace_AttachesAndMovesIt()
    {
        var ns = _net.AddNamespace("vm");
        var tap = _net.LinkName("t");
        Shell.Ip($"tuntap add dev {tap} mode tap multi_queue vnet_hdr");
        _net.TrackHostLink(tap);
        using (var port = TapPort.Open($"tap:{tap}@{ns}", 1))
        {
            Assert.False(Shell.TryIp($"link show {tap}"));
            Assert.True(Shell.TryIp($"-n {ns} link show {tap}"));
        }
        Assert.False(Shell.TryIp($"-n {ns} link show {tap}"));
    }

    [Fact]
    public void Open_WithoutNamespace_CreatesPersistentDeviceAndDisposeRemovesIt()
    {
        var tap = _net.LinkName("t");
        _net.TrackHostLink(tap);
        var first = TapPort.Open($"tap:{tap}", 1);
        Assert.Contains("UP", Shell.Ip($"link show {tap}"));
        first.Abandon();
        Assert.True(Shell.TryIp($"link show {tap}"), "the device is persistent");
        using (var second = TapPort.Open($"tap:{tap}", 1))
        {
            Assert.Equal(first.IfIndex, second.IfIndex);
        }
        Assert.False(Shell.TryIp($"link show {tap}"));
    }

    [Fact]
    public void Open_MissingNamespace_ThrowsClearPortException()
    {
        var e = Assert.Throws<PortException>(() => TapPort.Open($"tap:plt{_net.Id}x@plt-{_net.Id}-missing", 1));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains($"plt-{_net.Id}-missing", e.Message);
        Assert.False(Shell.TryIp($"link show plt{_net.Id}x"), "nothing may be left behind");
    }

    [Fact]
    public void Open_NameOfNonTapInterface_ThrowsClearPortException()
    {
        var ns = _net.AddNamespace("vm");
        var (host, _) = _net.AddVeth(ns);
        var e = Assert.Throws<PortException>(() => TapPort.Open($"tap:{host}", 1));
        Assert.Contains("not a multi-queue TAP", e.Message);
        Assert.True(Shell.TryIp($"link show {host}"), "a foreign interface is left alone");
    }

    [Fact]
    public void DeviceDeleted_FailureIsSetAndReceiveReturnsZero()
    {
        var (ns, tap, port) = OpenInNamespace(queues: 2);
        using (port)
        using (var driver = new PortDriver(port))
        {
            Shell.Ip($"-n {ns} link del {tap}");
            var sw = Stopwatch.StartNew();
            while (port.Failure is null && sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                Assert.Empty(driver.Poll(50));
            }
            Assert.NotNull(port.Failure);
            Assert.Contains(tap, port.Failure);
            using var batch = new VSwitch.Packets.PacketBatch(VSwitch.Packets.PacketBatch.DefaultBufferSize);
            var errors = default(PortErrors);
            Assert.Equal(0, port.Receive(0, batch, ref errors));
            Assert.Equal(0, port.Receive(1, batch, ref errors));
            Assert.Equal(0, driver.Send(new byte[60]));
        }
    }

    [Fact]
    public void NamespaceDeleted_DeviceGoesWithItAndFailureIsSet()
    {
        var (ns, _, port) = OpenInNamespace();
        using (port)
        using (var driver = new PortDriver(port))
        {
            Shell.Ip($"netns del {ns}");
            var sw = Stopwatch.StartNew();
            while (port.Failure is null && sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                driver.Poll(50);
            }
            Assert.NotNull(port.Failure);
        }
    }

    [Fact]
    public unsafe void DeviceDeleted_ReadyFdPollsError()
    {
        var (ns, tap, port) = OpenInNamespace();
        using (port)
        {
            Shell.Ip($"-n {ns} link del {tap}");
            var fd = new pollfd { fd = port.GetReadyFd(0), events = LibC.POLLIN };
            Assert.Equal(1, LibC.poll(&fd, 1, 1000));
            Assert.NotEqual(0, fd.revents & (LibC.POLLERR | LibC.POLLHUP));
        }
    }
}
