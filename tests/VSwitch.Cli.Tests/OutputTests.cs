using System.Text.Json.Nodes;
using VSwitch.Cli.Output;
using VSwitch.Cli.Tests.Infrastructure;

namespace VSwitch.Cli.Tests;

/// <summary>Table, JSON and value output of lists, single resources and the switch's stats, flows and traces.</summary>
public sealed class OutputTests
{
    private const string Networks = """
        {"networks": [
          {"id": "aaaaaaaa-0000-0000-0000-000000000001", "name": "front", "status": "ACTIVE", "admin_state_up": true, "mtu": 1500},
          {"id": "aaaaaaaa-0000-0000-0000-000000000002", "name": "back-office", "status": "DOWN", "admin_state_up": false, "mtu": 1500}]}
        """;

    private const string Stats = """
        {"port_stats": [
          {"port_id": "p-1", "name": "web", "status": "ACTIVE", "rx_packets": 10, "rx_bytes": 1000, "tx_packets": 5, "tx_bytes": 500, "rx_errors": 1, "rx_ring_drops": 6,
           "drops": {"ingress": {"security_group": 3, "spoofing": 0}, "egress": {"spoofing": 2}}},
          {"port_id": "p-2", "name": "db", "status": "DOWN", "rx_packets": 0, "rx_bytes": 0, "tx_packets": 0, "tx_bytes": 0,
           "drops": {"ingress": {}, "egress": {}}}],
         "conntrack": {"entries": 4, "max_entries": 65536, "created": 9, "early_drops": 0},
         "flow_cache": {"hits": 100, "misses": 7},
         "workers": [{"id": 0, "cpu": 1, "packets": 15, "busy_seconds": 0.25}]}
        """;

    private const string Flows = """
        {"flows": [{"zone": 1, "network_id": "n-1", "protocol": "tcp", "src": "198.18.0.1", "dst": "198.18.0.2", "src_port": 40000, "dst_port": 80,
          "state": "ESTABLISHED", "age_seconds": 12.5, "packets_orig": 3, "bytes_orig": 180, "packets_reply": 2, "bytes_reply": 120,
          "rule_id": "r-1", "security_group_id": "g-1", "in_port_id": "p-1", "out_port_id": "p-2"},
          {"zone": 1, "network_id": "n-1", "protocol": "icmpv6", "src": "2001:db8::1", "dst": "2001:db8::2", "src_port": null, "dst_port": null,
          "state": "NEW", "age_seconds": 1, "packets_orig": 1, "bytes_orig": 64, "packets_reply": 0, "bytes_reply": 0,
          "rule_id": null, "security_group_id": null, "in_port_id": "p-1", "out_port_id": null}]}
        """;

    private static FakeApi Api() => new FakeApi()
        .On("GET", "/v2.0/networks", Networks)
        .On("GET", "/v2.0/networks?name=front", """{"networks": [{"id": "aaaaaaaa-0000-0000-0000-000000000001", "name": "front", "status": "ACTIVE", "admin_state_up": true, "mtu": 1500, "description": ""}]}""")
        .On("GET", "/v2.0/ports?name=web", """{"ports": [{"id": "p-1", "name": "web", "network_id": "n-1"}]}""")
        .On("GET", "/v2.0/vswitch/stats", Stats)
        .On("GET", "/v2.0/vswitch/flows", Flows)
        .On("GET", "/v2.0/vswitch/flows?port_id=p-1&limit=5", Flows)
        .On("GET", "/v2.0/vswitch/flows?active_within=10", Flows)
        .On("GET", "/v2.0/vswitch/neighbors", """
            {"neighbors": [{"network_id": "aaaaaaaa-0000-0000-0000-000000000001", "ip_address": "198.18.89.1", "mac_address": "fa:16:3e:00:00:09", "age_seconds": 4.25},
                           {"network_id": "n-gone", "ip_address": "198.18.89.7", "mac_address": "fa:16:3e:00:00:0a", "age_seconds": 250}]}
            """)
        .On("POST", "/v2.0/vswitch/trace", """
            {"trace": {"verdict": "dropped", "reason": "no security group rule allows it",
             "steps": [{"stage": "parse", "result": "ok", "detail": "tcp 198.18.0.1:40000 > 198.18.0.2:22"},
                       {"stage": "security_group", "result": "drop", "detail": "ingress to web: no rule matches"}]}}
            """);

