using System.Net;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;
using static VSwitch.Conntrack.Tests.FrameBuilder;

namespace VSwitch.Conntrack.Tests;

/// <summary>SNAT bindings (ConnTable.Nat.cs): inside endpoints of 10.0.0.0/24 leave from 198.18.0.2 toward 198.19.0.10.</summary>
public sealed class SnatBindingTests
{
    private const string Outside = "198.18.0.2";
    private const string Remote = "198.19.0.10";
    private static readonly int s_zone = ConnTable.NatZone(3);
    private static readonly uint s_outside = Ipv4(Outside);

    private static uint Ipv4(string address) => (uint)IPAddress.NetworkToHostOrder(BitConverter.ToInt32(IPAddress.Parse(address).GetAddressBytes()));

    private static SnatResult Snat(Harness h, byte[] frame, bool newConnection, out ushort port) =>
        h.Table.Snat(frame, FrameBuilder.Parse(frame), s_zone, s_outside, h.Now, newConnection, out port);

    [Fact]
    public void AConnection_KeepsItsPort_AndItsRepliesFindTheInsideEndpoint()
    {
        using var h = new Harness();
        Assert.Equal(SnatResult.Translated, Snat(h, Tcp("10.0.0.5", 40000, Remote, 443, TcpFlags.Syn, 100, 0), true, out var port));
        Assert.Equal(40000, port);
        Assert.Equal(1, h.Table.Count);
        var listed = h.Single();
        Assert.True(listed.IsSnatBinding);
        Assert.Equal((IpAddress128.FromIpv4(Ipv4("10.0.0.5")), (ushort)40000), listed.SnatInside);
        Assert.Equal(3, listed.NetworkIndex);

        var reply = h.Track(Tcp(Remote, 443, Outside, 40000, TcpFlags.Syn | TcpFlags.Ack, 900, 101), s_zone);
        Assert.Equal((ConnVerdict.Established, true), (reply.Verdict, reply.IsReply));
        Assert.Equal((Ipv4("10.0.0.5"), (ushort)40000), (reply.NatInsideAddress, reply.NatInsidePort));

        Assert.Equal(SnatResult.Translated, Snat(h, Tcp("10.0.0.5", 40000, Remote, 443, TcpFlags.Ack, 101, 901), false, out var again));
        Assert.Equal(40000, again);
        Assert.Equal(ConnState.TcpEstablished, h.Single().State);
    }

    [Fact]
    public void TwoInsideEndpoints_OnTheSamePort_GetDifferentPorts_AndEachReplyItsOwn()
    {
        using var h = new Harness();
        Snat(h, Udp("10.0.0.5", 5000, Remote, 53), true, out var first);
        Assert.Equal(SnatResult.Translated, Snat(h, Udp("10.0.0.6", 5000, Remote, 53), true, out var second));
        Assert.Equal(5000, first);
        Assert.NotEqual(first, second);
        Assert.InRange(second, 1024, 65535);
        // Toward another remote port the first candidate is free again.
        Assert.Equal(SnatResult.Translated, Snat(h, Udp("10.0.0.6", 5000, Remote, 54), true, out var other));
        Assert.Equal(5000, other);
        // Established traffic of the second finds its own binding again, not the first's.
        Assert.Equal(SnatResult.Translated, Snat(h, Udp("10.0.0.6", 5000, Remote, 53), false, out var repeat));
        Assert.Equal(second, repeat);

        var toSecond = h.Track(Udp(Remote, 53, Outside, second), s_zone);
        Assert.Equal((Ipv4("10.0.0.6"), (ushort)5000), (toSecond.NatInsideAddress, toSecond.NatInsidePort));
        var toFirst = h.Track(Udp(Remote, 53, Outside, first), s_zone);
        Assert.Equal(Ipv4("10.0.0.5"), toFirst.NatInsideAddress);
        Assert.Equal(ConnVerdict.New, h.Track(Udp(Remote, 53, Outside, 7777), s_zone).Verdict);
    }

    [Fact]
    public void EchoIdentifiers_AreTranslatedLikePorts()
    {
        using var h = new Harness();
        Snat(h, Echo("10.0.0.5", Remote, request: true, identifier: 77), true, out var first);
        Snat(h, Echo("10.0.0.6", Remote, request: true, identifier: 77), true, out var second);
        Assert.Equal(77, first);
        Assert.NotEqual(77, second);
        var reply = h.Track(Echo(Remote, Outside, request: false, identifier: second), s_zone);
        Assert.Equal((ConnVerdict.Established, Ipv4("10.0.0.6"), (ushort)77), (reply.Verdict, reply.NatInsideAddress, reply.NatInsidePort));
    }

