using PacketDotNet;
using static VSwitch.Packets.Tests.FrameBuilder;

namespace VSwitch.Packets.Tests;

/// <summary>
/// The span parser against an independent decoder, PacketDotNet (the library the design names for packets off the fast
/// path): random well-formed frames of every kind the switch judges, each field the policy reads compared, plus every
/// frame of the golden captures.
/// </summary>
public sealed class PacketDotNetCrossCheckTests
{
    private static readonly byte[] s_l4 = [IpProtocol.Tcp, IpProtocol.Udp, IpProtocol.Icmp, IpProtocol.Sctp, 47];

    /// <summary>A random frame: IPv4 or IPv6, optionally VLAN-tagged, TCP/UDP/ICMP(v6)/SCTP/GRE with random fields.</summary>
    private static byte[] RandomFrame(Random rnd)
    {
        var ipv6 = rnd.Next(2) == 0;
        var protocol = s_l4[rnd.Next(s_l4.Length)];
        if (ipv6 && protocol == IpProtocol.Icmp)
        {
            protocol = IpProtocol.Icmpv6;
        }
        var ports = ((ushort)rnd.Next(1, 65536), (ushort)rnd.Next(1, 65536));
        var payload = new byte[rnd.Next(0, 64)];
        rnd.NextBytes(payload);
        var l4 = protocol switch
        {
            IpProtocol.Tcp => Tcp(ports.Item1, ports.Item2, (byte)rnd.Next(256), payload, sequence: (uint)rnd.Next(), window: (ushort)rnd.Next(65536)),
            IpProtocol.Udp => Udp(ports.Item1, ports.Item2, payload),
            IpProtocol.Sctp => Sctp(ports.Item1, ports.Item2),
            // Echo request or reply (other types carry a quote or options the parser checks: the golden captures cover them).
            IpProtocol.Icmp => Echo(rnd.Next(2) == 0 ? (byte)8 : (byte)0, (ushort)rnd.Next(65536)),
            IpProtocol.Icmpv6 => Echo(rnd.Next(2) == 0 ? (byte)128 : (byte)129, (ushort)rnd.Next(65536)),
            _ => payload,
        };
        var l3 = ipv6 ? Ipv6(protocol, l4, hopLimit: (byte)rnd.Next(1, 256)) : Ipv4(protocol, l4, ttl: (byte)rnd.Next(1, 256));
        var sourceOffset = ipv6 ? 8 : 12;
        var addressLength = ipv6 ? 16 : 4;
        rnd.NextBytes(l3.AsSpan(sourceOffset, 2 * addressLength));
        if (!ipv6)
        {
            l3[sourceOffset] = (byte)rnd.Next(1, 224); // unicast, so that the source is a valid host
        }
        var tags = rnd.Next(3) == 0 ? new[] { ((ushort)EtherType.Vlan, (ushort)rnd.Next(1, 4095)) } : [];
        var frame = Ethernet(ipv6 ? EtherType.Ipv6 : EtherType.Ipv4, l3, tags);
        rnd.NextBytes(frame.AsSpan(0, 12));
        frame[0] &= 0xFE;
        frame[6] &= 0xFE;
        return frame;
    }

    [Fact]
    public void RandomFrames_ParseToWhatPacketDotNetDecodes()
    {
        var rnd = new Random(20261203);
        for (var i = 0; i < 5000; i++)
        {
            var frame = RandomFrame(rnd);
            Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var parsed));
            AssertSame(frame, in parsed, $"frame {i}: {Convert.ToHexString(frame)}");
        }
    }

    [Fact]
    public void GoldenCaptures_ParseToWhatPacketDotNetDecodes()
    {
        var compared = 0;
        foreach (var frame in GoldenCaptures.AllFrames)
        {
            if (PacketParser.Parse(frame, out var parsed) == ParseError.None && parsed.IsIp && !parsed.IsLaterFragment)
            {
                AssertSame(frame, in parsed, Convert.ToHexString(frame));
                compared++;
            }
        }
        Assert.True(compared > 20, $"only {compared} golden frames compared");
    }

    /// <summary>Every field the policy and conntrack read, as PacketDotNet decodes it.</summary>
    private static void AssertSame(byte[] frame, in ParsedPacket parsed, string what)
    {
        var ethernet = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        Assert.True(Mac(ethernet.SourceHardwareAddress.GetAddressBytes()) == parsed.EthSource, what);
        Assert.True(Mac(ethernet.DestinationHardwareAddress.GetAddressBytes()) == parsed.EthDestination, what);
        var ip = ethernet.Extract<IPPacket>();
        Assert.True(ip is not null, what);
        Assert.Equal(IpAddress128.FromIPAddress(ip.SourceAddress), parsed.IpSource);
        Assert.Equal(IpAddress128.FromIPAddress(ip.DestinationAddress), parsed.IpDestination);
        Assert.True(parsed.IsIpv6 == (ip.Version == IPVersion.IPv6), what);
        Assert.True(ip.TimeToLive == parsed.Ttl, what);
        if (parsed.IsIpv6 && frame[parsed.L3Offset + 6] is 0 or 43 or 44 or 51 or 60)
        {
            // Extension headers: PacketDotNet does not report the upper-layer protocol the way the span parser walks to
            // it (the parser's golden tests check those frames against tshark).
            return;
        }
        Assert.True((byte)ip.Protocol == parsed.IpProtocol, what);
        switch (parsed.IpProtocol)
        {
            case IpProtocol.Tcp:
                var tcp = ethernet.Extract<TcpPacket>();
                Assert.True(tcp is not null && (tcp.SourcePort, tcp.DestinationPort) == (parsed.SourcePort, parsed.DestinationPort), what);
                Assert.True((byte)tcp.Flags == parsed.TcpFlags, what);
                break;
            case IpProtocol.Udp:
                var udp = ethernet.Extract<UdpPacket>();
                Assert.True(udp is not null && (udp.SourcePort, udp.DestinationPort) == (parsed.SourcePort, parsed.DestinationPort), what);
                break;
            case IpProtocol.Icmp:
                var icmp = ethernet.Extract<IcmpV4Packet>();
                Assert.True(icmp is not null && (ushort)icmp.TypeCode == (parsed.SourcePort << 8 | parsed.DestinationPort), what);
                break;
            case IpProtocol.Icmpv6:
                var icmp6 = ethernet.Extract<IcmpV6Packet>();
                Assert.True(icmp6 is not null && ((byte)icmp6.Type, icmp6.Code) == (parsed.SourcePort, parsed.DestinationPort), what);
                break;
        }
    }

    private static MacAddress Mac(byte[] six) => MacAddress.Read(six);
}
