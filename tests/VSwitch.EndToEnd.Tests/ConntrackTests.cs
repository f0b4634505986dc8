namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// A lab for connection tracking: a "web" VM whose only ingress rule is tcp/80, a "peer" VM that accepts anything
/// from the network, and a small connection table so that a SYN flood can fill it.
/// </summary>
public sealed class ConntrackLab : IDisposable
{
    internal Lab Lab { get; } = new();

    internal Lab.Vm Web { get; }
    internal Lab.Vm Peer { get; }
    internal Lab.Vm Flooder { get; }

    public ConntrackLab()
    {
        Root.Require();
        Lab.ConntrackMaxEntries = 1024;
        Lab.Network("n1");
        Lab.Group("web-only", stateful: true,
            new Lab.Rule("ingress", "IPv4", "tcp", 80, 80),
            new Lab.Rule("ingress", "IPv6", "tcp", 80, 80));
        Lab.Group("open", stateful: true,
            new Lab.Rule("ingress", "IPv4", remote_ip_prefix: "198.18.0.0/24"),
            new Lab.Rule("ingress", "IPv6", remote_ip_prefix: "2001:db8::/64"));
        Web = Lab.SecuredVm("web", "n1", 1, ["web-only"]);
        Peer = Lab.SecuredVm("peer", "n1", 2, ["open"]);
        Flooder = Lab.SecuredVm("flood", "n1", 3, ["open"]);
        Lab.Start(2, Web, Peer, Flooder);
    }

    public void Dispose() => Lab.Dispose();
}

[Collection(LabCollection.Name)]
public sealed class ConntrackTests(ConntrackLab fixture) : IClassFixture<ConntrackLab>
{
    private static Task<Shell.Result> Background(Lab.Vm vm, string command, int seconds) =>
        Task.Run(() => Shell.Run(vm.Exec(command), TimeSpan.FromSeconds(seconds)));

    private static void WaitListening(Lab.Vm vm, int port, string proto = "t") => Lab.WaitListening(vm, port, proto);

    [Fact]
    public async Task OnlyTcp80Ingress_OutboundTcpAndUdpGetReplies_Tcp22IsUnreachable()
    {
        // Outbound TCP from web: the replies pass web's ingress only because the connection is tracked.
        var server = Background(fixture.Peer, "ncat -l -p 7001 --send-only -c 'echo hello-from-peer'", 15);
        WaitListening(fixture.Peer, 7001);
        var tcp = Shell.Run(fixture.Web.Exec($"ncat -w 3 --recv-only {fixture.Peer.Ipv4} 7001"), TimeSpan.FromSeconds(10));
        Assert.Contains("hello-from-peer", tcp.Stdout);
        await server;

        // Outbound UDP from web, and its reply.
        var udpServer = Background(fixture.Peer, "/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',7002)); s.settimeout(8); d,a=s.recvfrom(100); s.sendto(d.upper(),a)\"", 12);
        WaitListening(fixture.Peer, 7002, "u");
        var udp = Shell.Run(fixture.Web.Exec($"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(4); s.sendto(b'udp-hello',('{fixture.Peer.Ipv4}',7002)); print(s.recv(100).decode())\""), TimeSpan.FromSeconds(10));
        Assert.Contains("UDP-HELLO", udp.Stdout);
        await udpServer;

        // Inbound: 80 is reachable, 22 is not.
        foreach (var port in new[] { 22, 80 })
        {
            Shell.Must($"setsid {fixture.Web.Exec($"ncat -lk -p {port}")} </dev/null >/dev/null 2>&1 &");
            WaitListening(fixture.Web, port);
        }
        Assert.True(Shell.Run(fixture.Peer.Exec($"ncat -z -w 3 {fixture.Web.Ipv4} 80"), TimeSpan.FromSeconds(10)).Ok);
        Assert.False(Shell.Run(fixture.Peer.Exec($"ncat -z -w 3 {fixture.Web.Ipv4} 22"), TimeSpan.FromSeconds(10)).Ok);
        Assert.True(Shell.Run(fixture.Peer.Exec($"ncat -6 -z -w 3 {fixture.Web.Ipv6} 80"), TimeSpan.FromSeconds(10)).Ok);
        Assert.False(Shell.Run(fixture.Peer.Exec($"ncat -6 -z -w 3 {fixture.Web.Ipv6} 22"), TimeSpan.FromSeconds(10)).Ok);
    }

    [Fact]
    public void UdpToClosedPort_BringsThePortUnreachableBack()
    {
        // web's ingress allows no ICMP: only RELATED lets the error of its own UDP flow through.
        var r = Shell.Run(fixture.Web.Exec(
            $"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(3); s.connect(('{fixture.Peer.Ipv4}',7999)); s.send(b'x')\n" +
            "try:\n  s.recv(10); print('DATA')\nexcept ConnectionRefusedError: print('REFUSED')\nexcept socket.timeout: print('TIMEOUT')\""),
            TimeSpan.FromSeconds(10));
        Assert.Contains("REFUSED", r.Stdout);
    }

