namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// One lab for the forwarding tests: two TAP VMs and two AF_PACKET VMs on network n1 (c on the default TPACKET_V2 ring,
/// d on <c>?rx=v3</c>), one TAP VM on n2.
/// </summary>
public sealed class ForwardingLab : IDisposable
{
    internal Lab Lab { get; } = new();

    internal Lab.Vm TapA { get; }
    internal Lab.Vm TapB { get; }
    internal Lab.Vm AfC { get; }
    internal Lab.Vm AfD { get; }
    internal Lab.Vm OtherNet { get; }

    public ForwardingLab()
    {
        Root.Require();
        Lab.Network("n1");
        Lab.Network("n2");
        TapA = Lab.TapVm("a", "n1", 1);
        TapB = Lab.TapVm("b", "n1", 2, mac: "fa:16:3e:00:00:02");
        AfC = Lab.AfPacketVm("c", "n1", 3);
        AfD = Lab.AfPacketVm("d", "n1", 4, "?rx=v3");
        OtherNet = Lab.TapVm("e", "n2", 5);
        Lab.Start(2, TapA, TapB, AfC, AfD, OtherNet);
    }

    public void Dispose() => Lab.Dispose();
}

[Collection(LabCollection.Name)]
public sealed class ForwardingTests(ForwardingLab fixture) : IClassFixture<ForwardingLab>
{
    private static void Ping(Lab.Vm from, Lab.Vm to)
    {
        var v4 = Shell.Run(from.Exec($"ping -c 2 -i 0.2 -W 2 {to.Ipv4}"), TimeSpan.FromSeconds(15));
        Assert.True(v4.Ok, $"ping {from.Port} -> {to.Port} ({to.Ipv4}) failed:\n{v4}");
        var v6 = Shell.Run(from.Exec($"ping -6 -c 2 -i 0.2 -W 2 {to.Ipv6}"), TimeSpan.FromSeconds(15));
        Assert.True(v6.Ok, $"ping -6 {from.Port} -> {to.Port} ({to.Ipv6}) failed:\n{v6}");
    }

    [Theory]
    [InlineData("a", "b")]
    [InlineData("b", "a")]
    [InlineData("c", "d")]
    [InlineData("d", "c")]
    [InlineData("a", "c")]
    [InlineData("c", "a")]
    [InlineData("d", "b")]
    [InlineData("b", "d")]
    public void Ping_BackendPair_Ipv4AndIpv6BothWays(string from, string to) => Ping(Vm(from), Vm(to));

    [Fact]
    public void Ping_OtherNetwork_IsUnreachable()
    {
        var r = Shell.Run(fixture.TapA.Exec($"ping -c 1 -W 1 198.18.0.5"), TimeSpan.FromSeconds(5));
        Assert.False(r.Ok, "a VM reached a VM of another network");
    }

    [Fact]
    public void ArpAndNd_ResolveThePeersMac()
    {
        Ping(fixture.TapA, fixture.TapB);
        var arp = Shell.Must(fixture.TapA.Exec($"ip neigh show {fixture.TapB.Ipv4}"));
        Assert.Contains("fa:16:3e:00:00:02", arp);
        var nd = Shell.Must(fixture.TapA.Exec($"ip -6 neigh show {fixture.TapB.Ipv6}"));
        Assert.Contains("fa:16:3e:00:00:02", nd);
    }