    [Fact]
    public void List_Table_IsAlignedWithHeaders()
    {
        var r = InProcessCli.Run(Api(), ["network", "list"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("""
            ID                                    Name         Status
            aaaaaaaa-0000-0000-0000-000000000001  front        ACTIVE
            aaaaaaaa-0000-0000-0000-000000000002  back-office  DOWN

            """.Replace("\r", ""), r.Stdout);
    }

    [Fact]
    public void List_JsonAndValue_WithChosenColumns()
    {
        var json = JsonNode.Parse(InProcessCli.Run(Api(), ["network", "list", "-f", "json", "-c", "name", "-c", "State"]).Stdout)!.AsArray();
        Assert.Equal(2, json.Count);
        Assert.Equal("back-office", (string)json[1]!["Name"]!);
        Assert.Equal("DOWN", (string)json[1]!["State"]!);
        Assert.Equal(2, json[0]!.AsObject().Count);

        Assert.Equal("front ACTIVE\nback-office DOWN\n", InProcessCli.Run(Api(), ["network", "list", "-f", "value", "-c", "Name", "-c", "status"]).Stdout);
    }

    [Fact]
    public void Show_TableJsonValue()
    {
        var table = InProcessCli.Run(Api(), ["network", "show", "front"]).Stdout;
        Assert.StartsWith("Field             Value\nid                aaaaaaaa-0000-0000-0000-000000000001\nname              front\n", table);
        Assert.Contains("mtu               1500\n", table);
        var json = JsonNode.Parse(InProcessCli.Run(Api(), ["network", "show", "front", "-f", "json"]).Stdout)!;
        Assert.Equal(1500, (int)json["mtu"]!);
        Assert.Equal("UP", (string)json["admin_state_up"]!);
        Assert.Equal("front\nACTIVE\n", InProcessCli.Run(Api(), ["network", "show", "front", "-f", "value", "-c", "name", "-c", "status"]).Stdout);
    }

    [Fact]
    public void PortShow_VifDetails_AsKeyValuesInTheTableAndAnObjectInJson()
    {
        const string ports = """
            {"ports": [{"id": "p-1", "name": "web", "network_id": "n-1", "status": "ACTIVE", "binding:profile": {"device": "tap:web0"},
              "binding:vif_details": {"io": "syscalls", "io_fallback": "io_uring_setup: EPERM", "port_filter": true, "queues": "2"}}]}
            """;
        var api = new FakeApi().On("GET", "/v2.0/ports?name=web", ports).On("GET", "/v2.0/ports", ports);
        var table = InProcessCli.Run(api, ["port", "show", "web"]).Stdout;
        // Values other than strings (other Neutron servers send booleans) are shown too.
        Assert.Contains("\nbinding_vif_details    io='syscalls', io_fallback='io_uring_setup: EPERM', port_filter='True', queues='2'\n", table);
        var json = JsonNode.Parse(InProcessCli.Run(api, ["port", "show", "web", "-f", "json"]).Stdout)!;
        Assert.Equal("syscalls", (string)json["binding_vif_details"]!["io"]!);
        Assert.Equal("2", (string)json["binding_vif_details"]!["queues"]!);
        Assert.True((bool)json["binding_vif_details"]!["port_filter"]!);
        // The list stays one line per port: the details are for show.
        var list = InProcessCli.Run(api, ["port", "list"]).Stdout;
        Assert.Contains("web", list);
        Assert.DoesNotContain("syscalls", list);
    }

    [Fact]
    public void TextTable_MultiLineCells_TakeSeveralLines()
    {
        var w = new StringWriter();
        TextTable.Write(w, ["Field", "Value"], [["fixed_ips", "198.18.0.1\n198.18.0.2"], ["name", "p"]]);
        Assert.Equal("Field      Value\nfixed_ips  198.18.0.1\n           198.18.0.2\nname       p\n", w.ToString());
    }

    [Fact]
    public void Renderer_TextOfValues()
    {
        Assert.Equal("", Renderer.Text(null, ", "));
        Assert.Equal("True", Renderer.Text(JsonValue.Create(true), ", "));
        Assert.Equal("a, b", Renderer.Text(new JsonArray("a", "b"), ", "));
        Assert.Equal("ip_address='198.18.0.0/24', mac_address='fa:16:3e:00:00:01'",
            Renderer.Text(new JsonObject { ["ip_address"] = "198.18.0.0/24", ["mac_address"] = "fa:16:3e:00:00:01" }, ", "));
    }

    [Fact]
    public void Stats_Table_HasPortsTotalsAndWorkers()
    {
        var r = InProcessCli.Run(Api(), ["stats"]);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.Equal("Port  Status  RX Packets  RX Bytes  TX Packets  TX Bytes  Dropped In  Dropped Out", lines[0]);
        Assert.Equal("web   ACTIVE  10          1000      5           500       3           2", lines[1]);
        Assert.Contains("conntrack_entries      4", r.Stdout);
        Assert.Contains("flow_cache_misses      7", r.Stdout);
        Assert.Contains("Worker  CPU  Packets  Busy (s)\n0       1    15       0.25\n", r.Stdout);
    }

    [Fact]
    public void Stats_OnePort_BreaksDropsDownByReason()
    {
        var json = JsonNode.Parse(InProcessCli.Run(Api(), ["stats", "--port", "web", "-f", "json"]).Stdout)!;
        Assert.Equal(3, (long)json["drops_ingress_security_group"]!);
        Assert.Equal(0, (long)json["drops_ingress_spoofing"]!);
        Assert.Equal(2, (long)json["drops_egress_spoofing"]!);
        Assert.Equal(10, (long)json["rx_packets"]!);
        Assert.Equal(1, (long)json["rx_errors"]!);
        Assert.Equal(6, (long)json["rx_ring_drops"]!);
    }

    [Fact]
    public void Stats_Json_IsTheApiDocument()
    {
        var json = JsonNode.Parse(InProcessCli.Run(Api(), ["stats", "-f", "json"]).Stdout)!;
        Assert.Equal(65536, (long)json["conntrack"]!["max_entries"]!);
        Assert.Equal(2, json["port_stats"]!.AsArray().Count);
    }

    [Fact]
    public void FlowList_ActiveWithin_IsPassed()
    {
        var api = Api();
        var r = InProcessCli.Run(api, ["flow", "list", "--active-within", "10"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("/v2.0/vswitch/flows?active_within=10", api.Requests[^1].PathAndQuery);
        Assert.Contains("198.18.0.1:40000", r.Stdout);
    }

    [Fact]
    public void FlowList_ShowsEndpointsAndCounters_AndPassesPortAndLimit()
    {
        var api = Api();
        var r = InProcessCli.Run(api, ["flow", "list", "--port", "web", "--limit", "5"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("/v2.0/vswitch/flows?port_id=p-1&limit=5", api.Requests[^1].PathAndQuery);
        var lines = r.Stdout.Split('\n');
        Assert.StartsWith("Zone  Protocol  Source", lines[0]);
        Assert.Contains("198.18.0.1:40000", lines[1]);
        Assert.Contains("3/2", lines[1]);
        Assert.Contains("2001:db8::1 ", lines[2]);
        var json = JsonNode.Parse(InProcessCli.Run(api, ["flow", "list", "-f", "json", "-c", "Destination", "-c", "Rule"]).Stdout)!.AsArray();
        Assert.Equal("198.18.0.2:80", (string)json[0]!["Destination"]!);
        Assert.Null(json[1]!["Rule"]);
    }

    [Fact]
    public void NeighborList_NamesTheNetwork_OrKeepsTheIdOfOneGone()
    {
        var r = InProcessCli.Run(Api(), ["neighbor", "list"]);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n');
        Assert.StartsWith("Network", lines[0]);
        Assert.Matches(@"^front\s+198\.18\.89\.1\s+fa:16:3e:00:00:09\s+4\.25", lines[1]);
        Assert.StartsWith("n-gone ", lines[2]);
        var json = JsonNode.Parse(InProcessCli.Run(Api(), ["neighbor", "list", "-f", "json", "-c", "network_id"]).Stdout)!.AsArray();
        Assert.Equal("n-gone", (string)json[1]!["Network ID"]!);
    }

    [Fact]
    public void Trace_SendsThePacketWords_AndPrintsVerdictAndSteps()
    {
        var api = Api();
        var r = InProcessCli.Run(api, ["trace", "--port", "web", "tcp", "198.18.0.1:40000", ">", "198.18.0.2:22", "syn"]);
        Assert.Equal(0, r.ExitCode);
        var body = JsonNode.Parse(api.Requests[^1].Body!)!;
        Assert.Equal(("p-1", "tcp 198.18.0.1:40000 > 198.18.0.2:22 syn"), ((string)body["port_id"]!, (string)body["packet"]!));
        Assert.StartsWith("Verdict: dropped\nReason:  no security group rule allows it\n\nStage", r.Stdout);
        Assert.Contains("security_group  drop    ingress to web: no rule matches", r.Stdout);
        Assert.Equal("dropped\nno security group rule allows it\n", InProcessCli.Run(api, ["trace", "--port", "web", "-f", "value", "tcp 198.18.0.1:1 > 198.18.0.2:22"]).Stdout);
    }
}