    [Fact]
    public async Task Ipv6PacketTooBig_ReachesTheSenderOfAnAllowedFlow()
    {
        // peer answers a UDP datagram from web with an ICMPv6 "packet too big" quoting it (as a router would).
        var script = Path.Combine(Path.GetTempPath(), "vsw-ptb.py");
        File.WriteAllText(script,
            "from scapy.all import *\n" +
            "def answer(q):\n" +
            $"    sendp(Ether(src=q.dst, dst=q.src)/IPv6(src='{fixture.Peer.Ipv6}', dst=q[IPv6].src)/ICMPv6PacketTooBig(mtu=1280)/raw(q[IPv6])[:1184], iface='{fixture.Peer.Interface}', verbose=0)\n" +
            $"sniff(iface='{fixture.Peer.Interface}', count=20, timeout=25, filter='udp and dst port 7003 and ip6', prn=answer)\n");
        var sniffer = Task.Run(() => Shell.Run(fixture.Peer.Exec($"/usr/bin/python3 {script}"), TimeSpan.FromSeconds(30)));
        var before = fixture.Lab.Daemon!.Metric("vswitch_port_tx_packets_total{port=\"web\"}");
        var watcher = Task.Run(() => Shell.Run(fixture.Web.Exec($"timeout 25 tcpdump -n -c 1 -i {fixture.Web.Interface} 'icmp6 and ip6[40] == 2'"), TimeSpan.FromSeconds(30)));
        // scapy and tcpdump take a while to start on a loaded machine: keep sending until the error came back.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!watcher.IsCompleted && DateTime.UtcNow < deadline)
        {
            Shell.Run(fixture.Web.Exec($"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM); s.sendto(b'x'*100,('{fixture.Peer.Ipv6}',7003))\""));
            await Task.Delay(500);
        }
        var seen = await watcher;
        Shell.Run(fixture.Peer.Exec("pkill -f vsw-ptb.py"));
        await sniffer;
        Assert.True(seen.Stdout.Contains("packet too big", StringComparison.OrdinalIgnoreCase), $"{seen}\n{fixture.Lab.Daemon!.Log}");
        Assert.True(fixture.Lab.Daemon!.Metric("vswitch_port_tx_packets_total{port=\"web\"}") > before);
    }

    [Fact]
    public async Task LongConnection_IsCutWhenItsRuleIsDeleted_OtherConnectionContinues()
    {
        // Two long-lived connections into web: one on 80 (rule stays), one on 8080 (rule removed).
        fixture.Lab.SetRules("web-only",
            new Lab.Rule("ingress", "IPv4", "tcp", 80, 80),
            new Lab.Rule("ingress", "IPv6", "tcp", 80, 80),
            new Lab.Rule("ingress", "IPv4", "tcp", 8080, 8080));
        fixture.Lab.Reload();
        var keep = Background(fixture.Web, "ncat -l -p 80 --recv-only", 30);
        var cut = Background(fixture.Web, "ncat -l -p 8080 --recv-only", 30);
        WaitListening(fixture.Web, 80);
        WaitListening(fixture.Web, 8080);
        // Each sender writes one line per 200 ms for 6 s.
        var senderKeep = Background(fixture.Peer, $"bash -c 'for i in $(seq 30); do echo keep-$i; sleep 0.2; done | ncat --send-only {fixture.Web.Ipv4} 80'", 30);
        var senderCut = Background(fixture.Peer, $"bash -c 'for i in $(seq 30); do echo cut-$i; sleep 0.2; done | ncat --send-only {fixture.Web.Ipv4} 8080'", 30);
        await Task.Delay(2000);
        fixture.Lab.SetRules("web-only",
            new Lab.Rule("ingress", "IPv4", "tcp", 80, 80),
            new Lab.Rule("ingress", "IPv6", "tcp", 80, 80));
        fixture.Lab.Reload();
        await Task.WhenAll(senderKeep, senderCut);
        await Task.Delay(1000);
        Shell.Run(fixture.Web.Exec("pkill -f 'ncat -l -p 8080'"));
        var kept = await keep;
        var cutResult = await cut;
        Assert.Contains("keep-30", kept.Stdout);
        Assert.Contains("cut-1", cutResult.Stdout);
        Assert.DoesNotContain("cut-30", cutResult.Stdout);
        Assert.True(fixture.Lab.Daemon!.Metric("vswitch_conntrack_revoked_total") >= 1);

        // Re-adding the rule lets new connections through again (Neutron once kept re-added groups blocked).
        fixture.Lab.SetRules("web-only",
            new Lab.Rule("ingress", "IPv4", "tcp", 80, 80),
            new Lab.Rule("ingress", "IPv6", "tcp", 80, 80),
            new Lab.Rule("ingress", "IPv4", "tcp", 8080, 8080));
        fixture.Lab.Reload();
        Shell.Must($"setsid {fixture.Web.Exec("ncat -lk -p 8080")} </dev/null >/dev/null 2>&1 &");
        WaitListening(fixture.Web, 8080);
        Assert.True(Shell.Run(fixture.Peer.Exec($"ncat -z -w 3 {fixture.Web.Ipv4} 8080"), TimeSpan.FromSeconds(10)).Ok, "a re-added rule did not admit new connections");
        Shell.Run(fixture.Web.Exec("pkill -f 'ncat -lk -p 8080'"));
    }

