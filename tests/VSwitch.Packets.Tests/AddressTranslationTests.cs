using PacketDotNet;
using VSwitch.Packets.Routing;
using static VSwitch.Packets.Tests.FrameBuilder;

namespace VSwitch.Packets.Tests;

/// <summary>
/// NAT's incremental checksum updates (AddressTranslation) against PacketDotNet's full recomputation: random TCP, UDP
/// and ICMP echo packets have an address and a port (or identifier) rewritten, and must still carry valid checksums.
/// </summary>
public sealed class AddressTranslationTests
{
    /// <summary>A random IPv4 TCP, UDP or ICMP echo frame with correct checksums (filled in by PacketDotNet).</summary>
    private static byte[] RandomFrame(Random rnd, byte protocol)
    {
        var payload = new byte[rnd.Next(0, 48)];
        rnd.NextBytes(payload);
        var ports = ((ushort)rnd.Next(1, 65536), (ushort)rnd.Next(1, 65536));
        var l4 = protocol switch
        {
            IpProtocol.Tcp => Tcp(ports.Item1, ports.Item2, TcpFlags.Ack, payload, sequence: (uint)rnd.Next()),
            IpProtocol.Udp => Udp(ports.Item1, ports.Item2, payload),
            _ => Echo(rnd.Next(2) == 0 ? (byte)8 : (byte)0, (ushort)rnd.Next(65536)),
        };
        var l3 = Ipv4(protocol, l4);
        rnd.NextBytes(l3.AsSpan(12, 8));
        var frame = Ethernet(EtherType.Ipv4, l3);
        var decoded = Decode(frame);
        switch (decoded.Transport)
        {
            case TcpPacket tcp:
                tcp.UpdateTcpChecksum();
                break;
            case UdpPacket udp:
                udp.UpdateUdpChecksum();
                break;
        }
        if (decoded.Ip.PayloadPacket is IcmpV4Packet icmp)
        {
            icmp.UpdateIcmpChecksum();
        }
        decoded.Ip.UpdateIPChecksum();
        return decoded.Ethernet.Bytes;
    }

    private static (EthernetPacket Ethernet, IPv4Packet Ip, TransportPacket? Transport) Decode(byte[] frame)
    {
        var ethernet = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        var ip = (IPv4Packet)ethernet.PayloadPacket;
        return (ethernet, ip, ip.PayloadPacket as TransportPacket);
    }

    private static void AssertValid(byte[] frame)
    {
        var (_, ip, transport) = Decode(frame);
        Assert.True(ip.ValidIPChecksum);
        switch (transport)
        {
            case TcpPacket tcp:
                Assert.True(tcp.ValidTcpChecksum);
                break;
            case UdpPacket udp:
                Assert.True(udp.Checksum == 0 || udp.ValidUdpChecksum);
                break;
        }
        if (ip.PayloadPacket is IcmpV4Packet icmp)
        {
            Assert.True(icmp.ValidIcmpChecksum);
        }
    }

    [Theory]
    [InlineData(IpProtocol.Tcp)]
    [InlineData(IpProtocol.Udp)]
    [InlineData(IpProtocol.Icmp)]
    public void RewrittenAddressesAndPorts_KeepValidChecksums(byte protocol)
    {
        var rnd = new Random(20261203 + protocol);
        for (var i = 0; i < 2000; i++)
        {
            var frame = RandomFrame(rnd, protocol);
            AssertValid(frame);
            Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var p));
            var address = (uint)rnd.Next() ^ ((uint)rnd.Next(2) << 31);
            var port = (ushort)rnd.Next(65536);
            var source = rnd.Next(2) == 0;
            if (source)
            {
                AddressTranslation.RewriteSource(frame, in p, address, partialChecksum: false);
                AddressTranslation.RewriteSourcePort(frame, in p, port, partialChecksum: false);
            }
            else
            {
                AddressTranslation.RewriteDestination(frame, in p, address, partialChecksum: false);
                AddressTranslation.RewriteDestinationPort(frame, in p, port, partialChecksum: false);
            }
            AssertValid(frame);
            var (_, ip, transport) = Decode(frame);
            Assert.Equal(address, (uint)System.Net.IPAddress.NetworkToHostOrder(BitConverter.ToInt32((source ? ip.SourceAddress : ip.DestinationAddress).GetAddressBytes())));
            var rewritten = transport switch
            {
                null => ((IcmpV4Packet)ip.PayloadPacket).Id,
                _ => source ? transport.SourcePort : transport.DestinationPort,
            };
            Assert.Equal(port, rewritten);
        }
    }

    [Fact]
    public void Update16_MatchesAFullRecomputation_ForEveryStartingValue()
    {
        var data = new byte[] { 0x12, 0x34, 0xAB, 0xCD, 0, 0 };
        for (var from = 0; from <= 0xFFFF; from += 7)
        {
            data[4] = (byte)(from >> 8);
            data[5] = (byte)from;
            var before = Offloads.InternetChecksum.Finish(Offloads.InternetChecksum.Add(data));
            var to = (ushort)((from * 40503) & 0xFFFF);
            data[4] = (byte)(to >> 8);
            data[5] = (byte)to;
            var after = Offloads.InternetChecksum.Finish(Offloads.InternetChecksum.Add(data));
            Assert.Equal(after, AddressTranslation.Update16(before, (ushort)from, to));
        }
    }
}
