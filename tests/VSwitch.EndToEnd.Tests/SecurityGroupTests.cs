using System.Text.RegularExpressions;

namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// A lab for security groups: VMs on TAP ports with port security, fixed IPs and groups from the configuration file.
/// </summary>
public sealed class SecurityGroupLab : IDisposable
{
    internal Lab Lab { get; } = new();

    internal Lab.Vm Server { get; }
    internal Lab.Vm Multi { get; }
    internal Lab.Vm Client { get; }
    internal Lab.Vm Member { get; }
    internal Lab.Vm Outsider { get; }
    internal Lab.Vm Bare { get; }
    internal Lab.Vm Pingable { get; }
    internal Lab.Vm StatelessA { get; }
    internal Lab.Vm StatelessB { get; }

    public SecurityGroupLab()
    {
        Root.Require();
        Lab.Network("n1");
        Lab.Group("web80", stateful: true,
            new Lab.Rule("ingress", "IPv4", "tcp", 80, 80),
            new Lab.Rule("ingress", "IPv6", "tcp", 80, 80));
        Lab.Group("trusted", stateful: true);
        Lab.Group("from-trusted", stateful: true,
            new Lab.Rule("ingress", "IPv4", "icmp", remote_group: "trusted"),
            new Lab.Rule("ingress", "IPv6", "ipv6-icmp", remote_group: "trusted"));
        Lab.Group("sl", stateful: false, new Lab.Rule("ingress", "IPv4", "udp", 6000, 6000));
        Server = Lab.SecuredVm("srv", "n1", 1, ["web80"]);
        Multi = Lab.SecuredVm("multi", "n1", 2, ["web80", "ssh"]);
        Client = Lab.SecuredVm("client", "n1", 3, null);
        Member = Lab.SecuredVm("member", "n1", 4, null);
        Outsider = Lab.SecuredVm("outs", "n1", 5, ["web80"]);
        Bare = Lab.SecuredVm("bare", "n1", 6, []);
        Pingable = Lab.SecuredVm("ping", "n1", 7, ["from-trusted"]);
        StatelessA = Lab.SecuredVm("sla", "n1", 8, ["sl"]);
        StatelessB = Lab.SecuredVm("slb", "n1", 9, ["sl"]);
        Lab.Start(2, Server, Multi, Client, Member, Outsider, Bare, Pingable, StatelessA, StatelessB);
        foreach (var vm in new[] { Server, Multi })
        {
            foreach (var port in new[] { 22, 80, 443 })
            {
                Shell.Must($"setsid {vm.Exec($"ncat -lk -p {port}")} </dev/null >/dev/null 2>&1 &");
            }
        }
    }

    public void Dispose() => Lab.Dispose();
}

[Collection(LabCollection.Name)]
public sealed class SecurityGroupTests(SecurityGroupLab fixture) : IClassFixture<SecurityGroupLab>
{
    private static bool Ping(Lab.Vm from, Lab.Vm to, bool ipv6 = false) =>
        Shell.Run(from.Exec($"ping {(ipv6 ? "-6 " : "")}-c 2 -i 0.2 -W 1 {(ipv6 ? to.Ipv6 : to.Ipv4)}"), TimeSpan.FromSeconds(10)).Ok;

