using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

public sealed class IcmpTrackingTests
{
    [Theory]
    [InlineData("10.0.0.1", "10.0.0.2")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    public void Track_EchoByIdentifier_RequestOpensAndReplyIsEstablished(string a, string b)
    {
        using var h = new Harness();
        Assert.Equal(ConnVerdict.Invalid, h.Track(Echo(b, a, request: false, identifier: 7)).Verdict);
        h.Open(Echo(a, b, request: true, identifier: 7));
        Assert.Equal(ConnState.IcmpUnreplied, h.Single().State);
        var reply = h.Pass(Echo(b, a, request: false, identifier: 7, sequence: 1));
        Assert.True(reply.IsReply);
        Assert.Equal(ConnState.IcmpReplied, reply.State);
        h.Pass(Echo(a, b, request: true, identifier: 7, sequence: 2));
        // Another identifier is another connection.
        Assert.Equal(ConnVerdict.Invalid, h.Track(Echo(b, a, request: false, identifier: 8)).Verdict);
        Assert.Equal(ConnVerdict.New, h.Track(Echo(a, b, request: true, identifier: 8)).Verdict);
        var info = h.Single();
        Assert.Equal(7, info.SourcePort);
        Assert.Equal(7, info.DestinationPort);
        // ICMP timeout: 30 s.
        h.Now += 30_000;
        Assert.Equal(ConnVerdict.Invalid, h.Track(Echo(b, a, request: false, identifier: 7)).Verdict);
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.2", 13)]   // timestamp
    [InlineData("10.0.0.1", "10.0.0.2", 5)]    // redirect
    [InlineData("2001:db8::1", "2001:db8::2", 133)] // router solicitation
    [InlineData("2001:db8::1", "2001:db8::2", 134)] // router advertisement
    [InlineData("2001:db8::1", "2001:db8::2", 143)] // MLDv2 report
    public void Track_OtherIcmpTypes_AreUntracked(string a, string b, byte type)
    {
        using var h = new Harness();
        Assert.Equal(ConnVerdict.Untracked, h.Track(Icmp(a, b, type, 0)).Verdict);
    }

    [Fact]
    public void Track_PortUnreachableForATrackedUdpFlow_IsRelated()
    {
        using var h = new Harness();
        var request = Udp("10.0.0.1", 40000, "10.0.0.2", 53);
        var handle = h.Open(request, inPort: 5, outPort: 6, rule: 11);
        var unreachable = IcmpError("10.0.0.2", "10.0.0.1", 3, 3, request);
        var related = h.Track(unreachable);
        Assert.Equal(ConnVerdict.Related, related.Verdict);
        Assert.Equal(handle, related.Handle);
        Assert.True(related.IsReply);
        Assert.Equal(5, related.OrigInPort);
        Assert.Equal(6, related.OrigOutPort);
        Assert.Equal(11, related.RuleSlot);
        // Related packets do not count as the connection's traffic.
        Assert.Equal(0, h.Single().PacketsReply);
    }

    [Fact]
    public void Track_PortUnreachableForAnUntrackedFlow_IsInvalid()
    {
        using var h = new Harness();
        h.Open(Udp("10.0.0.1", 40000, "10.0.0.2", 53));
        var other = Udp("10.0.0.1", 40001, "10.0.0.2", 53);
        Assert.Equal(ConnVerdict.Invalid, h.Track(IcmpError("10.0.0.2", "10.0.0.1", 3, 3, other)).Verdict);
    }

    [Fact]
    public void Track_ErrorNotAddressedToTheQuotedSender_IsInvalid()
    {
        using var h = new Harness();
        var request = Udp("10.0.0.1", 40000, "10.0.0.2", 53);
        h.Open(request);
        Assert.Equal(ConnVerdict.Invalid, h.Track(IcmpError("10.0.0.2", "10.0.0.3", 3, 3, request)).Verdict);
    }

    [Fact]
    public void Track_TimeExceededFromARouter_IsRelatedInEitherDirection()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        var fromServer = s.FromServer(TcpFlags.Ack, payload: 100);
        h.Pass(fromServer);
        var exceeded = IcmpError("10.0.0.254", s.Server, 11, 0, fromServer);
        var related = h.Track(exceeded);
        Assert.Equal(ConnVerdict.Related, related.Verdict);
        Assert.False(related.IsReply);
    }

    [Fact]
    public void Track_Ipv6PacketTooBigForATrackedTcpFlow_IsRelated()
    {
        using var h = new Harness();
        var s = new TcpSession(client: "2001:db8::1", server: "2001:db8:1::2", clientScale: 7, serverScale: 7);
        var handle = s.Handshake(h);
        var big = s.FromClient(TcpFlags.Ack | TcpFlags.Psh, payload: 1400);
        h.Pass(big);
        var tooBig = IcmpError("2001:db8::fe", s.Client, 2, 0, big, quotedL4: 1232 - 40 - 8);
        var related = h.Track(tooBig);
        Assert.Equal(ConnVerdict.Related, related.Verdict);
        Assert.Equal(handle, related.Handle);
        Assert.True(related.IsReply);
    }

    [Fact]
    public void Track_FragmentationNeededForIpv4Tcp_IsRelated()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        var big = s.FromClient(TcpFlags.Ack, payload: 1460);
        h.Pass(big);
        Assert.Equal(ConnVerdict.Related, h.Track(IcmpError("10.0.0.254", s.Client, 3, 4, big)).Verdict);
    }

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.2", "10.0.0.254", 11)]
    [InlineData("2001:db8::1", "2001:db8::2", "2001:db8::fe", 3)]
    public void Track_TimeExceededQuotingAnEchoRequest_IsRelated(string a, string b, string router, byte type)
    {
        using var h = new Harness();
        var ping = Echo(a, b, request: true, identifier: 99);
        h.Open(ping);
        Assert.Equal(ConnVerdict.Related, h.Track(IcmpError(router, a, type, 0, ping)).Verdict);
        Assert.Equal(ConnVerdict.Invalid, h.Track(IcmpError(router, a, type, 0, Echo(a, b, request: true, identifier: 98))).Verdict);
    }

