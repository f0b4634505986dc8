using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// The trace's words live apart from the pipeline (<see cref="TraceText.Render"/>): every coded event has its stage and
/// sentence, a dropping event reads "dropped" with its reason, and the sentences name ports and numbers.
/// </summary>
public sealed class TraceTextTests
{
    private static readonly string[] s_stages = ["parse", "dhcp", "nd", "port_security", "fragment", "conntrack", "egress", "l3", "l2", "ingress", "output"];

    private static string Name(int slot) => $"port{slot}";

    [Fact]
    public void EveryEvent_HasAStageAndASentence()
    {
        Assert.Equal(ParseError.None, PacketParser.Parse(Udp(Mac(1), Mac(2)), out var packet));
        foreach (var e in Enum.GetValues<TraceEvent>())
        {
            var step = TraceText.Render(new TraceRecord(e, null, 3, 5, 7, 9, (int)ConnVerdict.Established, packet), Name);
            Assert.Contains(step.Stage, s_stages);
            Assert.False(string.IsNullOrWhiteSpace(step.Detail), $"{e} has no sentence");
            Assert.Equal(e, step.Event);
        }
    }

    [Fact]
    public void ADrop_ReadsDroppedWithItsReason_AndNamesItsNumbers()
    {
        var step = TraceText.Render(new TraceRecord(TraceEvent.SenderConnectionLimit, DropReason.ConntrackFull, 2, -1, 100, 100, 0, default), Name);
        Assert.Equal(("egress", "dropped"), (step.Stage, step.Result));
        Assert.Equal("conntrack_full: port port2 already tracks 100 connections, its limit (conntrack_limit 100)", step.Detail);

        var rule = TraceText.Render(new TraceRecord(TraceEvent.IngressRule, null, 4, 17, 0, 0, 0, default), Name);
        Assert.Equal(("ingress", "allowed", "ingress rule slot 17 of port port4", 17), (rule.Stage, rule.Result, rule.Detail, rule.RuleSlot));

        var lookup = TraceText.Render(new TraceRecord(TraceEvent.ConntrackLookup, null, -1, -1, 3, 5,
            (int)ConnVerdict.Established | ((int)ConnState.TcpEstablished << 8) | (1 << 16), default), Name);
        Assert.Equal("established", lookup.Result);
        Assert.Equal("reply direction of a TcpEstablished connection admitted under policy generation 3 (its ports' policy last changed at 5)", lookup.Detail);
    }
}
