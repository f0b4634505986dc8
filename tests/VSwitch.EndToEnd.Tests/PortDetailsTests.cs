using System.Text.Json.Nodes;

namespace VSwitch.EndToEnd.Tests;

/// <summary>What the API tells an operator about how each port runs (<c>binding:vif_details</c>), for real devices.</summary>
[Collection(LabCollection.Name)]
public sealed class PortDetailsTests
{
    [Fact]
    public void VifDetails_SayWhichIoPathAndRingEachPortUses()
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        var auto = lab.TapVm("a", "n1", 51);
        var syscalls = lab.TapVm("b", "n1", 52, options: "?io=syscalls");
        var ring = lab.AfPacketVm("c", "n1", 53, "?rx=v3");
        var daemon = lab.Start(2, auto, syscalls, ring);
        // The ports the details describe carry traffic: TAP on system calls to a TPACKET_V3 ring and back.
        Assert.True(Shell.Run(syscalls.Exec($"ping -c 2 -i 0.2 -W 2 {ring.Ipv4}"), TimeSpan.FromSeconds(10)).Ok, daemon.Log);

        var socket = Path.Combine(daemon.StateDir, "api.sock");
        var ports = JsonNode.Parse(Shell.Must($"curl -sf --unix-socket {socket} http://localhost/v2.0/ports"))!["ports"]!.AsArray();
        JsonObject Details(string name) => ports.Single(p => (string)p!["name"]! == name)!["binding:vif_details"]!.AsObject();

        var a = Details("a");
        Assert.Equal("2", (string)a["queues"]!);
        // io_uring where the kernel offers it; otherwise the fallback and its reason, never a silent downgrade.
        if ((string)a["io"]! == "uring")
        {
            Assert.False(a.ContainsKey("io_fallback"), a.ToJsonString());
        }
        else
        {
            Assert.Equal("syscalls", (string)a["io"]!);
            Assert.False(string.IsNullOrEmpty((string?)a["io_fallback"]), a.ToJsonString());
            Assert.Contains($"port a (tap:{auto.Interface}@{auto.Namespace}) runs on a fallback path", daemon.Log);
        }
        Assert.Equal("""{"io":"syscalls","queues":"2"}""", Details("b").ToJsonString());
        Assert.Equal("""{"queues":"2","rx":"v3"}""", Details("c").ToJsonString());
    }
}
