using System.Text.Json.Nodes;

namespace VSwitch.EndToEnd.Tests.VhostUser;

/// <summary>
/// vhost-user ports with a real guest driver: DPDK testpmd's virtio-user (<see cref="TestpmdGuest"/>) on the
/// switch's sockets, beside VMs on TAP ports, through stateful security groups. "client" VMs have only Neutron's
/// egress rules, so every answer they get came back through connection tracking.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class VhostUserTests
{
    private static readonly Lab.Rule[] s_udp9 = [new("ingress", "IPv4", "udp", 9, 9), new("ingress", "IPv6", "udp", 9, 9)];
    private static readonly Lab.Rule[] s_ping = [new("ingress", "IPv4", "icmp")];

    [SkippableFact]
    public void TapVmPingsAVhostGuest_AndTheGuestsCrashAndReturnAreSeen()
    {
        Root.Require();
        using var pages = HugePages.ReserveOrSkip(TestpmdGuest.PagesEach);
        using var lab = new Lab();
        lab.Network("n1");
        lab.Group("client", stateful: true);
        lab.Group("pingable", stateful: true, s_ping);
        var a = lab.SecuredVm("a", "n1", 1, ["client"]);
        var guest = lab.VhostUserVm("vh", "n1", 11, ["pingable"]);
        var daemon = lab.Start(2, a);
        Assert.Equal("DOWN", Port(daemon, "vh")["status"]!.GetValue<string>());

        using (var echo = TestpmdGuest.Start(guest.Socket, guest.Mac, "icmpecho"))
        {
            Assert.True(Shell.Eventually(() => Status(daemon, "vh") == "ACTIVE", TimeSpan.FromSeconds(10)), daemon.Log);
            var details = Port(daemon, "vh")["binding:vif_details"]!.AsObject();
            Assert.Equal("connected", (string)details["frontend"]!);
            Assert.Equal("server", (string)details["mode"]!);
            Assert.Equal("1", (string)details["queue_pairs"]!);
            var ping = Shell.Run(a.Exec($"ping -c 3 -i 0.2 -W 2 {guest.Ipv4}"), TimeSpan.FromSeconds(15));
            Assert.True(ping.Ok, $"{ping}\n{echo.Output}\n{daemon.Log}");
            Assert.True(daemon.Metric("vswitch_port_rx_packets_total{port=\"vh\"}") >= 3);
            Assert.True(daemon.Metric("vswitch_port_tx_packets_total{port=\"vh\"}") >= 3);

            // The guest dies without a word: the port goes DOWN and says why; frames to it count as port_down.
            echo.Kill();
        }
        Assert.True(Shell.Eventually(() => Status(daemon, "vh") == "DOWN", TimeSpan.FromSeconds(10)), daemon.Log);
        Assert.False(string.IsNullOrEmpty((string?)Port(daemon, "vh")["binding:vif_details"]!["status_reason"]));
        var downBefore = daemon.Metric("vswitch_port_dropped_packets_total{port=\"vh\",direction=\"ingress\",reason=\"port_down\"}");
        Assert.False(Shell.Run(a.Exec($"ping -c 2 -i 0.2 -W 1 {guest.Ipv4}"), TimeSpan.FromSeconds(10)).Ok);
        Assert.True(daemon.Metric("vswitch_port_dropped_packets_total{port=\"vh\",direction=\"ingress\",reason=\"port_down\"}") >= downBefore + 2);

        // The guest comes back on the same socket: no control-plane action, the port is ACTIVE and answers again.
        using var again = TestpmdGuest.Start(guest.Socket, guest.Mac, "icmpecho");
        Assert.True(Shell.Eventually(() => Status(daemon, "vh") == "ACTIVE", TimeSpan.FromSeconds(10)), daemon.Log);
        var back = Shell.Run(a.Exec($"ping -c 3 -i 0.2 -W 2 {guest.Ipv4}"), TimeSpan.FromSeconds(15));
        Assert.True(back.Ok, $"{back}\n{again.Output}\n{daemon.Log}");
    }

    [SkippableFact]
    public void UdpToAVhostGuest_OnlyTheAllowedPortIsAnsweredAndTracked_TheOtherIsCounted()
    {
        Root.Require();
        using var pages = HugePages.ReserveOrSkip(TestpmdGuest.PagesEach);
        using var lab = new Lab();
        lab.Network("n1");
        lab.Group("client", stateful: true);
        lab.Group("udp9", stateful: true, s_udp9);
        var a = lab.SecuredVm("a", "n1", 1, ["client"]);
        var guest = lab.VhostUserVm("vh", "n1", 11, ["udp9"]);
        var daemon = lab.Start(2, a);
        // The 5-tuple swapping guest answers no ARP or neighbour solicitation: a's neighbour entries are static.
        Shell.Must(a.Exec($"ip neigh replace {guest.Ipv4} lladdr {guest.Mac} dev {a.Interface}"));
        Shell.Must(a.Exec($"ip -6 neigh replace {guest.Ipv6} lladdr {guest.Mac} dev {a.Interface}"));
        using var reflector = TestpmdGuest.Start(guest.Socket, guest.Mac, "5tswap");
        Assert.True(Shell.Eventually(() => Status(daemon, "vh") == "ACTIVE", TimeSpan.FromSeconds(10)), daemon.Log);

        Assert.Equal("echo-v4", UdpEcho(a, guest.Ipv4, 9, "echo-v4"));
        Assert.Equal("echo-v6", UdpEcho(a, guest.Ipv6, 9, "echo-v6"));

        var flows = JsonNode.Parse(Api(daemon, "/v2.0/vswitch/flows"))!["flows"]!.AsArray();
        var aId = (string)Port(daemon, "a")["id"]!;
        var vhId = (string)Port(daemon, "vh")["id"]!;
        var tracked = flows.Where(f => (string)f!["protocol"]! == "udp" && (int)f!["dst_port"]! == 9 && (int)f!["src_port"]! == 5000).ToList();
        Assert.Equal(2, tracked.Count);
        Assert.All(tracked, f =>
        {
            Assert.Equal(aId, (string)f!["in_port_id"]!);
            Assert.Equal(vhId, (string)f!["out_port_id"]!);
            Assert.Equal(1, (long)f!["packets_reply"]!);
        });

        // Port 10 is not in the guest's group: nothing comes back, and the guest's ingress counts the drops.
        const string Denied = "vswitch_port_dropped_packets_total{port=\"vh\",direction=\"ingress\",reason=\"security_group\"}";
        var before = daemon.Metric(Denied);
        Assert.Equal("timeout", UdpEcho(a, guest.Ipv4, 10, "denied"));
        Assert.Equal("timeout", UdpEcho(a, guest.Ipv6, 10, "denied"));
        Assert.Equal(before + 2, daemon.Metric(Denied));
        // What the switch says it put in the guest's ring is what the guest read (the echoes, and a's multicast). a's
        // kernel may still multicast (router solicitations, MLD) while the guest stops: what the switch sent before the
        // guest stopped reading is a floor, what it sent after an upper bound.
        var sentBefore = daemon.Metric("vswitch_port_tx_packets_total{port=\"vh\"}");
        var counts = reflector.Stop();
        var sentAfter = daemon.Metric("vswitch_port_tx_packets_total{port=\"vh\"}");
        Assert.InRange((double)counts.Received, sentBefore, sentAfter);
    }

    [SkippableFact]
    public void BetweenTwoVhostGuests_AllowedUdpIsReflectedBackThroughConntrack_DeniedIsCounted()
    {
        Root.Require();
        using var pages = HugePages.ReserveOrSkip(2 * TestpmdGuest.PagesEach);
        using var lab = new Lab();
        lab.Network("n1");
        lab.Group("client", stateful: true);
        lab.Group("udp9", stateful: true, s_udp9);
        var sender = lab.VhostUserVm("vs", "n1", 11, ["client"]);
        var server = lab.VhostUserVm("vr", "n1", 12, ["udp9"]);
        var daemon = lab.Start(1);

        using var reflector = TestpmdGuest.Start(server.Socket, server.Mac, "5tswap");
        Assert.True(Shell.Eventually(() => Status(daemon, "vr") == "ACTIVE", TimeSpan.FromSeconds(10)), daemon.Log);
        string[] txonly(int port) => [$"--tx-ip={sender.Ipv4},{server.Ipv4}", $"--tx-udp=5000,{port}", $"--eth-peer=0,{server.Mac}"];
        using (var flood = TestpmdGuest.Start(sender.Socket, sender.Mac, "txonly", forwardArgs: txonly(9)))
        {
            Assert.True(Shell.Eventually(() => daemon.Metric("vswitch_port_tx_packets_total{port=\"vs\"}") > 0, TimeSpan.FromSeconds(10)),
                $"no reflected frame reached the sender's ring\n{daemon.Metrics()}");
            flood.Stop();
        }
        var reflected = reflector.Stop();
        Assert.True(reflected.Received > 0 && reflected.Sent > 0, reflected.ToString());
        // The reflections entered the sender's port only as replies of its own flow: none was refused.
        Assert.Equal(0, daemon.Metric("vswitch_port_dropped_packets_total{port=\"vs\",direction=\"ingress\",reason=\"security_group\"}"));
        var flow = JsonNode.Parse(Api(daemon, "/v2.0/vswitch/flows"))!["flows"]!.AsArray()
            .Single(f => (string)f!["protocol"]! == "udp" && (string)f!["src"]! == sender.Ipv4 && (int)f!["dst_port"]! == 9);
        Assert.True((long)flow!["packets_reply"]! > 0, flow.ToJsonString());

        // To port 10: the server's group refuses every frame, and the server's guest sees none.
        using var quiet = TestpmdGuest.Start(server.Socket, server.Mac, "rxonly");
        Assert.True(Shell.Eventually(() => Status(daemon, "vr") == "ACTIVE", TimeSpan.FromSeconds(10)), daemon.Log);
        const string Denied = "vswitch_port_dropped_packets_total{port=\"vr\",direction=\"ingress\",reason=\"security_group\"}";
        var before = daemon.Metric(Denied);
        using (var flood = TestpmdGuest.Start(sender.Socket, sender.Mac, "txonly", forwardArgs: txonly(10)))
        {
            Assert.True(Shell.Eventually(() => daemon.Metric(Denied) > before + 1000, TimeSpan.FromSeconds(10)), daemon.Metrics());
            flood.Stop();
        }
        Assert.Equal(0, quiet.Stop().Received);
    }

    [SkippableFact]
    public void ClientMode_ASwitchKilledAndRestartedReconnectsToTheRunningGuest()
    {
        Root.Require();
        using var pages = HugePages.ReserveOrSkip(TestpmdGuest.PagesEach);
        using var lab = new Lab();
        lab.Network("n1");
        lab.Group("client", stateful: true);
        lab.Group("pingable", stateful: true, s_ping);
        var a = lab.SecuredVm("a", "n1", 1, ["client"]);
        var guest = lab.VhostUserVm("vh", "n1", 11, ["pingable"], client: true);
        Directory.CreateDirectory(lab.SocketDirectory);
        // The guest listens (QEMU's server=on) and keeps running while the switch dies and comes back.
        using var echo = TestpmdGuest.Start(guest.Socket, guest.Mac, "icmpecho", server: true);
        var daemon = lab.Start(2, a);
        echo.WaitForwarding();
        Assert.True(Shell.Eventually(() => Status(daemon, "vh") == "ACTIVE", TimeSpan.FromSeconds(10)), daemon.Log);
        Assert.Equal("client", (string)Port(daemon, "vh")["binding:vif_details"]!["mode"]!);
        var ping = Shell.Run(a.Exec($"ping -c 2 -i 0.2 -W 2 {guest.Ipv4}"), TimeSpan.FromSeconds(10));
        Assert.True(ping.Ok, $"{ping}\n{echo.Output}\n{daemon.Log}");

        daemon = lab.RestartAfterSigkill(2);
        Assert.True(Shell.Eventually(() => Status(daemon, "vh") == "ACTIVE", TimeSpan.FromSeconds(10)), daemon.Log);
        var after = Shell.Run(a.Exec($"ping -c 3 -i 0.2 -W 2 {guest.Ipv4}"), TimeSpan.FromSeconds(15));
        Assert.True(after.Ok, $"{after}\n{echo.Output}\n{daemon.Log}");
        Assert.False(echo.HasExited);
    }

    /// <summary>Sends <paramref name="text"/> from port 5000 and returns the answer, or "timeout" after 2 s.</summary>
    private static string UdpEcho(Lab.Vm vm, string address, int port, string text)
    {
        var family = address.Contains(':', StringComparison.Ordinal) ? "AF_INET6" : "AF_INET";
        var r = Shell.Run(vm.Exec(
            $"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.{family},socket.SOCK_DGRAM); s.bind(('',5000)); s.settimeout(2); s.sendto(b'{text}',('{address}',{port}))\n" +
            "try: print(s.recv(100).decode())\nexcept socket.timeout: print('timeout')\""), TimeSpan.FromSeconds(10));
        return r.Stdout.Trim();
    }

    private static string Api(Daemon daemon, string path) =>
        Shell.Must($"curl -sf --unix-socket {Path.Combine(daemon.StateDir, "api.sock")} http://localhost{path}");

    private static JsonNode Port(Daemon daemon, string name) =>
        JsonNode.Parse(Api(daemon, "/v2.0/ports"))!["ports"]!.AsArray().Single(p => (string)p!["name"]! == name)!;

    private static string Status(Daemon daemon, string name) => (string)Port(daemon, name)["status"]!;
}
