using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace VSwitch.EndToEnd.Tests.VhostUser;

/// <summary>
/// vhost-user ports with a real VM: QEMU (TCG) boots Debian's kernel, whose virtio_net driver runs the NIC on the
/// switch's socket (<see cref="QemuGuest"/>), beside VMs on TAP ports, through stateful security groups. This is the
/// driver VMs run, where <see cref="VhostUserTests"/> uses DPDK's virtio-user: its ring handling, feature
/// negotiation (mergeable buffers, checksum offload and TSO both ways) and start/stop sequence are the kernel's.
/// </summary>
/// <remarks>
/// The groups: "client" (VM a) has only Neutron's egress rules, so every answer a gets came back through connection
/// tracking; "sink" (VM b) accepts ICMP and TCP 5002; the guest's group accepts ICMP from a only and TCP 5001, so the
/// answers to the guest's own pings to b also pass only as tracked replies. One guest at a time (it takes a CPU).
/// </remarks>
[Collection(LabCollection.Name)]
public sealed class QemuGuestTests(ITestOutputHelper output)
{
    private const string GuestPort = "vh";
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private const string GuestIngressDenied = "vswitch_port_dropped_packets_total{port=\"vh\",direction=\"ingress\",reason=\"security_group\"}";

    private static readonly Lab.Rule[] s_guestRules =
    [
        new("ingress", "IPv4", "icmp", remote_ip_prefix: "198.18.0.1/32"),
        new("ingress", "IPv6", "ipv6-icmp", remote_ip_prefix: "2001:db8::1/128"),
        new("ingress", "IPv4", "tcp", 5001, 5001),
        new("ingress", "IPv6", "tcp", 5001, 5001),
    ];

    private static readonly Lab.Rule[] s_sinkRules =
    [
        new("ingress", "IPv4", "icmp"),
        new("ingress", "IPv6", "ipv6-icmp"),
        new("ingress", "IPv4", "tcp", 5002, 5002),
        new("ingress", "IPv6", "tcp", 5002, 5002),
    ];

    /// <summary>The lab: TAP VMs a (client) and b (sink), and the guest's vhost-user port, with the daemon running.</summary>
    private sealed record Setup(Lab Lab, Daemon Daemon, Lab.Vm A, Lab.Vm B, Lab.VhostVm Vm);

    private static Setup StartLab(Lab lab)
    {
        lab.Network("n1");
        lab.Group("client", stateful: true);
        lab.Group("sink", stateful: true, s_sinkRules);
        lab.Group("guest", stateful: true, s_guestRules);
        var a = lab.SecuredVm("a", "n1", 1, ["client"]);
        var b = lab.SecuredVm("b", "n1", 2, ["sink"]);
        var vm = lab.VhostUserVm(GuestPort, "n1", 11, ["guest"]);
        var daemon = lab.Start(2, a, b);
        return new Setup(lab, daemon, a, b, vm);
    }

    /// <summary>Boots the guest and waits for its port to run (the driver started a queue pair).</summary>
    private QemuGuest Boot(Setup s)
    {
        Assert.Equal("DOWN", Status(s.Daemon, GuestPort));
        var guest = QemuGuest.Boot(s.Vm);
        Log($"guest up ({guest.BootTime.TotalSeconds:F1} s from QEMU's start)");
        Assert.True(Shell.Eventually(() => Status(s.Daemon, GuestPort) == "ACTIVE", TimeSpan.FromSeconds(10)), $"{s.Daemon.Log}\n{guest.Console}");
        return guest;
    }