    [Fact]
    public void APortsConntrackLimit_StopsItsSynFlood_WhileItsNeighboursStillConnect()
    {
        var daemon = fixture.Lab.Daemon!;
        fixture.Lab.SetConntrackLimit(fixture.Flooder.Port, 50);
        fixture.Lab.Reload();
        try
        {
            Assert.Equal(50, daemon.Metric($"vswitch_port_conntrack_limit{{port=\"{fixture.Flooder.Port}\"}}"));
            var earlyDrops = daemon.Metric("vswitch_conntrack_early_drops_total");
            // 3,000 SYNs to a closed port of peer: each would be a connection; only 50 may be.
            Shell.Run(fixture.Flooder.Exec($"timeout 4 hping3 -q -S -p 7009 -i u500 -c 3000 {fixture.Peer.Ipv4}"), TimeSpan.FromSeconds(10));
            var full = $"vswitch_port_dropped_packets_total{{port=\"{fixture.Flooder.Port}\",direction=\"egress\",reason=\"conntrack_full\"}}";
            Assert.True(Shell.Eventually(() => daemon.Metric(full) >= 1000, TimeSpan.FromSeconds(5)), daemon.Metrics());
            Assert.True(daemon.Metric($"vswitch_port_conntrack_entries{{port=\"{fixture.Flooder.Port}\"}}") <= 50, daemon.Metrics());

            // The table was not filled for the others: nothing was evicted, and web still connects to peer.
            Assert.Equal(earlyDrops, daemon.Metric("vswitch_conntrack_early_drops_total"));
            Shell.Must($"setsid {fixture.Peer.Exec("ncat -lk -p 7010")} </dev/null >/dev/null 2>&1 &");
            WaitListening(fixture.Peer, 7010);
            Assert.True(Shell.Run(fixture.Web.Exec($"ncat -z -w 3 {fixture.Peer.Ipv4} 7010"), TimeSpan.FromSeconds(10)).Ok, daemon.Metrics());
        }
        finally
        {
            Shell.Run(fixture.Peer.Exec("pkill -f 'ncat -lk -p 7010'"));
            fixture.Lab.SetConntrackLimit(fixture.Flooder.Port, null);
            fixture.Lab.Reload();
        }
    }

    [Fact]
    public async Task SynFlood_FillsTheTableWithoutDisturbingAnEstablishedTransfer()
    {
        var dir = Directory.CreateTempSubdirectory("vsw-flood").FullName;
        try
        {
            var receiver = Background(fixture.Peer, $"ncat -l -p 7005 --recv-only > {dir}/out", 60);
            WaitListening(fixture.Peer, 7005);
            // About 10 MB sent over 4 s, so that the transfer spans the flood; tee keeps what was sent.
            var transfer = Background(fixture.Web,
                $"bash -c 'for i in $(seq 40); do head -c 256K /dev/urandom; sleep 0.1; done | tee {dir}/in | ncat --send-only {fixture.Peer.Ipv4} 7005'", 60);
            await Task.Delay(300);
            // A bounded SYN flood from another VM to web's open port: many new connections that never complete.
            Shell.Run(fixture.Flooder.Exec($"timeout 4 hping3 -q -S -p 80 --faster -c 20000 {fixture.Web.Ipv4}"), TimeSpan.FromSeconds(10));
            var sent = await transfer;
            var received = await receiver;
            Assert.True(sent.Ok, sent.ToString());
            Assert.True(received.Ok, received.ToString());
            Assert.Equal(Shell.Must($"sha256sum < {dir}/in"), Shell.Must($"sha256sum < {dir}/out"));
            var daemon = fixture.Lab.Daemon!;
            Assert.True(daemon.Metric("vswitch_conntrack_early_drops_total") > 0, daemon.Metrics());
            Assert.True(daemon.Metric("vswitch_conntrack_entries") <= 1024);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