    [Fact]
    public void AnErrorAboutATranslatedPacket_FindsTheBinding_BothWays()
    {
        using var h = new Harness();
        Snat(h, Udp("10.0.0.5", 5000, Remote, 53), true, out _);
        Snat(h, Udp("10.0.0.6", 5000, Remote, 53), true, out var second);
        // From outside: port unreachable quoting what 10.0.0.6 sent, as translated.
        var error = h.Track(IcmpError(Remote, Outside, 3, 3, Udp(Outside, second, Remote, 53)), s_zone);
        Assert.Equal((ConnVerdict.Related, true, Ipv4("10.0.0.6"), (ushort)5000), (error.Verdict, error.IsReply, error.NatInsideAddress, error.NatInsidePort));
        // From inside: 10.0.0.6 answers the remote's datagram (received translated) with an error; it gets the binding's port.
        var inward = IcmpError("10.0.0.6", Remote, 3, 3, Udp(Remote, 53, "10.0.0.6", 5000));
        Assert.Equal(SnatResult.Translated, Snat(h, inward, false, out var quoted));
        Assert.Equal(second, quoted);
        Assert.Equal(SnatResult.Invalid, Snat(h, IcmpError("10.0.0.7", Remote, 3, 3, Udp(Remote, 53, "10.0.0.7", 5000)), false, out _));
    }

    [Fact]
    public void APacketThatCannotStartAConnection_GetsNoBinding()
    {
        using var h = new Harness();
        Assert.Equal(SnatResult.Invalid, Snat(h, Tcp("10.0.0.5", 40000, Remote, 443, TcpFlags.Ack, 100, 5), false, out _));
        Assert.Equal(SnatResult.Invalid, Snat(h, Echo("10.0.0.5", Remote, request: false, identifier: 9), false, out _));
        Assert.Equal(0, h.Table.Count);
        // A packet of an untracked (stateless) port's flow creates its binding at the first free candidate.
        Assert.Equal(SnatResult.Translated, Snat(h, Udp("10.0.0.5", 5000, Remote, 53), false, out var port));
        Assert.Equal(5000, port);
    }

    [Fact]
    public void AnAddressOnlyProtocol_HasOneBindingPerRemote()
    {
        using var h = new Harness();
        Assert.Equal(SnatResult.Translated, Snat(h, Other("10.0.0.5", Remote, 47), true, out var port));
        Assert.Equal(0, port);
        Assert.Equal(SnatResult.Exhausted, Snat(h, Other("10.0.0.6", Remote, 47), true, out _));
        Assert.Equal(SnatResult.Translated, Snat(h, Other("10.0.0.6", "198.19.0.11", 47), true, out _));
    }

    [Fact]
    public void AClosedConnectionsBinding_IsTakenOverByTheNextSyn_AndExpiresWithItsState()
    {
        using var h = new Harness();
        var session = new TcpSession(client: "10.0.0.5", clientPort: 40000, server: Remote, serverPort: 443);
        Snat(h, session.Syn(), true, out _);
        h.Track(Tcp(Remote, 443, Outside, 40000, TcpFlags.Syn | TcpFlags.Ack, session.ServerIsn, session.ClientNext), s_zone);
        Assert.Equal(SnatResult.Translated, Snat(h, Tcp("10.0.0.5", 40000, Remote, 443, TcpFlags.Rst, session.ClientNext, 0), false, out _));
        Assert.Equal(ConnState.TcpClose, h.Single().State);
        Assert.Equal(SnatResult.Translated, Snat(h, Tcp("10.0.0.5", 40000, Remote, 443, TcpFlags.Syn, 77_000, 0), true, out var port));
        Assert.Equal((40000, ConnState.TcpSynSent), (port, h.Single().State));
        Assert.Equal(SnatResult.Translated, Snat(h, Tcp("10.0.0.6", 40000, Remote, 443, TcpFlags.Syn, 1, 0), true, out var taken));
        Assert.NotEqual(40000, taken);
        // Unanswered, the SYN_SENT binding expires after its timeout and gives its port back.
        h.Now += (long)ConnTimeouts.Default.TcpSynSent.TotalMilliseconds + 1;
        Assert.Equal(SnatResult.Translated, Snat(h, Tcp("10.0.0.7", 40000, Remote, 443, TcpFlags.Syn, 1, 0), true, out var reused));
        Assert.Equal(40000, reused);
    }
}
