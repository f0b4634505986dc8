using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Utils;
using VSwitch.Packets;

namespace VSwitch.Conntrack.Tests;

/// <summary>
/// Builds Ethernet frames for conntrack tests with PacketDotNet: IPv4 or IPv6 (by the address family), TCP with an
/// optional window-scale option, UDP, ICMP/ICMPv6 echo and errors quoting another frame's packet, other protocols,
/// fragments. Lengths and the IPv4, TCP and UDP checksums are PacketDotNet's; ICMP checksums are left zero (neither
/// the parser nor conntrack checks them).
/// </summary>
internal static class FrameBuilder
{
    private static readonly PhysicalAddress s_source = PhysicalAddress.Parse("02-00-00-00-00-01");
    private static readonly PhysicalAddress s_destination = PhysicalAddress.Parse("02-00-00-00-00-02");

    public static byte[] Tcp(string src, ushort sport, string dst, ushort dport, byte flags, uint seq, uint ack,
        ushort window = 65535, int payload = 0, byte? windowScale = null)
    {
        // PacketDotNet sizes a TCP header it makes at 20 bytes; one with an option is read from a header that says 24.
        var header = new byte[windowScale is null ? 20 : 24];
        header[12] = (byte)(header.Length / 4 << 4);
        var tcp = new TcpPacket(new ByteArraySegment(header))
        {
            SourcePort = sport,
            DestinationPort = dport,
            SequenceNumber = seq,
            AcknowledgmentNumber = ack,
            Flags = flags,
            WindowSize = window,
            PayloadData = new byte[payload],
        };
        if (windowScale is { } shift)
        {
            tcp.Options = [1, 3, 3, shift]; // NOP, window scale
        }
        return Frame(src, dst, ProtocolType.Tcp, tcp);
    }

    public static byte[] Udp(string src, ushort sport, string dst, ushort dport, int payload = 10) =>
        Frame(src, dst, ProtocolType.Udp, new UdpPacket(sport, dport) { PayloadData = new byte[payload] });

    /// <summary>An echo request or reply; ICMPv6 when the addresses are IPv6.</summary>
    public static byte[] Echo(string src, string dst, bool request, ushort identifier, ushort sequence = 1)
    {
        if (IsV6(src))
        {
            // PacketDotNet's ICMPv6 packet has no identifier and sequence fields: they follow its type, code and checksum.
            var message = new byte[8 + 16];
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), identifier);
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), sequence);
            return Frame(src, dst, ProtocolType.IcmpV6, Icmpv6((byte)(request ? 128 : 129), 0, message));
        }
        var icmp = new IcmpV4Packet(new ByteArraySegment(new byte[8 + 16]))
        {
            TypeCode = request ? IcmpV4TypeCode.EchoRequest : IcmpV4TypeCode.EchoReply,
            Id = identifier,
            Sequence = sequence,
        };
        return Frame(src, dst, ProtocolType.Icmp, icmp);
    }

    /// <summary>Any ICMP/ICMPv6 message with an 8-byte header and some zero payload.</summary>
    public static byte[] Icmp(string src, string dst, byte type, byte code, int payload = 16) =>
        IcmpMessage(src, dst, type, code, new byte[8 + payload]);

    /// <summary>
    /// An ICMP error from <paramref name="src"/> to <paramref name="dst"/> quoting the IP packet of
    /// <paramref name="offending"/> (a frame from this builder), truncated to its IP header + <paramref name="quotedL4"/> bytes.
    /// </summary>
    public static byte[] IcmpError(string src, string dst, byte type, byte code, byte[] offending, int quotedL4 = 8)
    {
        var inner = new EthernetPacket(new ByteArraySegment(offending)).PayloadPacket.Bytes;
        var innerHeader = IsV6(src) ? 40 : (inner[0] & 0x0F) * 4;
        var quote = inner.AsSpan(0, Math.Min(inner.Length, innerHeader + quotedL4));
        var message = new byte[8 + quote.Length];
        quote.CopyTo(message.AsSpan(8));
        return IcmpMessage(src, dst, type, code, message);
    }

    /// <summary>A packet of another IP protocol (e.g. 47, GRE) with a small payload.</summary>
    public static byte[] Other(string src, string dst, byte protocol, int payload = 20) =>
        Ip(src, dst, protocol, new byte[payload]);

    /// <summary>An IPv4 fragment: a later one (offset in 8-byte units above 0) or a first one with MF set.</summary>
    public static byte[] Ipv4Fragment(byte[] whole, int offsetUnits, bool moreFragments)
    {
        var frame = new EthernetPacket(new ByteArraySegment((byte[])whole.Clone()));
        var ip = (IPv4Packet)frame.PayloadPacket;
        ip.FragmentFlags = moreFragments ? 0x1 : 0;
        ip.FragmentOffset = offsetUnits;
        return frame.Bytes;
    }

    /// <summary>Wraps <paramref name="l4"/> (the bytes of any protocol) in an IPv4 or IPv6 header and an Ethernet header.</summary>
    public static byte[] Ip(string src, string dst, byte protocol, ReadOnlySpan<byte> l4)
    {
        var ip = IpPacket(src, dst, (ProtocolType)protocol);
        ip.PayloadData = l4.ToArray();
        return Ethernet(ip);
    }

    public static ParsedPacket Parse(byte[] frame)
    {
        var error = PacketParser.Parse(frame, out var packet);
        Assert.Equal(ParseError.None, error);
        return packet;
    }

    private static byte[] IcmpMessage(string src, string dst, byte type, byte code, byte[] message)
    {
        if (IsV6(src))
        {
            return Frame(src, dst, ProtocolType.IcmpV6, Icmpv6(type, code, message));
        }
        var icmp = new IcmpV4Packet(new ByteArraySegment(message)) { TypeCode = (IcmpV4TypeCode)((type << 8) | code) };
        return Frame(src, dst, ProtocolType.Icmp, icmp);
    }

    private static IcmpV6Packet Icmpv6(byte type, byte code, byte[] message) =>
        new(new ByteArraySegment(message)) { Type = (IcmpV6Type)type, Code = code };

    private static byte[] Frame(string src, string dst, ProtocolType protocol, Packet l4)
    {
        var ip = IpPacket(src, dst, protocol);
        ip.PayloadPacket = l4;
        switch (l4)
        {
            case TcpPacket tcp:
                tcp.UpdateCalculatedValues();
                tcp.UpdateTcpChecksum();
                break;
            case UdpPacket udp:
                udp.UpdateCalculatedValues();
                udp.UpdateUdpChecksum();
                break;
        }
        return Ethernet(ip);
    }

    private static IPPacket IpPacket(string src, string dst, ProtocolType protocol)
    {
        IPPacket ip = IsV6(src)
            ? new IPv6Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { HopLimit = 64 }
            : new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { TimeToLive = 64 };
        ip.Protocol = protocol;
        return ip;
    }

    private static byte[] Ethernet(IPPacket ip)
    {
        ip.UpdateCalculatedValues();
        if (ip is IPv4Packet v4)
        {
            v4.UpdateIPChecksum();
        }
        var frame = new EthernetPacket(s_source, s_destination, ip is IPv6Packet ? EthernetType.IPv6 : EthernetType.IPv4) { PayloadPacket = ip };
        return frame.Bytes;
    }

    private static bool IsV6(string address) => address.Contains(':');
}
