using System.Globalization;
using System.Text.Json;

namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// A lab for IP fragments, tagged and oversized frames: a "client" whose groups allow egress only, a "server" that
/// accepts UDP 7000, iperf3 (5201) and echo requests, an "attacker" with egress only that crafts fragments with scapy,
/// and two VMs without port security on a VLAN-transparent network.
/// </summary>
public sealed class FragmentLab : IDisposable
{
    internal Lab Lab { get; } = new();

    internal Lab.Vm Client { get; }
    internal Lab.Vm Server { get; }
    internal Lab.Vm Attacker { get; }
    internal Lab.Vm TrunkA { get; }
    internal Lab.Vm TrunkB { get; }

    public FragmentLab()
    {
        Root.Require();
        Lab.Network("n1");
        Lab.Network("trunk", vlanTransparent: true);
        Lab.Group("egress-only", stateful: true);
        Lab.Group("server", stateful: true,
            new Lab.Rule("ingress", "IPv4", "udp", 7000, 7000),
            new Lab.Rule("ingress", "IPv6", "udp", 7000, 7000),
            new Lab.Rule("ingress", "IPv4", "tcp", 5201, 5201),
            new Lab.Rule("ingress", "IPv6", "tcp", 5201, 5201),
            new Lab.Rule("ingress", "IPv4", "udp", 5201, 5201),
            new Lab.Rule("ingress", "IPv6", "udp", 5201, 5201),
            new Lab.Rule("ingress", "IPv4", "icmp", 8),
            new Lab.Rule("ingress", "IPv6", "ipv6-icmp", 128));
        Client = Lab.SecuredVm("client", "n1", 1, ["egress-only"]);
        Server = Lab.SecuredVm("server", "n1", 2, ["server"]);
        Attacker = Lab.SecuredVm("attacker", "n1", 3, ["egress-only"]);
        TrunkA = Lab.TapVm("trunka", "trunk", 4);
        TrunkB = Lab.TapVm("trunkb", "trunk", 5);
        Lab.Start(2, Client, Server, Attacker, TrunkA, TrunkB);
    }

    public void Dispose() => Lab.Dispose();
}

[Collection(LabCollection.Name)]
public sealed class FragmentTests(FragmentLab fixture) : IClassFixture<FragmentLab>
{
    private Daemon Daemon => fixture.Lab.Daemon!;

    private static string Host(Lab.Vm vm, bool ipv6) => ipv6 ? vm.Ipv6 : vm.Ipv4;