    /// <summary>The open TCP ports nmap finds among 22, 80, 443 (a connect scan: filtered means dropped).</summary>
    private static string OpenPorts(Lab.Vm from, Lab.Vm to, bool ipv6)
    {
        var r = Shell.Run(from.Exec($"nmap {(ipv6 ? "-6 " : "")}-Pn -n -sT --max-retries 1 --host-timeout 30s -p 22,80,443 -oG - {(ipv6 ? to.Ipv6 : to.Ipv4)}"), TimeSpan.FromSeconds(40));
        Assert.True(r.Ok, r.ToString());
        var open = Regex.Matches(r.Stdout, @"(\d+)/open/").Select(m => m.Groups[1].Value);
        return string.Join(",", open);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PortSweep_FindsExactlyThePortsTheGroupsAllow(bool ipv6)
    {
        Assert.Equal("80", OpenPorts(fixture.Client, fixture.Server, ipv6));
        Assert.Equal("22,80", OpenPorts(fixture.Client, fixture.Multi, ipv6));
    }

    [Fact]
    public void DefaultGroup_MembersTalk_OutsidersDoNot()
    {
        Assert.True(Ping(fixture.Client, fixture.Member));
        Assert.True(Ping(fixture.Member, fixture.Client, ipv6: true));
        var before = fixture.Lab.Daemon!.Metric("vswitch_port_dropped_packets_total{port=\"member\",direction=\"ingress\",reason=\"security_group\"}");
        Assert.False(Ping(fixture.Outsider, fixture.Member));
        var after = fixture.Lab.Daemon!.Metric("vswitch_port_dropped_packets_total{port=\"member\",direction=\"ingress\",reason=\"security_group\"}");
        Assert.True(after > before, $"member's security_group drops did not rise ({before} -> {after})");
    }

    [Fact]
    public void NoGroups_PassesOnlyImplicitTraffic()
    {
        Assert.False(Ping(fixture.Client, fixture.Bare));
        Assert.False(Ping(fixture.Bare, fixture.Client));
        // ARP is implicit: the client resolved the bare VM's MAC even though its pings were dropped.
        Assert.Contains("fa:16:3e:00:01:06", Shell.Must(fixture.Client.Exec($"ip neigh show {fixture.Bare.Ipv4}")));
    }

    [Fact]
    public void RemoteGroupRule_FollowsMembershipChangesAtOnce()
    {
        Assert.False(Ping(fixture.Client, fixture.Pingable));
        fixture.Lab.SetGroups("client", "default", "trusted");
        fixture.Lab.Reload();
        Assert.True(Ping(fixture.Client, fixture.Pingable));
        Assert.True(Ping(fixture.Client, fixture.Pingable, ipv6: true));
        fixture.Lab.SetGroups("client", "default");
        fixture.Lab.Reload();
        Assert.False(Ping(fixture.Client, fixture.Pingable));
    }

    [Fact]
    public async Task SpoofedSources_AreDroppedAndCounted()
    {
        const string listen = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',7000)); s.settimeout(3)\ntry:\n  while True:\n    d,a=s.recvfrom(100); print('GOT',d)\nexcept socket.timeout: pass\n";
        var script = Path.Combine(Path.GetTempPath(), "vsw-spoof-listen.py");
        File.WriteAllText(script, listen);
        var server = Task.Run(() => Shell.Run(fixture.Member.Exec($"/usr/bin/python3 {script}"), TimeSpan.FromSeconds(10)));
        Lab.WaitListening(fixture.Member, 7000, "u");
        var metric = "vswitch_port_dropped_packets_total{port=\"client\",direction=\"egress\",reason=\"spoofing\"}";
        var before = fixture.Lab.Daemon!.Metric(metric);
        var client = fixture.Client;
        var memberMac = Shell.Must(fixture.Member.Exec($"cat /sys/class/net/{fixture.Member.Interface}/address")).Trim();
        // A forged source IP (another VM's) from the client's own MAC, and the client's IP from a forged MAC.
        var scapy =
            $"from scapy.all import *\n" +
            $"sendp(Ether(src='fa:16:3e:00:01:03',dst='{memberMac}')/IP(src='{fixture.Outsider.Ipv4}',dst='{fixture.Member.Ipv4}')/UDP(sport=1234,dport=7000)/b'forged-ip', iface='{client.Interface}', verbose=0)\n" +
            $"sendp(Ether(src='02:66:66:66:66:66',dst='{memberMac}')/IP(src='{client.Ipv4}',dst='{fixture.Member.Ipv4}')/UDP(sport=1234,dport=7000)/b'forged-mac', iface='{client.Interface}', verbose=0)\n" +
            $"sendp(Ether(src='fa:16:3e:00:01:03',dst='{memberMac}')/IP(src='{client.Ipv4}',dst='{fixture.Member.Ipv4}')/UDP(sport=1234,dport=7000)/b'genuine', iface='{client.Interface}', verbose=0)\n";
        var scapyFile = Path.Combine(Path.GetTempPath(), "vsw-spoof.py");
        File.WriteAllText(scapyFile, scapy);
        Shell.Must(client.Exec($"/usr/bin/python3 {scapyFile}"), TimeSpan.FromSeconds(30));
        var received = (await server).Stdout;
        Assert.Contains("genuine", received);
        Assert.DoesNotContain("forged", received);
        Assert.True(fixture.Lab.Daemon!.Metric(metric) >= before + 2, $"spoofing drops {before} -> {fixture.Lab.Daemon!.Metric(metric)}");
    }

    [Fact]
    public void NetworkLog_WritesDropLinesForDeniedTraffic()
    {
        var daemon = fixture.Lab.Daemon!;
        var socket = Path.Combine(daemon.StateDir, "api.sock");
        var ports = Shell.Must($"curl -sf --unix-socket {socket} 'http://localhost/v2.0/ports?name=member'");
        var portId = System.Text.Json.Nodes.JsonNode.Parse(ports)!["ports"]![0]!["id"]!.ToString();
        Shell.Must($"curl -sf --unix-socket {socket} -X POST -H 'Content-Type: application/json' http://localhost/v2.0/log/logs " +
            $"-d '{{\"log\": {{\"name\": \"member-drops\", \"resource_type\": \"security_group\", \"target_id\": \"{portId}\", \"event\": \"DROP\"}}}}'");
        Assert.False(Ping(fixture.Outsider, fixture.Member));
        var log = Path.Combine(daemon.StateDir, "security-group.log");
        Assert.True(Shell.Eventually(() => File.Exists(log) && File.ReadAllText(log).Contains(portId, StringComparison.Ordinal), TimeSpan.FromSeconds(5)), "no log line for the denied pings");
        var line = File.ReadLines(log).First(l => l.Contains(portId, StringComparison.Ordinal));
        Assert.Contains("DROP", line);
        Assert.Contains(fixture.Outsider.Ipv4, line);
    }

    [Fact]
    public void StatelessGroup_NeedsExplicitReturnRules()
    {
        const string echo = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',6000)); s.settimeout(6)\nd,a=s.recvfrom(100); print('GOT'); s.sendto(d.upper(),a)\n";
        var script = Path.Combine(Path.GetTempPath(), "vsw-sl-echo.py");
        File.WriteAllText(script, echo);
        string Exchange()
        {
            var server = Task.Run(() => Shell.Run(fixture.StatelessB.Exec($"/usr/bin/python3 {script}"), TimeSpan.FromSeconds(10)));
            Lab.WaitListening(fixture.StatelessB, 6000, "u");
            var client = Shell.Run(fixture.StatelessA.Exec(
                $"/usr/bin/python3 -c \"import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2); s.sendto(b'ping',('{fixture.StatelessB.Ipv4}',6000)); print(s.recv(100).decode())\""),
                TimeSpan.FromSeconds(10));
            return (server.Result.Stdout.Contains("GOT", StringComparison.Ordinal) ? "request-arrived " : "request-lost ")
                + (client.Stdout.Contains("PING", StringComparison.Ordinal) ? "reply-arrived" : "reply-lost");
        }
        Assert.Equal("request-arrived reply-lost", Exchange());
        fixture.Lab.SetRules("sl",
            new Lab.Rule("ingress", "IPv4", "udp", 6000, 6000),
            new Lab.Rule("ingress", "IPv4", "udp", remote_ip_prefix: "198.18.0.0/24"));
        fixture.Lab.Reload();
        Assert.Equal("request-arrived reply-arrived", Exchange());
    }
}
