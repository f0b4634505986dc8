using System.Text.Json.Nodes;
using VSwitch.Cli.Arguments;
using VSwitch.Cli.Tests.Infrastructure;

namespace VSwitch.Cli.Tests;

/// <summary>Argument parsing, the requests the verbs send, connection options and exit codes, against a fake API.</summary>
public sealed class CommandLineTests
{
    private const string NetId = "11111111-1111-1111-1111-111111111111";
    private const string GroupId = "22222222-2222-2222-2222-222222222222";
    private const string PortId = "33333333-3333-3333-3333-333333333333";

    private static FakeApi Api() => new FakeApi()
        .On("GET", "/v2.0/networks", """{"networks": []}""")
        .On("GET", "/v2.0/networks?name=net1", $$$"""{"networks": [{"id": "{{{NetId}}}", "name": "net1"}]}""")
        .On("GET", "/v2.0/security-groups?name=web", $$$"""{"security_groups": [{"id": "{{{GroupId}}}", "name": "web"}]}""")
        .On("GET", "/v2.0/security-groups?name=dup", $$$"""{"security_groups": [{"id": "{{{GroupId}}}", "name": "dup"}, {"id": "{{{NetId}}}", "name": "dup"}]}""")
        .On("GET", "/v2.0/security-groups?name=none", """{"security_groups": []}""")
        .On("GET", "/v2.0/ports?name=p1", $$$"""{"ports": [{"id": "{{{PortId}}}", "name": "p1", "network_id": "{{{NetId}}}", "security_groups": ["{{{GroupId}}}"], "fixed_ips": [{"ip_address": "198.18.0.10", "subnet_id": null}], "allowed_address_pairs": [], "port_security_enabled": true, "binding:profile": {"device": "tap:p1"}}]}""")
        .On("POST", "/v2.0/ports", $$$"""{"port": {"id": "{{{PortId}}}", "name": "p1", "network_id": "{{{NetId}}}"}}""", System.Net.HttpStatusCode.Created)
        .On("PUT", $"/v2.0/ports/{PortId}", $$$"""{"port": {"id": "{{{PortId}}}", "name": "p1", "network_id": "{{{NetId}}}"}}""")
        .On("POST", "/v2.0/security-group-rules", $$$"""{"security_group_rule": {"id": "r1", "security_group_id": "{{{GroupId}}}", "direction": "egress", "ethertype": "IPv6"}}""", System.Net.HttpStatusCode.Created);

    private static JsonNode Sent(FakeApi api, string method) => JsonNode.Parse(api.Requests.Last(r => r.Method == method).Body!)!;