    private double Drops(string port, string reason, string direction = "egress") =>
        Daemon.Metric($"vswitch_port_dropped_packets_total{{port=\"{port}\",direction=\"{direction}\",reason=\"{reason}\"}}");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PingWithFragments_FromAVmThatAllowsEgressOnly_EveryReplyArrives(bool ipv6)
    {
        // The echo replies of 3,000 bytes come back in three fragments each; the later ones used to be dropped at
        // the client's ingress (100% loss).
        var matched = Daemon.Metric("vswitch_ip_later_fragments_matched_total");
        var r = Shell.Run(fixture.Client.Exec($"ping {(ipv6 ? "-6 " : "")}-c 5 -i 0.2 -W 2 -s 3000 {Host(fixture.Server, ipv6)}"), TimeSpan.FromSeconds(20));
        Assert.True(r.Stdout.Contains(" 0% packet loss", StringComparison.Ordinal), $"{r}\n{Daemon.Log}");
        Assert.True(Daemon.Metric("vswitch_ip_later_fragments_matched_total") >= matched + 20);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LargeUdpDatagrams_ToAnAllowedPort_AllArrive(bool ipv6)
    {
        var family = ipv6 ? "AF_INET6" : "AF_INET";
        var any = ipv6 ? "::" : "0.0.0.0";
        var server = Task.Run(() => Shell.Run(fixture.Server.Exec(
            $"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.{family},socket.SOCK_DGRAM); s.bind(('{any}',7000)); s.settimeout(4)\n" +
            "n=0\ntry:\n  while True:\n    d=s.recv(65535); n+=1 if len(d)==4000 else 0\nexcept socket.timeout: print('RECEIVED', n)\""), TimeSpan.FromSeconds(20)));
        Lab.WaitListening(fixture.Server, 7000, "u");
        Shell.Must(fixture.Client.Exec(
            $"/usr/bin/python3 -c \"import socket,time; s=socket.socket(socket.{family},socket.SOCK_DGRAM)\n" +
            $"for i in range(10): s.sendto(bytes(4000),('{Host(fixture.Server, ipv6)}',7000)); time.sleep(0.05)\""));
        var result = await server;
        Assert.True(result.Stdout.Contains("RECEIVED 10", StringComparison.Ordinal), $"{result}\n{Daemon.Log}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Iperf3Udp_WithDatagramsOf4000Bytes_Arrives(bool ipv6)
    {
        var matched = Daemon.Metric("vswitch_ip_later_fragments_matched_total");
        var server = Task.Run(() => Shell.Run(fixture.Server.Exec("iperf3 -s -1 -p 5201 -J"), TimeSpan.FromSeconds(30)));
        Lab.WaitListening(fixture.Server, 5201);
        var r = Shell.Run(fixture.Client.Exec($"iperf3 {(ipv6 ? "-6 " : "")}-c {Host(fixture.Server, ipv6)} -p 5201 -u -l 4000 -b 20M -t 2 -J"), TimeSpan.FromSeconds(30));
        var s = await server;
        Assert.True(r.Ok, $"{r}\n{Daemon.Log}");
        var sent = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("end").GetProperty("sum").GetProperty("packets").GetInt64();
        // The receiver's own count: datagrams it got whole (the kernel delivers a datagram only when all fragments came).
        var received = JsonDocument.Parse(s.Stdout).RootElement.GetProperty("end").GetProperty("sum");
        var lost = received.GetProperty("lost_packets").GetInt64();
        var total = received.GetProperty("packets").GetInt64();
        // Before: 0 of 937 arrived. A loaded 2-core machine may lose a few; most must arrive.
        Assert.True(sent > 500 && total >= sent * 9 / 10 && lost < sent / 10, $"{sent} sent, receiver: {total} expected, {lost} lost\n{s.Stdout}");
        // Each 4,000-byte datagram leaves the VM as three fragments.
        var laterFragments = Daemon.Metric("vswitch_ip_later_fragments_matched_total") - matched;
        Assert.True(laterFragments >= 2 * (total - lost), $"{laterFragments} later fragments for {total - lost} datagrams");
    }

    /// <summary>Crafts fragments with scapy from the attacker: see the cases in the script.</summary>
    private void Scapy(string scenario, bool ipv6, int port)
    {
        var script = Path.Combine(Path.GetTempPath(), "vsw-fragments.py");
        File.WriteAllText(script, ScapyScript);
        var a = fixture.Attacker;
        Shell.Must(a.Exec($"/usr/bin/python3 {script} {scenario} {(ipv6 ? 6 : 4)} {a.Interface} fa:16:3e:00:01:03 fa:16:3e:00:01:02 " +
            $"{Host(a, ipv6)} {Host(fixture.Server, ipv6)} {port}"), TimeSpan.FromSeconds(60));
    }

    private const string ScapyScript =
        "import sys\n" +
        "from scapy.all import *\n" +
        "scenario, fam, iface, smac, dmac, src, dst, port = sys.argv[1:9]\n" +
        "port = int(port); v6 = fam == '6'; conf.verb = 0\n" +
        "def l4(proto, data):\n" +
        "    ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)\n" +
        "    return raw(ip/proto/Raw(data))[40 if v6 else 20:]\n" +
        "def frag(proto, ident, off, more, data):\n" +
        "    if v6: return Ether(src=smac, dst=dmac)/IPv6(src=src, dst=dst)/IPv6ExtHdrFragment(nh=proto, id=ident, offset=off//8, m=int(more))/Raw(data)\n" +
        "    return Ether(src=smac, dst=dmac)/IP(src=src, dst=dst, id=ident, flags='MF' if more else 0, frag=off//8, proto=proto)/Raw(data)\n" +
        "def split(proto, ident, data, size=1000):\n" +
        "    return [frag(proto, ident, o, o + size < len(data), data[o:o+size]) for o in range(0, len(data), size)]\n" +
        "udp = l4(UDP(sport=40000, dport=port), b'F' * 2992)\n" +
        "if scenario == 'reversed':\n" +
        "    sendp(list(reversed(split(17, 501, udp))), iface=iface)\n" +
        "elif scenario == 'ordered':\n" +
        "    sendp(split(17, 502, udp), iface=iface)\n" +
        "elif scenario == 'overlap':\n" +
        "    udp = l4(UDP(sport=40000, dport=port), b'V' * 56)\n" +
        "    # The second fragment starts inside the first one's 16 bytes: a receiver that let it win would see a\n" +
        "    # rewritten datagram the rules never judged.\n" +
        "    sendp([frag(17, 503, 0, True, udp[:16]), frag(17, 503, 8, True, udp[8:24]), frag(17, 503, 24, False, udp[24:])], iface=iface)\n" +
        "elif scenario == 'orphans':\n" +
        "    sendp([frag(17, 504 + i, 1000, False, b'O' * 200) for i in range(5)], iface=iface)\n" +
        "elif scenario == 'tiny':\n" +
        "    tcp = l4(TCP(sport=40000, dport=port, flags='S'), b'')\n" +
        "    sendp([frag(6, 505, 0, True, tcp[:8]), frag(6, 505, 8, False, tcp[8:])], iface=iface)\n";

    private string ReassemblyRequests(bool ipv6)
    {
        // The server kernel's count of fragments it received for reassembly (per namespace).
        var text = Shell.Must(fixture.Server.Exec(ipv6 ? "cat /proc/net/snmp6" : "cat /proc/net/snmp"));
        var lines = text.Split('\n');
        if (ipv6)
        {
            return lines.Single(l => l.StartsWith("Ip6ReasmReqds", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }
        var ip = lines.Where(l => l.StartsWith("Ip:", StringComparison.Ordinal)).ToArray();
        var names = ip[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = ip[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return values[Array.IndexOf(names, "ReasmReqds")];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CraftedFragments_NeverGetPastTheRules_AndAllowedOnesArriveInAnyOrder(bool ipv6)
    {
        var before = ReassemblyRequests(ipv6);
        var fragmentDrops = Drops("attacker", "fragment");
        var malformed = Drops("attacker", "malformed");

        // Nothing of these reaches the server's kernel: a datagram to a port no rule allows, later fragments whose
        // first never comes, and a TCP SYN whose first fragment is too short for the TCP header.
        Scapy("ordered", ipv6, 7999);
        Scapy("orphans", ipv6, 7000);
        Scapy("tiny", ipv6, 7000);
        Assert.True(Shell.Eventually(() => Drops("attacker", "fragment") >= fragmentDrops + 6, TimeSpan.FromSeconds(5)), Daemon.Metrics());
        Assert.Equal(before, ReassemblyRequests(ipv6));
        Assert.True(Drops("attacker", "malformed") >= malformed + 1);

        // An allowed datagram sent last fragment first arrives; one whose second fragment overlaps the first does not.
        var family = ipv6 ? "AF_INET6" : "AF_INET";
        var server = Task.Run(() => Shell.Run(fixture.Server.Exec(
            $"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.{family},socket.SOCK_DGRAM); s.bind(('{(ipv6 ? "::" : "0.0.0.0")}',7000)); s.settimeout(5)\n" +
            "try:\n  while True: print('GOT', len(s.recv(65535)), flush=True)\nexcept socket.timeout: print('DONE')\""), TimeSpan.FromSeconds(20)));
        Lab.WaitListening(fixture.Server, 7000, "u");
        var overlapDrops = Drops("attacker", "fragment");
        Scapy("overlap", ipv6, 7000);
        Scapy("reversed", ipv6, 7000);
        var received = await server;
        Assert.Equal(["GOT 2992"], received.Stdout.Split('\n').Where(l => l.StartsWith("GOT", StringComparison.Ordinal)));
        Assert.True(Drops("attacker", "fragment") >= overlapDrops + 1);
    }

    [Fact]
    public void FramesOverTheNetworksMtu_AreDroppedAndCounted()
    {
        // The client's NIC claims 9,000 bytes, the network carries 1,500: its big frames are dropped, as Open vSwitch
        // drops them, and counted; within the MTU everything passes.
        var dropped = Drops("client", "mtu");
        var c = fixture.Client;
        Shell.Must(c.Exec($"ip link set {c.Interface} mtu 9000"));
        try
        {
            var big = Shell.Run(c.Exec($"ping -c 2 -i 0.2 -W 1 -M do -s 8914 {fixture.Server.Ipv4}"), TimeSpan.FromSeconds(10));
            Assert.False(big.Ok, big.ToString());
            Assert.True(Shell.Eventually(() => Drops("client", "mtu") >= dropped + 2, TimeSpan.FromSeconds(5)),
                $"{big}\n{string.Join('\n', Daemon.Metrics().Split('\n').Where(l => l.Contains("port=\"client\"", StringComparison.Ordinal)))}");
            var fits = Shell.Run(c.Exec($"ping -c 2 -i 0.2 -W 2 -M do -s 1472 {fixture.Server.Ipv4}"), TimeSpan.FromSeconds(10));
            Assert.True(fits.Ok, fits.ToString());
        }
        finally
        {
            Shell.Run(c.Exec($"ip link set {c.Interface} mtu 1500"));
        }
    }

    /// <summary>Sends <paramref name="count"/> frames tagged with VLAN <paramref name="vlan"/> (EtherType 0x88B5 inside) from the VM.</summary>
    private static void SendTagged(Lab.Vm vm, string srcMac, int vlan, int count)
    {
        var script = Path.Combine(Path.GetTempPath(), "vsw-tagged.py");
        File.WriteAllText(script,
            "import socket,sys\n" +
            "iface, src, vlan, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])\n" +
            "s=socket.socket(17,3); s.bind((iface,0))\n" +
            "frame=bytes.fromhex('ffffffffffff'+src.replace(':','')+'8100')+vlan.to_bytes(2,'big')+bytes.fromhex('88b5')+b'vswitch-tagged'+bytes(40)\n" +
            "for i in range(count): s.send(frame)\n");
        Shell.Must(vm.Exec($"/usr/bin/python3 {script} {vm.Interface} {srcMac} {vlan.ToString(CultureInfo.InvariantCulture)} {count.ToString(CultureInfo.InvariantCulture)}"));
    }

    private static string MacOf(Lab.Vm vm) => Shell.Must(vm.Exec($"cat /sys/class/net/{vm.Interface}/address")).Trim();

    [Fact]
    public async Task TaggedFrames_AreDroppedOnAnAccessNetwork_AndCarriedOnAVlanTransparentOne()
    {
        // n1 is an access network: a VM's tagged frames never reach anyone, and are counted.
        var dropped = Drops("client", "vlan");
        var listenN1 = Task.Run(() => Shell.Run(fixture.Server.Exec($"timeout 6 tcpdump -n -e -c 1 -i {fixture.Server.Interface} vlan"), TimeSpan.FromSeconds(10)));
        var listenTrunk = Task.Run(() => Shell.Run(fixture.TrunkB.Exec($"timeout 8 tcpdump -n -e -c 1 -i {fixture.TrunkB.Interface} vlan 20"), TimeSpan.FromSeconds(12)));
        await Task.Delay(1500);
        SendTagged(fixture.Client, "fa:16:3e:00:01:01", 10, 5);
        Assert.True(Shell.Eventually(() => Drops("client", "vlan") >= dropped + 5, TimeSpan.FromSeconds(5)), Daemon.Metrics());

        // trunk is VLAN-transparent: the tagged frames pass between its ports, tag and all.
        for (var i = 0; i < 10 && !listenTrunk.IsCompleted; i++)
        {
            SendTagged(fixture.TrunkA, MacOf(fixture.TrunkA), 20, 1);
            await Task.Delay(300);
        }
        var trunk = await listenTrunk;
        Assert.Contains("vlan 20", trunk.Stdout);
        Assert.Equal(0, Drops("trunka", "vlan"));
        var n1 = await listenN1;
        Assert.DoesNotContain("vlan 10", n1.Stdout);
    }
}
