using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

public sealed class TcpTrackingTests
{
    [Fact]
    public void Track_HandshakeDataAndFinFin_WalksTheStates()
    {
        using var h = new Harness();
        var s = new TcpSession();

        var handle = h.Open(s.Syn(), inPort: 3, outPort: 4, rule: 9, generation: 5);
        Assert.Equal(ConnState.TcpSynSent, h.Single().State);

        var synAck = h.Pass(s.SynAck());
        Assert.True(synAck.IsReply);
        Assert.Equal(ConnState.TcpSynRecv, synAck.State);
        Assert.Equal(handle, synAck.Handle);
        Assert.Equal(3, synAck.OrigInPort);
        Assert.Equal(4, synAck.OrigOutPort);
        Assert.Equal(9, synAck.RuleSlot);
        Assert.Equal(5, synAck.AdmittedGeneration);
        Assert.False(h.Single().Assured);

        var ack = h.Pass(s.FromClient());
        Assert.False(ack.IsReply);
        Assert.Equal(ConnState.TcpEstablished, ack.State);
        Assert.True(h.Single().Assured);

        h.Pass(s.FromClient(TcpFlags.Ack | TcpFlags.Psh, payload: 1000));
        h.Pass(s.FromServer(TcpFlags.Ack | TcpFlags.Psh, payload: 3000));
        h.Pass(s.FromClient());

        Assert.Equal(ConnState.TcpFinWait, h.Pass(s.FromClient(TcpFlags.Fin | TcpFlags.Ack)).State);
        Assert.Equal(ConnState.TcpCloseWait, h.Pass(s.FromServer()).State);
        Assert.Equal(ConnState.TcpLastAck, h.Pass(s.FromServer(TcpFlags.Fin | TcpFlags.Ack)).State);
        Assert.Equal(ConnState.TcpTimeWait, h.Pass(s.FromClient()).State);

        var info = h.Single();
        Assert.Equal(6, info.PacketsOriginal);
        Assert.Equal(4, info.PacketsReply);
        Assert.Equal(IpAddress128.FromIPAddress(System.Net.IPAddress.Parse("10.0.0.1")), info.Source);
        Assert.Equal(40000, info.SourcePort);
        Assert.Equal(80, info.DestinationPort);
        Assert.Equal("TIME_WAIT", info.StateName);
    }