    [SkippableFact]
    public void KernelGuest_GoesActiveWithItsOffloads_PingsWhereTheGroupsAllow_AndIsRefusedWhereTheyDoNot()
    {
        Root.Require();
        QemuGuest.SkipUnlessQemuRuns();
        using var lab = new Lab();
        var s = StartLab(lab);
        Log("lab up");
        using var guest = Boot(s);

        // The kernel driver negotiated everything the switch offers a virtio-net NIC.
        var details = Port(s.Daemon, GuestPort)["binding:vif_details"]!.AsObject();
        Assert.Equal("connected", (string)details["frontend"]!);
        Assert.Equal("1", (string)details["queue_pairs"]!);
        Assert.Equal("mrg_rxbuf,csum,host_tso,guest_csum,guest_tso", (string)details["offloads"]!);
        Assert.Contains($"link/ether {s.Vm.Mac}", guest.Must("ip link show eth0"));

        // a pings the guest; the echo replies reach a (no ingress rule) as tracked replies.
        foreach (var address in new[] { s.Vm.Ipv4, s.Vm.Ipv6 })
        {
            var ping = Shell.Run(s.A.Exec($"ping -c 3 -i 0.2 -W 3 {address}"), TimeSpan.FromSeconds(20));
            Assert.True(ping.Ok, $"a -> guest {address}: {ping}\n{guest.Console}\n{s.Daemon.Log}");
        }
        // The guest pings b; b's replies pass the guest's ingress (ICMP from a only) as tracked replies.
        foreach (var address in new[] { s.B.Ipv4, s.B.Ipv6 })
        {
            var ping = guest.Run($"ping -c 3 -i 0.2 -W 3 {address}", TimeSpan.FromSeconds(20));
            Assert.True(ping.Ok, $"guest -> b {address}: {ping}\n{guest.Console}");
        }
        Assert.Equal(0, s.Daemon.Metric(GuestIngressDenied));
        Log("pings both ways");

        // The guest pings a: a's group admits nothing new, so nothing comes back and a's ingress counts the requests.
        const string ADenied = "vswitch_port_dropped_packets_total{port=\"a\",direction=\"ingress\",reason=\"security_group\"}";
        var aBefore = Math.Max(0, s.Daemon.Metric(ADenied));
        Assert.False(guest.Run($"ping -c 2 -i 0.2 -W 1 {s.A.Ipv4}", TimeSpan.FromSeconds(15)).Ok);
        Assert.True(s.Daemon.Metric(ADenied) >= aBefore + 2, $"a's ingress drops: {s.Daemon.Metric(ADenied)} (before {aBefore})");
        Log("guest -> a refused");

        // TCP from a: to 5001 (allowed) the bytes arrive; to 5003 (no rule) the handshake never reaches the guest,
        // although something listens there too, and the guest's ingress counts the SYNs.
        guest.Must("for p in 5001 5003; do (nc -l -p $p </dev/null > /tmp/got.$p) >/dev/null 2>&1 & done");
        guest.Must("timeout 10 sh -c 'until [ $(netstat -ltn | grep -cE \":(5001|5003) \") = 2 ]; do sleep 0.1; done'", TimeSpan.FromSeconds(15));
        var allowed = Shell.Run(s.A.Exec($"bash -c 'echo allowed-5001 | ncat -w 5 --send-only {s.Vm.Ipv4} 5001'"), TimeSpan.FromSeconds(15));
        Assert.True(allowed.Ok, $"a -> guest tcp 5001: {allowed}");
        Log("tcp 5001 allowed");
        Assert.Equal("allowed-5001", guest.Must("timeout 10 sh -c 'until [ -s /tmp/got.5001 ]; do sleep 0.1; done'; cat /tmp/got.5001").Trim());
        var deniedBefore = s.Daemon.Metric(GuestIngressDenied);
        var denied = Shell.Run(s.A.Exec($"bash -c 'echo denied-5003 | ncat -w 2 --send-only {s.Vm.Ipv4} 5003'"), TimeSpan.FromSeconds(10));
        Assert.False(denied.Ok, $"a connected to the guest's tcp 5003: {denied}");
        Assert.True(s.Daemon.Metric(GuestIngressDenied) >= deniedBefore + 1, $"guest ingress drops: {s.Daemon.Metric(GuestIngressDenied)} (before {deniedBefore})");
        Assert.Equal("0 listening", guest.Must("echo \"$(netstat -tn | grep -c ':5003 ') $(netstat -ltn | grep -q ':5003 ' && echo listening)\"; cat /tmp/got.5003").Trim());
    }

