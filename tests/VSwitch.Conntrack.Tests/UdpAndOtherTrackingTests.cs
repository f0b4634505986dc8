using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

public sealed class UdpAndOtherTrackingTests
{
    private static readonly byte[] s_request = Udp("10.0.0.1", 5353, "10.0.0.2", 53);
    private static readonly byte[] s_reply = Udp("10.0.0.2", 53, "10.0.0.1", 5353);

    /// <summary>The request with 24 bytes of UDP, so that a first fragment of it carries a multiple of 8 bytes.</summary>
    private static readonly byte[] s_fragmentable = Udp("10.0.0.1", 5353, "10.0.0.2", 53, payload: 16);

    [Fact]
    public void Track_UdpRequestThenReply_BecomesReplied()
    {
        using var h = new Harness();
        h.Open(s_request);
        Assert.Equal(ConnState.UdpUnreplied, h.Single().State);
        Assert.False(h.Pass(s_request).IsReply);
        var reply = h.Pass(s_reply);
        Assert.True(reply.IsReply);
        Assert.Equal(ConnState.UdpReplied, reply.State);
        Assert.True(h.Single().Assured);
        Assert.Equal(2, h.Single().PacketsOriginal);
        Assert.Equal(1, h.Single().PacketsReply);
    }

    [Fact]
    public void Track_UdpUnreplied_ExpiresAfter30Seconds()
    {
        using var h = new Harness();
        var start = h.Now;
        h.Open(s_request);
        h.Now = start + 29_999;
        h.Pass(s_request);
        h.Now = start + 29_999 + 30_000;
        Assert.Equal(ConnVerdict.New, h.Track(s_request).Verdict);
        Assert.Equal(0, h.Table.Count);
        Assert.Equal(1, h.Table.ExpiredTotal);
    }

    [Fact]
    public void Track_UdpReplied_LivesFor120Seconds()
    {
        using var h = new Harness();
        var start = h.Now;
        h.Open(s_request);
        h.Now = start + 1_000;
        h.Pass(s_reply);
        h.Now = start + 1_000 + 119_999;
        h.Pass(s_request);
        h.Now += 120_000;
        Assert.Equal(ConnVerdict.New, h.Track(s_reply).Verdict);
    }

    [Fact]
    public void Track_ReplyWithoutEntry_IsNewInTheOtherDirection()
    {
        // For UDP any packet may start a connection; the policy decides.
        using var h = new Harness();
        Assert.Equal(ConnVerdict.New, h.Track(s_reply).Verdict);
    }

