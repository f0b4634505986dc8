using System.Buffers.Binary;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;
using VSwitch.Packets.Dhcp;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// The worker's DHCP stage: a served port's DHCPv4 messages are answered on that port and never forwarded; a port the
/// switch does not serve still floods them, as before; a message with another client's MAC is not answered.
/// </summary>
public sealed class DhcpStageTests : IDisposable
{
    private static readonly DhcpV4Server s_server = new(0xC6124664, 24, 0xC6124601, new MacAddress(0x027673000001), 0xC6124601, [], 1500, 86400, []);

    private readonly Datapath _datapath = new(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 4, BufferSize = 2048 });
    private readonly InMemoryPort _a = new("memory:a");
    private readonly InMemoryPort _b = new("memory:b");
    private readonly PacketBatch _batch = new(2048);

    private void Publish(DhcpV4Server? dhcp)
    {
        var ports = new SwitchPort?[4];
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1)) { Dhcp = dhcp };
        ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2));
        _datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1])]));
        _datapath.Workers[0].SyncSnapshot();
    }

    /// <summary>A DISCOVER from <paramref name="client"/> (Ethernet source and chaddr).</summary>
    private static byte[] Discover(MacAddress client)
    {
        var bootp = new byte[244];
        bootp[0] = 1;
        bootp[1] = 1;
        bootp[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(bootp.AsSpan(4), 42);
        client.Write(bootp.AsSpan(28));
        BinaryPrimitives.WriteUInt32BigEndian(bootp.AsSpan(236), 0x63825363);
        bootp[240] = 53;
        bootp[241] = 1;
        bootp[242] = 1;
        bootp[243] = 255;
        var frame = Udp(client, MacAddress.Broadcast, payload: bootp.Length, srcPort: 68, dstPort: 67);
        bootp.CopyTo(frame, 42);
        return frame;
    }

    private void SendFromA(byte[] frame)
    {
        _batch.ResetForReceive();
        frame.CopyTo(_batch.Buffer(0));
        _batch[0].Length = frame.Length;
        _batch.Count = 1;
        var snapshot = _datapath.Publisher.Current;
        _datapath.Workers[0].ProcessBatch(snapshot, snapshot.Ports[0]!, _batch);
    }

    [Fact]
    public void AServedPortsDiscover_IsAnsweredOnThatPort_AndNotForwarded()
    {
        Publish(s_server);
        SendFromA(Discover(Mac(1)));
        Assert.True(_a.TryTake(out var reply, TimeSpan.FromSeconds(1)), "no reply on a");
        Assert.Equal(ParseError.None, PacketParser.Parse(reply, out var p));
        Assert.Equal((Mac(1), (ushort)67, (ushort)68), (p.EthDestination, p.SourcePort, p.DestinationPort));
        Assert.Equal(s_server.ClientAddress, BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(42 + 16)));
        Assert.Equal(0, _b.TransmittedCount);
        Assert.Equal(1, _datapath.Read(WorkerCounter.DhcpReplies));

        var trace = _datapath.Trace(0, Discover(Mac(1)));
        Assert.Contains(trace.Steps, s => s.Stage == "dhcp" && s.Result == "offer" && s.Detail.Contains("198.18.70.100", StringComparison.Ordinal));
        Assert.Empty(trace.DeliveredTo);

        // Another client's MAC in the request: not answered, not forwarded either.
        SendFromA(Discover(Mac(9)));
        Assert.Equal(1, _datapath.Read(WorkerCounter.DhcpIgnored));
        Assert.Equal(0, _b.TransmittedCount);
    }

    [Fact]
    public void APortTheSwitchDoesNotServe_FloodsItsDiscover_AsBefore()
    {
        Publish(dhcp: null);
        SendFromA(Discover(Mac(1)));
        Assert.Equal(1, _b.TransmittedCount);
        Assert.Equal(0, _datapath.Read(WorkerCounter.DhcpReplies));
    }

    [Fact]
    public void ARouterSolicitation_IsAnsweredWithAnAdvertisement_OnThatPortOnly()
    {
        var ports = new SwitchPort?[4];
        var settings = new VSwitch.Packets.Ndp.RouterAdvertisementSettings(new MacAddress(0x027673000002), [(0x2001_0DB8_0070_0000UL, true)], false, false, true, 1500);
        ports[0] = new SwitchPort(0, "a", _a, 0, true, Mac(1)) { RouterAdvertisement = settings };
        ports[1] = new SwitchPort(1, "b", _b, 0, true, Mac(2));
        _datapath.Publish(new DataplaneSnapshot(1, ports, [new NetworkSegment(0, "n", [0, 1])]));
        _datapath.Workers[0].SyncSnapshot();

        // A router solicitation from a's link-local address to all routers (ff02::2).
        var rs = new byte[14 + 40 + 8];
        new MacAddress(0x333300000002).Write(rs);
        Mac(1).Write(rs.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(rs.AsSpan(12), EtherType.Ipv6);
        rs[14] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(rs.AsSpan(18), 8);
        rs[20] = IpProtocol.Icmpv6;
        rs[21] = 255;
        BinaryPrimitives.WriteUInt64BigEndian(rs.AsSpan(22), 0xFE80_0000_0000_0000UL);
        BinaryPrimitives.WriteUInt64BigEndian(rs.AsSpan(30), 0x0000_00FF_FE00_0001UL);
        BinaryPrimitives.WriteUInt64BigEndian(rs.AsSpan(38), 0xFF02_0000_0000_0000UL);
        BinaryPrimitives.WriteUInt64BigEndian(rs.AsSpan(46), 2);
        rs[54] = 133;
        SendFromA(rs);

        Assert.True(_a.TryTake(out var ra, TimeSpan.FromSeconds(1)), "no advertisement on a");
        Assert.Equal(ParseError.None, PacketParser.Parse(ra, out var p));
        Assert.Equal((ushort)134, p.SourcePort);
        Assert.Equal(0, _b.TransmittedCount);
        Assert.Equal(1, _datapath.Read(WorkerCounter.RouterAdvertisements));
        Assert.Contains(_datapath.Trace(0, rs).Steps, s => s.Stage == "nd" && s.Result == "advertised");
    }

    public void Dispose()
    {
        _batch.Dispose();
        _a.Dispose();
        _b.Dispose();
        _datapath.Dispose();
    }
}