    [Fact]
    public void Track_ErrorAboutAnError_IsInvalid()
    {
        using var h = new Harness();
        var request = Udp("10.0.0.1", 40000, "10.0.0.2", 53);
        h.Open(request);
        var first = IcmpError("10.0.0.2", "10.0.0.1", 3, 3, request);
        Assert.Equal(ConnVerdict.Invalid, h.Track(IcmpError("10.0.0.1", "10.0.0.2", 3, 3, first)).Verdict);
    }

    [Fact]
    public void Track_TruncatedQuote_IsInvalid()
    {
        using var h = new Harness();
        var request = Udp("10.0.0.1", 40000, "10.0.0.2", 53);
        h.Open(request);
        Assert.Equal(ConnVerdict.Invalid, h.Track(IcmpError("10.0.0.2", "10.0.0.1", 3, 3, request, quotedL4: 2)).Verdict);
        Assert.Equal(ConnVerdict.Invalid, h.Track(Icmp("10.0.0.2", "10.0.0.1", 3, 3, payload: 10)).Verdict);
        Assert.Equal(ConnVerdict.Invalid, h.Track(Icmp("10.0.0.2", "10.0.0.1", 3, 3, payload: 0)).Verdict);
    }

    [Fact]
    public void Commit_EchoReplyOrError_IsRefused()
    {
        using var h = new Harness();
        Assert.Equal(ConnCommitResult.Invalid, h.Commit(Echo("10.0.0.2", "10.0.0.1", request: false, identifier: 1)));
        Assert.Equal(ConnCommitResult.Invalid, h.Commit(IcmpError("10.0.0.2", "10.0.0.1", 3, 3, Udp("10.0.0.1", 1, "10.0.0.2", 2))));
        Assert.Equal(0, h.Table.Count);
    }
}