    [Fact]
    public void Track_InvalidPacketsDoNotRefreshTheEntry()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        var before = h.Single().LastSeenMs;
        h.Now += 5_000;
        var far = Tcp(s.Client, s.ClientPort, s.Server, s.ServerPort, VSwitch.Packets.TcpFlags.Ack, s.ClientNext + 50_000_000, s.ServerNext);
        Assert.Equal(ConnVerdict.Invalid, h.Track(far).Verdict);
        Assert.Equal(before, h.Single().LastSeenMs);
    }

    [Fact]
    public void Timeouts_Replaced_ApplyToExistingEntries()
    {
        using var h = new Harness();
        h.Open(s_request);
        h.Table.Timeouts = ConnTimeouts.Default with { UdpUnreplied = TimeSpan.FromSeconds(1) };
        h.Now += 1_000;
        Assert.Equal(ConnVerdict.New, h.Track(s_request).Verdict);
    }

    [Fact]
    public void Track_SameTupleInTwoZones_IsTwoConnections()
    {
        using var h = new Harness();
        h.Open(s_request, zone: 1);
        Assert.Equal(ConnVerdict.New, h.Track(s_request, zone: 2).Verdict);
        Assert.Equal(ConnVerdict.New, h.Track(s_reply, zone: 2).Verdict);
        h.Open(s_request, zone: 2);
        Assert.Equal(2, h.Table.Count);
        h.Pass(s_reply, zone: 1);
        Assert.Equal(ConnState.UdpReplied, h.Table.List(zone: 1).Single().State);
        Assert.Equal(ConnState.UdpUnreplied, h.Table.List(zone: 2).Single().State);
    }

    [Fact]
    public void Track_LaterFragment_IsUntracked()
    {
        using var h = new Harness();
        var later = Ipv4Fragment(s_request, offsetUnits: 100, moreFragments: false);
        Assert.Equal(ConnVerdict.Untracked, h.Track(later).Verdict);
        Assert.Equal(ConnCommitResult.Invalid, h.Commit(later));
    }

    [Fact]
    public void Track_LaterFragmentWithItsFirstFragmentsPorts_BelongsToTheConnection_ButNeverStartsOne()
    {
        using var h = new Harness();
        var later = Ipv4Fragment(s_fragmentable, offsetUnits: 100, moreFragments: false);
        var p = FrameBuilder.Parse(later);
        var first = FrameBuilder.Parse(s_fragmentable);
        p.SourcePort = first.SourcePort;
        p.DestinationPort = first.DestinationPort;
        p.Flags |= PacketFlags.HasL4 | PacketFlags.L4FromFirstFragment;

        // Without its connection: the rules decide (New), but a commit is refused.
        Assert.Equal(ConnVerdict.New, h.Table.Track(later, in p, 0, h.Now).Verdict);
        Assert.Equal(ConnCommitResult.Invalid, h.Table.Commit(later, in p, 0, h.Now, new ConnAdmission(1, 1, 2, 7), out _));
        Assert.Equal(0, h.Table.Count);

        // With it: Established in its direction, counted, and the reply's state is untouched.
        h.Open(Ipv4Fragment(s_fragmentable, offsetUnits: 0, moreFragments: true));
        var ct = h.Table.Track(later, in p, 0, h.Now);
        Assert.Equal(ConnVerdict.Established, ct.Verdict);
        Assert.False(ct.IsReply);
        Assert.Equal(ConnState.UdpUnreplied, h.Single().State);
        Assert.Equal(2, h.Single().PacketsOriginal);
    }

    [Fact]
    public void Track_FirstFragment_IsTracked()
    {
        using var h = new Harness();
        var first = Ipv4Fragment(s_fragmentable, offsetUnits: 0, moreFragments: true);
        h.Open(first);
        h.Pass(s_reply);
    }

    [Fact]
    public void Track_OtherProtocol_IsTrackedByAddressPair()
    {
        using var h = new Harness();
        var gre = Other("10.0.0.1", "10.0.0.2", 47);
        var greBack = Other("10.0.0.2", "10.0.0.1", 47);
        h.Open(gre);
        Assert.Equal(ConnState.OtherUnreplied, h.Single().State);
        Assert.Equal(ConnState.OtherReplied, h.Pass(greBack).State);
        Assert.Equal(ConnVerdict.New, h.Track(Other("10.0.0.1", "10.0.0.2", 50)).Verdict);
        // Generic timeout: 600 s.
        h.Now += 599_999;
        h.Pass(gre);
    }

    [Fact]
    public void Track_NonIpFrame_IsUntracked()
    {
        using var h = new Harness();
        var arp = new byte[60];
        arp[12] = 0x08;
        arp[13] = 0x06;
        arp[14] = 0;
        arp[15] = 1;
        arp[16] = 0x08;
        arp[17] = 0;
        arp[18] = 6;
        arp[19] = 4;
        Assert.Equal(ConnVerdict.Untracked, h.Track(arp).Verdict);
    }

    [Fact]
    public void Track_Ipv6Udp_Works()
    {
        using var h = new Harness();
        h.Open(Udp("2001:db8::1", 1000, "2001:db8::2", 2000));
        Assert.True(h.Pass(Udp("2001:db8::2", 2000, "2001:db8::1", 1000)).IsReply);
        // The IPv4-mapped form of an IPv6 connection's addresses is a different connection.
        Assert.Equal(ConnVerdict.New, h.Track(Udp("::ffff:10.0.0.1", 1000, "::ffff:10.0.0.2", 2000)).Verdict);
    }
}