    [Fact]
    public void PortCreate_ResolvesNamesAndSendsEveryFlag()
    {
        var api = Api();
        var r = InProcessCli.Run(api, ["port", "create", "p1", "--network", "net1", "--device", "tap:p1@vm", "--mac-address", "fa:16:3e:00:00:01",
            "--fixed-ip", "ip-address=198.18.0.10", "--fixed-ip", "ip-address=2001:db8::10", "--security-group", "web",
            "--allowed-address", "ip-address=198.18.9.0/24,mac-address=fa:16:3e:00:00:02", "--disable", "-f", "json"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var port = Sent(api, "POST")["port"]!;
        Assert.Equal(NetId, (string)port["network_id"]!);
        Assert.Equal("tap:p1@vm", (string)port["binding:profile"]!["device"]!);
        Assert.Equal(["198.18.0.10", "2001:db8::10"], port["fixed_ips"]!.AsArray().Select(ip => (string)ip!["ip_address"]!));
        Assert.Null(port["fixed_ips"]![0]!["subnet_id"]);
        Assert.Equal(GroupId, (string)port["security_groups"]![0]!);
        Assert.Equal("fa:16:3e:00:00:02", (string)port["allowed_address_pairs"]![0]!["mac_address"]!);
        Assert.False((bool)port["admin_state_up"]!);
        Assert.Null(port["port_security_enabled"]);
        Assert.Equal(PortId, (string)JsonNode.Parse(r.Stdout)!["id"]!);
    }

    [Fact]
    public void NetworkCreate_MtuAndTransparentVlan_AreSent()
    {
        var api = Api().On("POST", "/v2.0/networks", """{"network": {"id": "n", "name": "j", "mtu": 9000, "vlan_transparent": true}}""", System.Net.HttpStatusCode.Created);
        var r = InProcessCli.Run(api, ["network", "create", "j", "--mtu", "9000", "--transparent-vlan", "-f", "json"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var network = Sent(api, "POST")["network"]!;
        Assert.Equal((9000, true), ((int)network["mtu"]!, (bool)network["vlan_transparent"]!));
        var shown = JsonNode.Parse(r.Stdout)!;
        Assert.Equal((9000, true), ((int)shown["mtu"]!, (bool)shown["vlan_transparent"]!));
        Assert.Equal(2, InProcessCli.Run(api, ["network", "create", "j", "--mtu", "big"]).ExitCode);
    }

    [Fact]
    public void PortCreate_NoSecurityGroupAndDisabledPortSecurity_SendsEmptyListAndFalse()
    {
        var api = Api();
        var r = InProcessCli.Run(api, ["port", "create", "p1", "--network", "net1", "--no-security-group", "--disable-port-security"]);
        Assert.Equal(0, r.ExitCode);
        var port = Sent(api, "POST")["port"]!;
        Assert.Empty(port["security_groups"]!.AsArray());
        Assert.False((bool)port["port_security_enabled"]!);
        Assert.Null(port["binding:profile"]);
    }

    [Fact]
    public void PortSet_AddsToTheCurrentLists_AndNoFlagsClearFirst()
    {
        var api = Api();
        Assert.Equal(0, InProcessCli.Run(api, ["port", "set", "p1", "--fixed-ip", "198.18.0.11", "--name", "renamed"]).ExitCode);
        var port = Sent(api, "PUT")["port"]!;
        Assert.Equal(["198.18.0.10", "198.18.0.11"], port["fixed_ips"]!.AsArray().Select(ip => (string)ip!["ip_address"]!));
        Assert.Equal("renamed", (string)port["name"]!);
        Assert.Null(port["security_groups"]);

        Assert.Equal(0, InProcessCli.Run(api, ["port", "set", "p1", "--no-security-group", "--disable-port-security"]).ExitCode);
        port = Sent(api, "PUT")["port"]!;
        Assert.Empty(port["security_groups"]!.AsArray());
        Assert.False((bool)port["port_security_enabled"]!);
        Assert.Null(port["fixed_ips"]);
    }

    [Fact]
    public void PortUnset_RemovesNamedEntries_AndRefusesOnesThePortLacks()
    {
        var api = Api();
        Assert.Equal(0, InProcessCli.Run(api, ["port", "unset", "p1", "--security-group", "web", "--device"]).ExitCode);
        var port = Sent(api, "PUT")["port"]!;
        Assert.Empty(port["security_groups"]!.AsArray());
        Assert.Empty(port["binding:profile"]!.AsObject());

        var missing = InProcessCli.Run(api, ["port", "unset", "p1", "--fixed-ip", "ip-address=198.18.0.99"]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("vswitchctl: port p1 has no fixed IP 198.18.0.99\n", missing.Stderr);
    }

    [Fact]
    public void PortSet_WithNothingToChange_SendsNoUpdate()
    {
        var api = Api();
        Assert.Equal(0, InProcessCli.Run(api, ["port", "set", "p1"]).ExitCode);
        Assert.DoesNotContain(api.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public void RuleCreate_MapsOpenStackFlags()
    {
        var api = Api();
        Assert.Equal(0, InProcessCli.Run(api, ["security", "group", "rule", "create", "web", "--egress", "--protocol", "tcp", "--dst-port", "8000:8080",
            "--remote-ip", "2001:db8::/32", "--description", "alt http"]).ExitCode);
        var rule = Sent(api, "POST")["security_group_rule"]!;
        Assert.Equal(GroupId, (string)rule["security_group_id"]!);
        Assert.Equal(("egress", "IPv6", "tcp"), ((string)rule["direction"]!, (string)rule["ethertype"]!, (string)rule["protocol"]!));
        Assert.Equal((8000, 8080), ((int)rule["port_range_min"]!, (int)rule["port_range_max"]!));
        Assert.Equal("2001:db8::/32", (string)rule["remote_ip_prefix"]!);

        Assert.Equal(0, InProcessCli.Run(api, ["security", "group", "rule", "create", "web", "--protocol", "icmp", "--icmp-type", "8", "--icmp-code", "0"]).ExitCode);
        rule = Sent(api, "POST")["security_group_rule"]!;
        Assert.Equal(("ingress", "IPv4", 8, 0), ((string)rule["direction"]!, (string)rule["ethertype"]!, (int)rule["port_range_min"]!, (int)rule["port_range_max"]!));

        Assert.Equal(0, InProcessCli.Run(api, ["security", "group", "rule", "create", "web", "--protocol", "any", "--remote-group", "web"]).ExitCode);
        rule = Sent(api, "POST")["security_group_rule"]!;
        Assert.Null(rule["protocol"]);
        Assert.Equal(GroupId, (string)rule["remote_group_id"]!);
    }

    [Theory]
    [InlineData("network create n --bogus")]
    [InlineData("port create p")]
    [InlineData("port frobnicate")]
    [InlineData("")]
    [InlineData("network list -f yaml")]
    [InlineData("network list -c NoSuchColumn")]
    [InlineData("port set p1 --enable --disable")]
    [InlineData("port create p --network net1 --fixed-ip colour=x")]
    [InlineData("port create p --network net1 --allowed-address mac-address=fa:16:3e:00:00:01")]
    [InlineData("security group create g --stateful --stateless")]
    [InlineData("security group rule create web --remote-ip 198.18.0.0/15 --remote-group web")]
    [InlineData("security group rule create web --dst-port 80-90")]
    [InlineData("security group rule create web --dst-port 80 --icmp-type 8")]
    [InlineData("security group rule create web --icmp-code 0")]
    [InlineData("security group rule create web --ethertype IPv5")]
    [InlineData("flow list --limit 0")]
    [InlineData("flow list --active-within 0")]
    [InlineData("flow list --active-within 86401")]
    [InlineData("trace --port p1")]
    [InlineData("capture")]
    [InlineData("capture --port p1 --count 0")]
    [InlineData("capture --port p1 --direction sideways")]
    [InlineData("capture --port p1 --snaplen 10")]
    [InlineData("capture --port p1 --duration 0")]
    [InlineData("capture --port p1 -V -w x.pcapng")]
    [InlineData("console --bogus")]
    [InlineData("router set r1 --disable-snat")]
    public void UsageErrors_ExitTwoWithOneLine(string args)
    {
        var r = InProcessCli.Run(Api(), args.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, r.ExitCode);
        Assert.Matches("^vswitchctl: [^\n]+\n$", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Console_WithoutATerminal_ExitOneWithOneLine()
    {
        // The test host's standard streams are not a terminal: the console refuses to take the screen, or the fake
        // API refuses the stats it reads first; either way one line and exit 1, nothing drawn.
        var r = InProcessCli.Run(Api(), ["console"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Matches("^vswitchctl: [^\n]+\n$", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Theory]
    [InlineData("port show nope", "vswitchctl: No port found for nope")]
    [InlineData("security group show dup", "vswitchctl: More than one security group exists with the name 'dup'")]
    [InlineData("security group delete none", "vswitchctl: No security group found for none")]
    [InlineData("stats", "vswitchctl: The resource could not be found.")]
    public void RequestFailures_ExitOneWithTheMessage(string args, string message)
    {
        var api = Api().On("GET", "/v2.0/ports?name=nope", """{"ports": []}""");
        var r = InProcessCli.Run(api, args.Split(' '));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(message + "\n", r.Stderr);
    }

    [Fact]
    public void ApiError_ShowsTheNeutronMessage()
    {
        var api = Api().On("POST", "/v2.0/networks", """{"NeutronError": {"type": "HTTPBadRequest", "message": "Invalid input for name. Reason: too long.", "detail": ""}}""",
            System.Net.HttpStatusCode.BadRequest);
        var r = InProcessCli.Run(api, ["network", "create", "x"]);
        Assert.Equal((1, "vswitchctl: Invalid input for name. Reason: too long.\n"), (r.ExitCode, r.Stderr));
    }

    [Fact]
    public void Connection_EnvironmentGivesUrlAndToken_FlagsWin()
    {
        var api = Api().On("GET", "/v2.0/networks", """{"networks": []}""");
        var env = new Dictionary<string, string> { ["VSWITCH_URL"] = "http://127.0.0.1:9696", ["VSWITCH_TOKEN"] = "env-token" };
        Assert.Equal(0, InProcessCli.Run(api, ["network", "list"], env).ExitCode);
        Assert.Equal(("127.0.0.1:9696", "env-token"), (api.Requests[^1].Host, api.Requests[^1].Token));

        Assert.Equal(0, InProcessCli.Run(api, ["network", "list", "--url", "http://localhost:1234", "--token", "flag-token"], env).ExitCode);
        Assert.Equal(("localhost:1234", "flag-token"), (api.Requests[^1].Host, api.Requests[^1].Token));

        Assert.Equal(0, InProcessCli.Run(api, ["--socket", "/tmp/x.sock", "network", "list"], env).ExitCode);
        Assert.Equal(("vswitch", null), (api.Requests[^1].Host, api.Requests[^1].Token));

        Assert.Equal(2, InProcessCli.Run(api, ["network", "list", "--socket", "/tmp/x.sock", "--url", "http://h:1"]).ExitCode);
        Assert.Equal(2, InProcessCli.Run(api, ["network", "list", "--url", "ftp://h"]).ExitCode);
    }

    [Fact]
    public async Task UnreachableSocket_IsOneLineExitOne()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new CliApp(stdout, stderr, _ => null).RunAsync(["--socket", "/nonexistent/vswitch.sock", "network", "list"]);
        Assert.Equal(1, code);
        Assert.StartsWith("vswitchctl: cannot reach vswitchd at unix:/nonexistent/vswitch.sock: ", stderr.ToString());
        Assert.Single(stderr.ToString().TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Help_ExitsZero()
    {
        var r = InProcessCli.Run(Api(), ["port", "create", "--help"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--allowed-address", r.Stdout);
        Assert.Contains("--no-security-group", r.Stdout);
    }

    [Theory]
    [InlineData("80", 80, 80)]
    [InlineData("8000:8080", 8000, 8080)]
    public void PortRange_Parses(string text, int min, int max) => Assert.Equal(new PortRange(min, max), PortRange.Parse(text));

    [Fact]
    public void KeyValues_ParseAndCheckKeys()
    {
        var kv = KeyValues.Parse("--allowed-address", "ip-address=198.18.0.0/24,mac-address=fa:16:3e:00:00:01", ["ip-address", "mac-address"], ["ip-address"]);
        Assert.Equal("198.18.0.0/24", kv["ip-address"]);
        Assert.Equal("fa:16:3e:00:00:01", kv["mac-address"]);
        Assert.Equal("198.18.0.1", KeyValues.Parse("--fixed-ip", "198.18.0.1", ["ip-address"], ["ip-address"])["ip-address"]);
        Assert.Throws<UsageException>(() => KeyValues.Parse("--fixed-ip", "ip-address=", ["ip-address"], ["ip-address"]));
        Assert.Throws<UsageException>(() => KeyValues.Parse("--fixed-ip", "ip-address=a,ip-address=b", ["ip-address"], ["ip-address"]));
    }
}