    [SkippableFact]
    public void KernelGuest_TcpMegabytesBothWays_ArriveIntact_AsSuperFramesThroughTheOffloads()
    {
        Root.Require();
        QemuGuest.SkipUnlessQemuRuns();
        using var lab = new Lab();
        var s = StartLab(lab);
        Log("lab up");
        using var guest = Boot(s);
        const int Size = 4 * 1024 * 1024;
        var dir = Directory.CreateTempSubdirectory("vsw-qemu-tcp").FullName;
        try
        {
            Shell.Must($"head -c {Size} /dev/urandom > {dir}/in");
            var sent = Shell.Must($"md5sum < {dir}/in").Split(' ')[0];
            foreach (var (family, guestAddress, bAddress) in new[] { ("v4", s.Vm.Ipv4, s.B.Ipv4), ("v6", s.Vm.Ipv6, s.B.Ipv6) })
            {
                // a -> guest: a's TAP hands the switch 64 KiB GSO frames; with GUEST_TSO the switch puts them into the
                // guest's mergeable buffers whole (fewer frames than 1,448-byte segments), and the guest's TCP
                // checks every byte's checksum.
                guest.Must($"(nc -l -p 5001 </dev/null > /tmp/data.{family}) >/dev/null 2>&1 &");
                guest.Must("timeout 10 sh -c 'until netstat -ltn | grep -q \":5001 \"; do sleep 0.1; done'", TimeSpan.FromSeconds(15));
                var (intoGuest, intoGuestBytes) = (TxPackets(s.Daemon), TxBytes(s.Daemon));
                var send = Shell.Run(s.A.Exec($"ncat -w 5 --send-only {guestAddress} 5001 < {dir}/in"), TimeSpan.FromSeconds(60));
                Assert.True(send.Ok, $"a -> guest {family}: {send}\n{Counters(s.Daemon)}\n{guest.Console}");
                var got = guest.Must($"timeout 30 sh -c 'while pidof nc >/dev/null; do sleep 0.1; done' && md5sum /tmp/data.{family}", TimeSpan.FromSeconds(40));
                Assert.Equal(sent, got.Split(' ')[0]);
                var (frames, bytes) = (TxPackets(s.Daemon) - intoGuest, TxBytes(s.Daemon) - intoGuestBytes);
                var intoGuestFrames = frames;
                Assert.True(bytes / frames > 1514, $"a -> guest {family}: {frames} frames for {bytes} bytes: the switch segmented what the guest could take whole\n{Counters(s.Daemon)}");

                // guest -> b: the guest's kernel hands its NIC TSO frames (HOST_TSO), which the switch passes to b's
                // TAP with their virtio header; b must receive the same bytes every time. Whether the guest's TCP
                // builds super-frames is its own choice, made on timing (here, under TCG, IPv6 uploads sometimes go
                // out as plain 1,514-byte frames whole): up to three uploads, each checked byte for byte, until one
                // carries super-frames through the switch.
                for (var attempt = 1; ; attempt++)
                {
                    var receiver = Task.Run(() => Shell.Run(s.B.Exec($"ncat -l -p 5002 --recv-only --no-shutdown > {dir}/out.{family}"), TimeSpan.FromSeconds(60)));
                    Lab.WaitListening(s.B, 5002);
                    var (fromGuest, fromGuestBytes) = (RxPackets(s.Daemon), RxBytes(s.Daemon));
                    var upload = guest.Run($"timeout 60 nc {bAddress} 5002 < /tmp/data.{family}", TimeSpan.FromSeconds(70));
                    Assert.True(upload.Ok, $"guest -> b {family}: {upload}\n{Counters(s.Daemon)}");
                    var received = receiver.Wait(TimeSpan.FromSeconds(60)) ? receiver.Result : null;
                    Assert.True(received is { Ok: true }, $"b's receiver: {received}\n{Counters(s.Daemon)}");
                    Assert.Equal(sent, Shell.Must($"md5sum < {dir}/out.{family}").Split(' ')[0]);
                    (frames, bytes) = (RxPackets(s.Daemon) - fromGuest, RxBytes(s.Daemon) - fromGuestBytes);
                    if (bytes / frames > 1514 || attempt == 3)
                    {
                        Assert.True(bytes / frames > 1514, $"guest -> b {family}: {frames} frames for {bytes} bytes in each of 3 uploads: no TSO frame came from the guest\n{Counters(s.Daemon)}");
                        break;
                    }
                    Log($"{family}: upload {attempt}: {frames} frames for {bytes} bytes, no super-frames: again");
                }
                Log($"{family}: a -> guest {intoGuestFrames} frames, guest -> b {frames} frames, for {Size} bytes each way");
                guest.Must($"rm /tmp/data.{family}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void TwoKernelGuests_TcpBetweenThem_ThroughTheirGroups_AllowedArrivesIntact_DeniedIsCounted()
    {
        Root.Require();
        QemuGuest.SkipUnlessQemuRuns();
        using var lab = new Lab();
        lab.Network("n1");
        lab.Group("client", stateful: true);
        lab.Group("server", stateful: true, [new("ingress", "IPv4", "tcp", 5001, 5001), new("ingress", "IPv6", "tcp", 5001, 5001)]);
        var one = lab.VhostUserVm("vh1", "n1", 21, ["client"]);
        var two = lab.VhostUserVm("vh2", "n1", 22, ["server"]);
        var daemon = lab.Start(2);
        Log("lab up");
        using var client = QemuGuest.Boot(one);
        using var server = QemuGuest.Boot(two);
        Log($"guests up ({client.BootTime.TotalSeconds:F1} s, {server.BootTime.TotalSeconds:F1} s)");
        Assert.True(Shell.Eventually(() => Status(daemon, "vh1") == "ACTIVE" && Status(daemon, "vh2") == "ACTIVE", TimeSpan.FromSeconds(10)), daemon.Log);

        // 4 MiB each family from one guest's kernel to the other's, through both guests' offloads and the groups;
        // the rate is a functional figure only (both guests are emulated by TCG on this machine's two CPUs).
        const int Size = 4 * 1024 * 1024;
        var sent = client.Must($"head -c {Size} /dev/urandom > /tmp/in && md5sum < /tmp/in").Split(' ')[0];
        foreach (var address in new[] { two.Ipv4, two.Ipv6 })
        {
            // The listener's stdin stays open: busybox nc half-closes at its stdin's end, and the sending nc then
            // stops at the server's FIN, short of its data.
            server.Must("rm -f /tmp/got; (sleep 120 | nc -l -p 5001 > /tmp/got) >/dev/null 2>&1 &");
            server.Must("timeout 10 sh -c 'until netstat -ltn | grep -q \":5001 \"; do sleep 0.1; done'", TimeSpan.FromSeconds(15));
            var clock = Stopwatch.StartNew();
            var upload = client.Run($"timeout 60 nc {address} 5001 < /tmp/in", TimeSpan.FromSeconds(70));
            Assert.True(upload.Ok, $"vh1 -> vh2 {address}: {upload}\n{client.Console}\n{server.Console}");
            var got = server.Must("timeout 30 sh -c 'while pidof nc >/dev/null; do sleep 0.1; done' && md5sum < /tmp/got && wc -c < /tmp/got", TimeSpan.FromSeconds(40));
            Assert.True(sent == got.Split(' ')[0], $"vh1 -> vh2 {address}: got {got.Split('\n')[^1].Trim()} bytes of {Size}, not the same ({got.Trim()})");
            Log($"vh1 -> vh2 {address}: {Size} bytes intact, {Size / clock.Elapsed.TotalSeconds / 1e6:F1} MB/s under TCG");
        }

        // To a port the server's group does not open: the handshake never arrives, and vh2's ingress counts it.
        const string Denied = "vswitch_port_dropped_packets_total{port=\"vh2\",direction=\"ingress\",reason=\"security_group\"}";
        var before = Math.Max(0, daemon.Metric(Denied));
        server.Must("(nc -l -p 5003 </dev/null > /tmp/denied) >/dev/null 2>&1 &");
        Assert.False(client.Run($"echo x | timeout 3 nc {two.Ipv4} 5003", TimeSpan.FromSeconds(10)).Ok);
        Assert.True(daemon.Metric(Denied) >= before + 1, $"vh2's ingress drops: {daemon.Metric(Denied)} (before {before})");
        Assert.Equal("0", server.Must("wc -c < /tmp/denied").Trim());
    }

    [SkippableFact]
    public void KernelGuest_UnloadingItsDriver_TakesThePortDown_ReloadingBringsItBack()
    {
        Root.Require();
        QemuGuest.SkipUnlessQemuRuns();
        using var lab = new Lab();
        var s = StartLab(lab);
        Log("lab up");
        using var guest = Boot(s);
        var ping = Shell.Run(s.A.Exec($"ping -c 2 -i 0.2 -W 3 {s.Vm.Ipv4}"), TimeSpan.FromSeconds(15));
        Assert.True(ping.Ok, $"{ping}\n{guest.Console}");

        // Unloading virtio_net resets the device: QEMU stops the rings (GET_VRING_BASE) but stays connected.
        guest.Must("rmmod virtio_net");
        Assert.True(Shell.Eventually(() => Status(s.Daemon, GuestPort) == "DOWN", TimeSpan.FromSeconds(10)), s.Daemon.Log);
        Log("driver unloaded: port down");
        var details = Port(s.Daemon, GuestPort)["binding:vif_details"]!;
        Assert.Equal("connected", (string)details["frontend"]!);
        Assert.Equal("0", (string)details["queue_pairs"]!);
        Assert.Contains("driver has not started the rings", (string)details["status_reason"]!);
        const string PortDown = "vswitch_port_dropped_packets_total{port=\"vh\",direction=\"ingress\",reason=\"port_down\"}";
        var downBefore = Math.Max(0, s.Daemon.Metric(PortDown));
        Assert.False(Shell.Run(s.A.Exec($"ping -c 2 -i 0.2 -W 1 {s.Vm.Ipv4}"), TimeSpan.FromSeconds(10)).Ok);
        Assert.True(s.Daemon.Metric(PortDown) >= downBefore + 2, $"port_down drops: {s.Daemon.Metric(PortDown)} (before {downBefore})");

        // Loading it again starts the rings from where they stood: ACTIVE, and the guest answers again.
        guest.Must($"insmod /lib/modules/virtio_net.ko && ip link set eth0 up && ip addr add {s.Vm.Ipv4}/24 dev eth0");
        Assert.True(Shell.Eventually(() => Status(s.Daemon, GuestPort) == "ACTIVE", TimeSpan.FromSeconds(10)), s.Daemon.Log);
        Log("driver loaded: port active");
        var back = Shell.Run(s.A.Exec($"ping -c 3 -i 0.2 -W 3 {s.Vm.Ipv4}"), TimeSpan.FromSeconds(20));
        Assert.True(back.Ok, $"{back}\n{guest.Console}\n{s.Daemon.Log}");

        // QEMU dies: the connection closes and the port waits for the next front-end.
        guest.Kill();
        Assert.True(Shell.Eventually(() => Status(s.Daemon, GuestPort) == "DOWN", TimeSpan.FromSeconds(10)), s.Daemon.Log);
        Assert.Equal("waiting", (string)Port(s.Daemon, GuestPort)["binding:vif_details"]!["frontend"]!);
    }

    /// <summary>Notes a step with the time since the test started (the output shows where a slow run spent it).</summary>
    private void Log(string step) => output.WriteLine($"[{_clock.Elapsed.TotalSeconds,5:F1} s] {step}");

    private static double TxPackets(Daemon d) => d.Metric($"vswitch_port_tx_packets_total{{port=\"{GuestPort}\"}}");

    private static double TxBytes(Daemon d) => d.Metric($"vswitch_port_tx_bytes_total{{port=\"{GuestPort}\"}}");

    private static double RxPackets(Daemon d) => d.Metric($"vswitch_port_rx_packets_total{{port=\"{GuestPort}\"}}");

    private static double RxBytes(Daemon d) => d.Metric($"vswitch_port_rx_bytes_total{{port=\"{GuestPort}\"}}");

    private static string Counters(Daemon daemon) =>
        string.Join('\n', daemon.Metrics().Split('\n').Where(l => l.StartsWith("vswitch_port_", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal)));

    private static string Api(Daemon daemon, string path) =>
        Shell.Must($"curl -sf --unix-socket {Path.Combine(daemon.StateDir, "api.sock")} http://localhost{path}");

    private static JsonNode Port(Daemon daemon, string name) =>
        JsonNode.Parse(Api(daemon, "/v2.0/ports"))!["ports"]!.AsArray().Single(p => (string)p!["name"]! == name)!;

    private static string Status(Daemon daemon, string name) => (string)Port(daemon, name)["status"]!;
}