    [Fact]
    public void Track_SimultaneousFinFromBothSides_ReachesTimeWait()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        // The server's FIN also acknowledges the client's FIN.
        Assert.Equal(ConnState.TcpFinWait, h.Pass(s.FromClient(TcpFlags.Fin | TcpFlags.Ack)).State);
        Assert.Equal(ConnState.TcpLastAck, h.Pass(s.FromServer(TcpFlags.Fin | TcpFlags.Ack)).State);
        Assert.Equal(ConnState.TcpTimeWait, h.Pass(s.FromClient()).State);
    }

    [Fact]
    public void Track_InitiatorWithHigherAddress_StillReportsOriginalDirection()
    {
        using var h = new Harness();
        var s = new TcpSession(client: "10.0.0.9", clientPort: 50000, server: "10.0.0.2", serverPort: 22);
        h.Open(s.Syn());
        Assert.True(h.Pass(s.SynAck()).IsReply);
        Assert.False(h.Pass(s.FromClient()).IsReply);
        var info = h.Single();
        Assert.Equal(IpAddress128.FromIPAddress(System.Net.IPAddress.Parse("10.0.0.9")), info.Source);
        Assert.Equal(50000, info.SourcePort);
        Assert.Equal(22, info.DestinationPort);
    }

    [Fact]
    public void Track_RstInWindow_ClosesAndIsAccepted()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        Assert.Equal(ConnState.TcpClose, h.Pass(s.FromServer(TcpFlags.Rst | TcpFlags.Ack)).State);
    }

    [Fact]
    public void Track_RstOutOfWindow_IsInvalidAndLeavesTheConnection()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        var blind = Tcp(s.Server, s.ServerPort, s.Client, s.ClientPort, TcpFlags.Rst, s.ServerNext + 100_000_000, 0);
        Assert.Equal(ConnVerdict.Invalid, h.Track(blind).Verdict);
        Assert.Equal(ConnState.TcpEstablished, h.Single().State);
        h.Pass(s.FromClient(TcpFlags.Ack | TcpFlags.Psh, payload: 10));
    }

    [Fact]
    public void Track_RstRefusingTheSyn_Closes()
    {
        using var h = new Harness();
        var s = new TcpSession();
        h.Open(s.Syn());
        var refusal = Tcp(s.Server, s.ServerPort, s.Client, s.ClientPort, TcpFlags.Rst | TcpFlags.Ack, 0, s.ClientIsn + 1);
        Assert.Equal(ConnState.TcpClose, h.Pass(refusal).State);
        Assert.False(h.Single().Assured);
    }

    [Fact]
    public void Track_RstWithWrongAckInSynSent_IsInvalid()
    {
        using var h = new Harness();
        var s = new TcpSession();
        h.Open(s.Syn());
        var blind = Tcp(s.Server, s.ServerPort, s.Client, s.ClientPort, TcpFlags.Rst | TcpFlags.Ack, 0, s.ClientIsn + 77);
        Assert.Equal(ConnVerdict.Invalid, h.Track(blind).Verdict);
        Assert.Equal(ConnState.TcpSynSent, h.Single().State);
    }

    [Fact]
    public void Track_SynAckAcknowledgingTheWrongSequence_IsInvalid()
    {
        using var h = new Harness();
        var s = new TcpSession();
        h.Open(s.Syn());
        var wrong = Tcp(s.Server, s.ServerPort, s.Client, s.ClientPort, TcpFlags.Syn | TcpFlags.Ack, s.ServerIsn, s.ClientIsn + 5);
        Assert.Equal(ConnVerdict.Invalid, h.Track(wrong).Verdict);
        Assert.Equal(ConnState.TcpSynSent, h.Single().State);
    }

    [Fact]
    public void Track_DataBeforeTheHandshakeCompletes_IsInvalid()
    {
        using var h = new Harness();
        var s = new TcpSession();
        h.Open(s.Syn());
        Assert.Equal(ConnVerdict.Invalid, h.Track(s.FromServer(TcpFlags.Ack, payload: 10)).Verdict);
    }

    [Fact]
    public void Track_RetransmittedSyn_IsEstablishedOnTheExistingEntry()
    {
        using var h = new Harness();
        var s = new TcpSession();
        var handle = h.Open(s.Syn());
        var again = h.Pass(s.Syn());
        Assert.Equal(handle, again.Handle);
        Assert.Equal(ConnCommitResult.Exists, h.Commit(s.Syn()));
        Assert.Equal(1, h.Table.Count);
    }

    [Theory]
    [InlineData(TcpFlags.Ack)]
    [InlineData(TcpFlags.Ack | TcpFlags.Psh)]
    [InlineData(TcpFlags.Rst)]
    [InlineData(TcpFlags.Rst | TcpFlags.Ack)]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack)]
    [InlineData(TcpFlags.Syn | TcpFlags.Ack)]
    [InlineData(TcpFlags.Syn | TcpFlags.Fin)]
    [InlineData(0)]
    public void Track_NonSynWithoutEntry_IsInvalid(byte flags)
    {
        using var h = new Harness();
        var frame = Tcp("10.0.0.1", 1234, "10.0.0.2", 80, flags, 1, 1);
        Assert.Equal(ConnVerdict.Invalid, h.Track(frame).Verdict);
        Assert.Equal(ConnCommitResult.Invalid, h.Commit(frame));
        Assert.Equal(0, h.Table.Count);
    }

    [Fact]
    public void Track_SynWithEceCwr_IsNew()
    {
        using var h = new Harness();
        var frame = Tcp("10.0.0.1", 1234, "10.0.0.2", 80, TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, 1, 0);
        Assert.Equal(ConnVerdict.New, h.Track(frame).Verdict);
    }

    [Fact]
    public void Track_SegmentFarBeyondTheWindow_IsInvalid()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        var far = Tcp(s.Client, s.ClientPort, s.Server, s.ServerPort, TcpFlags.Ack, s.ClientNext + 10_000_000, s.ServerNext, payload: 100);
        Assert.Equal(ConnVerdict.Invalid, h.Track(far).Verdict);
        var ancient = Tcp(s.Client, s.ClientPort, s.Server, s.ServerPort, TcpFlags.Ack, s.ClientNext - 10_000_000, s.ServerNext, payload: 100);
        Assert.Equal(ConnVerdict.Invalid, h.Track(ancient).Verdict);
        h.Pass(s.FromClient(payload: 100));
    }

    [Fact]
    public void Track_AckOfDataNeverSent_IsInvalid()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        var lie = Tcp(s.Client, s.ClientPort, s.Server, s.ServerPort, TcpFlags.Ack, s.ClientNext, s.ServerNext + 1);
        Assert.Equal(ConnVerdict.Invalid, h.Track(lie).Verdict);
        h.Pass(s.FromServer(payload: 1));
        h.Pass(lie);
    }

    [Fact]
    public void Track_RetransmissionAndDuplicateAck_AreAccepted()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        var seq = s.ClientNext;
        h.Pass(s.FromClient(TcpFlags.Ack | TcpFlags.Psh, payload: 1400));
        h.Pass(Tcp(s.Client, s.ClientPort, s.Server, s.ServerPort, TcpFlags.Ack | TcpFlags.Psh, seq, s.ServerNext, payload: 1400));
        h.Pass(s.FromServer());
        h.Pass(s.FromServer());
    }

    [Fact]
    public void Track_TimeWaitThenNewSyn_ReturnsNewAndReopens()
    {
        using var h = new Harness();
        var s = new TcpSession();
        var first = s.Handshake(h);
        h.Pass(s.FromClient(TcpFlags.Fin | TcpFlags.Ack));
        h.Pass(s.FromServer(TcpFlags.Fin | TcpFlags.Ack));
        h.Pass(s.FromClient());
        Assert.Equal(ConnState.TcpTimeWait, h.Single().State);

        var again = new TcpSession(clientIsn: s.ClientNext + 100_000);
        Assert.Equal(ConnVerdict.New, h.Track(again.Syn()).Verdict);
        Assert.Equal(0, h.Table.Count);
        Assert.False(h.Table.Remove(first));
        var second = again.Handshake(h);
        Assert.Equal(ConnState.TcpEstablished, h.Single().State);
        Assert.Equal(1, h.Single().PacketsReply);
        Assert.True(second.IsValid);
    }

    [Fact]
    public void Commit_SynOnAClosedEntry_ReplacesIt()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        h.Pass(s.FromServer(TcpFlags.Rst | TcpFlags.Ack));
        // Another worker may commit a reopening SYN without having tracked it first.
        var again = new TcpSession(clientIsn: 77);
        Assert.Equal(ConnCommitResult.Created, h.Commit(again.Syn()));
        Assert.Equal(ConnState.TcpSynSent, h.Single().State);
    }

    [Fact]
    public void Track_SynOnEstablished_IsInvalid()
    {
        using var h = new Harness();
        var s = new TcpSession();
        s.Handshake(h);
        Assert.Equal(ConnVerdict.Invalid, h.Track(new TcpSession(clientIsn: 999_999).Syn()).Verdict);
        Assert.Equal(ConnState.TcpEstablished, h.Single().State);
    }

    [Fact]
    public void Track_WindowScaleFromTheSynOptions_AllowsAScaledWindow()
    {
        // The server advertises 512 << 10 = 512 KiB; the client sends 8 GSO segments of 60,000 bytes without an ACK.
        using var h = new Harness();
        var s = new TcpSession(clientScale: 7, serverScale: 10);
        s.Handshake(h);
        h.Pass(s.FromServer(window: 512));
        for (var i = 0; i < 8; i++)
        {
            h.Pass(s.FromClient(TcpFlags.Ack, payload: 60_000));
        }
        // SYN with its window-scale option (44), the handshake ACK (40), the eight segments.
        Assert.Equal(44 + 40 + (8 * 60_040L), h.Single().BytesOriginal);
    }

    [Fact]
    public void Track_WithoutWindowScaling_TheSameBurstLeavesTheWindow()
    {
        using var h = new Harness();
        var s = new TcpSession(clientScale: 7, serverScale: null);
        s.Handshake(h);
        h.Pass(s.FromServer(window: 512));
        // The SYN-ACK's 65,535 bytes of window plus 64 KiB of slack admit segments starting below 131,072 bytes.
        h.Pass(s.FromClient(TcpFlags.Ack, payload: 60_000));
        h.Pass(s.FromClient(TcpFlags.Ack, payload: 60_000));
        h.Pass(s.FromClient(TcpFlags.Ack, payload: 60_000));
        Assert.Equal(ConnVerdict.Invalid, h.Track(s.FromClient(TcpFlags.Ack, payload: 60_000)).Verdict);
    }

    [Fact]
    public void Track_GsoSuperSegment_CountsTheIpLength()
    {
        using var h = new Harness();
        var s = new TcpSession(clientScale: 9, serverScale: 9);
        s.Handshake(h);
        var big = s.FromClient(TcpFlags.Ack | TcpFlags.Psh, payload: 65_000);
        h.Pass(big);
        // The server acknowledges all 65,000 bytes: valid only if the segment length came from the IP length.
        h.Pass(s.FromServer());
        Assert.Equal(44 + 40 + 65_040L, h.Single().BytesOriginal);
    }

    [Fact]
    public void Track_SequenceNumbersWrapping_AreFine()
    {
        using var h = new Harness();
        var s = new TcpSession(clientIsn: uint.MaxValue - 1000, serverIsn: uint.MaxValue - 10);
        s.Handshake(h);
        for (var i = 0; i < 5; i++)
        {
            h.Pass(s.FromClient(TcpFlags.Ack, payload: 1400));
            h.Pass(s.FromServer(TcpFlags.Ack, payload: 1400));
        }
        Assert.True(s.ClientNext < 10_000);
    }

    [Fact]
    public void Track_Ipv6Connection_Works()
    {
        using var h = new Harness();
        var s = new TcpSession(client: "2001:db8::1", server: "2001:db8::2", clientScale: 7, serverScale: 7);
        s.Handshake(h);
        h.Pass(s.FromServer(TcpFlags.Ack | TcpFlags.Psh, payload: 500));
        Assert.Equal(ConnState.TcpEstablished, h.Single().State);
    }

    [Fact]
    public void Commit_WithoutFrame_AssumesWindowScaling()
    {
        using var h = new Harness();
        var s = new TcpSession(clientScale: 7, serverScale: 7);
        var syn = s.Syn();
        var packet = Parse(syn);
        Assert.Equal(ConnCommitResult.Created, h.Table.Commit(packet, 0, h.Now, new ConnAdmission(1, 1, 2, 3)));
        h.Pass(s.SynAck());
        h.Pass(s.FromClient());
        h.Pass(s.FromServer(window: 1000));
        h.Pass(s.FromClient(TcpFlags.Ack, payload: 60_000));
        h.Pass(s.FromClient(TcpFlags.Ack, payload: 60_000));
    }
}