    [Theory]
    [InlineData("a", "c")]
    [InlineData("d", "b")]
    [InlineData("a", "b")]
    [InlineData("c", "d")]
    public async Task TcpTransfer_30MB_ArrivesIntact(string from, string to)
    {
        var src = Vm(from);
        var dst = Vm(to);
        var dir = Directory.CreateTempSubdirectory("vsw-tcp").FullName;
        try
        {
            Shell.Must($"head -c 30M /dev/urandom > {dir}/in");
            var server = Task.Run(() => Shell.Run(dst.Exec($"ncat -l -p 5001 --recv-only > {dir}/out"), TimeSpan.FromSeconds(40)));
            Assert.True(Shell.Eventually(() => Shell.Run(dst.Exec("ss -ltn 'sport = :5001'")).Stdout.Contains("5001", StringComparison.Ordinal), TimeSpan.FromSeconds(5)));
            var client = Shell.Run(src.Exec($"ncat --send-only {dst.Ipv4} 5001 < {dir}/in"), TimeSpan.FromSeconds(40));
            Assert.True(client.Ok, $"sender failed: {client}");
            var received = await server.WaitAsync(TimeSpan.FromSeconds(40));
            Assert.True(received.Ok, $"receiver failed: {received}");
            Assert.Equal(Shell.Must($"sha256sum < {dir}/in"), Shell.Must($"sha256sum < {dir}/out"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("a", "c")]
    [InlineData("c", "a")]
    [InlineData("b", "d")]
    public async Task Udp_RequestAndReply_BothWays(string from, string to)
    {
        var src = Vm(from);
        var dst = Vm(to);
        const string echo = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',5002)); s.settimeout(8)\nd,a=s.recvfrom(2048); s.sendto(d.upper(),a)\n";
        var script = Path.Combine(Path.GetTempPath(), $"vsw-udp-{from}{to}.py");
        File.WriteAllText(script, echo);
        var server = Task.Run(() => Shell.Run(dst.Exec($"/usr/bin/python3 {script}"), TimeSpan.FromSeconds(10)));
        Lab.WaitListening(dst, 5002, "u");
        var client = Shell.Run(src.Exec(
            $"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(5); s.sendto(b'hello-vswitch',('{dst.Ipv4}',5002)); print(s.recv(100).decode())\""),
            TimeSpan.FromSeconds(10));
        Assert.True(client.Ok, $"no UDP reply: {client}");
        Assert.Contains("HELLO-VSWITCH", client.Stdout);
        await server.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Broadcast_ReachesEveryPortOfTheNetworkAndNoOther()
    {
        var tag = "bcast" + Random.Shared.Next(100000);
        var vms = new[] { fixture.TapB, fixture.AfC, fixture.AfD, fixture.OtherNet };
        var listeners = await RawFrames.ListenAll(vms, tag);
        RawFrames.Send(fixture.TapA, "ff:ff:ff:ff:ff:ff", "02:00:00:00:0a:01", tag);
        var received = await Task.WhenAll(listeners);
        for (var i = 0; i < vms.Length; i++)
        {
            Assert.True(received[i] == (vms[i] != fixture.OtherNet), $"{vms[i].Port}: received={received[i]}");
        }
    }

    [Fact]
    public async Task MacMovingToAnotherPort_IsRelearned()
    {
        const string moving = "02:00:00:00:0b:01";
        RawFrames.Send(fixture.TapA, "ff:ff:ff:ff:ff:ff", moving, "learn1");
        await Task.Delay(200);
        RawFrames.Send(fixture.AfD, "ff:ff:ff:ff:ff:ff", moving, "learn2");
        await Task.Delay(200);

        var tag = "moved" + Random.Shared.Next(100000);
        var listeners = await RawFrames.ListenAll([fixture.TapA, fixture.AfD], tag);
        RawFrames.Send(fixture.TapB, moving, "02:00:00:00:0b:02", tag);
        Assert.True(await listeners[1], "the frame did not follow the MAC to its new port");
        Assert.False(await listeners[0], "the frame still went to the MAC's old port");
    }

    [Fact]
    public void Metrics_CountTrafficPerPort()
    {
        Ping(fixture.TapA, fixture.AfC);
        Assert.True(fixture.Lab.Daemon!.Metric("vswitch_port_rx_packets_total{port=\"a\"}") > 0);
        Assert.True(fixture.Lab.Daemon!.Metric("vswitch_port_tx_packets_total{port=\"c\"}") > 0);
        Assert.Equal(1, fixture.Lab.Daemon!.Metric("vswitch_port_up{port=\"a\"}"));
        // The family is there for every port (Metric answers -1 for a missing series). Not necessarily at zero: the
        // 30 MB transfers of this class can overrun a ring on a loaded machine (the flood tests of
        // VSwitch.Ports.Linux.Tests check the counting itself).
        foreach (var port in new[] { "a", "b", "c", "d" })
        {
            Assert.True(fixture.Lab.Daemon!.Metric($"vswitch_port_rx_ring_dropped_packets_total{{port=\"{port}\"}}") >= 0, $"no ring-drop series for port {port}");
        }
    }

    private Lab.Vm Vm(string name) => name switch
    {
        "a" => fixture.TapA,
        "b" => fixture.TapB,
        "c" => fixture.AfC,
        "d" => fixture.AfD,
        _ => fixture.OtherNet,
    };
}
