using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using VSwitch.Packets;

namespace VSwitch.Conntrack.Tests;

/// <summary>
/// Builds Ethernet frames for conntrack tests: IPv4 or IPv6 (by the address family), TCP with an optional
/// window-scale option, UDP, ICMP/ICMPv6 echo and errors quoting another frame's packet, other protocols, fragments.
/// Checksums are left zero (neither the parser nor conntrack checks them).
/// </summary>
internal static class FrameBuilder
{
    private static readonly MacAddress s_source = new(0x02_00_00_00_00_01UL);
    private static readonly MacAddress s_destination = new(0x02_00_00_00_00_02UL);

    public static byte[] Tcp(string src, ushort sport, string dst, ushort dport, byte flags, uint seq, uint ack,
        ushort window = 65535, int payload = 0, byte? windowScale = null)
    {
        var optionsSize = windowScale is null ? 0 : 4;
        var tcp = new byte[20 + optionsSize + payload];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), ack);
        tcp[12] = (byte)(((20 + optionsSize) / 4) << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), window);
        if (windowScale is { } shift)
        {
            tcp[20] = 1; // NOP
            tcp[21] = 3; // window scale
            tcp[22] = 3;
            tcp[23] = shift;
        }
        return Ip(src, dst, IpProtocol.Tcp, tcp);
    }

    public static byte[] Udp(string src, ushort sport, string dst, ushort dport, int payload = 10)
    {
        var udp = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        return Ip(src, dst, IpProtocol.Udp, udp);
    }

    /// <summary>An echo request or reply; ICMPv6 when the addresses are IPv6.</summary>
    public static byte[] Echo(string src, string dst, bool request, ushort identifier, ushort sequence = 1)
    {
        var v6 = IsV6(src);
        var icmp = new byte[8 + 16];
        icmp[0] = v6 ? (byte)(request ? 128 : 129) : (byte)(request ? 8 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), identifier);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), sequence);
        return Ip(src, dst, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, icmp);
    }

    /// <summary>Any ICMP/ICMPv6 message with an 8-byte header and some zero payload.</summary>
    public static byte[] Icmp(string src, string dst, byte type, byte code, int payload = 16)
    {
        var icmp = new byte[8 + payload];
        icmp[0] = type;
        icmp[1] = code;
        return Ip(src, dst, IsV6(src) ? IpProtocol.Icmpv6 : IpProtocol.Icmp, icmp);
    }

    /// <summary>
    /// An ICMP error from <paramref name="src"/> to <paramref name="dst"/> quoting the IP packet of
    /// <paramref name="offending"/> (a frame from this builder), truncated to its IP header + <paramref name="quotedL4"/> bytes.
    /// </summary>
    public static byte[] IcmpError(string src, string dst, byte type, byte code, byte[] offending, int quotedL4 = 8)
    {
        var inner = offending.AsSpan(14);
        var innerHeader = IsV6(src) ? 40 : (inner[0] & 0x0F) * 4;
        var quote = inner.Slice(0, Math.Min(inner.Length, innerHeader + quotedL4));
        var icmp = new byte[8 + quote.Length];
        icmp[0] = type;
        icmp[1] = code;
        quote.CopyTo(icmp.AsSpan(8));
        return Ip(src, dst, IsV6(src) ? IpProtocol.Icmpv6 : IpProtocol.Icmp, icmp);
    }

    /// <summary>A packet of another IP protocol (e.g. 47, GRE) with a small payload.</summary>
    public static byte[] Other(string src, string dst, byte protocol, int payload = 20) =>
        Ip(src, dst, protocol, new byte[payload]);

    /// <summary>An IPv4 fragment: a later one (offset in 8-byte units above 0) or a first one with MF set.</summary>
    public static byte[] Ipv4Fragment(byte[] whole, int offsetUnits, bool moreFragments)
    {
        var frame = (byte[])whole.Clone();
        var flagsOffset = (ushort)((moreFragments ? 0x2000 : 0) | (offsetUnits & 0x1FFF));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 6), flagsOffset);
        return frame;
    }

    /// <summary>Wraps <paramref name="l4"/> in an IPv4 or IPv6 header and an Ethernet header.</summary>
    public static byte[] Ip(string src, string dst, byte protocol, ReadOnlySpan<byte> l4)
    {
        var source = IPAddress.Parse(src);
        var destination = IPAddress.Parse(dst);
        var v6 = source.AddressFamily == AddressFamily.InterNetworkV6;
        var ipHeader = v6 ? 40 : 20;
        var frame = new byte[14 + ipHeader + l4.Length];
        s_destination.Write(frame);
        s_source.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), v6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var ip = frame.AsSpan(14);
        if (v6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)l4.Length);
            ip[6] = protocol;
            ip[7] = 64;
            source.TryWriteBytes(ip.Slice(8, 16), out _);
            destination.TryWriteBytes(ip.Slice(24, 16), out _);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(20 + l4.Length));
            ip[8] = 64;
            ip[9] = protocol;
            source.TryWriteBytes(ip.Slice(12, 4), out _);
            destination.TryWriteBytes(ip.Slice(16, 4), out _);
        }
        l4.CopyTo(ip.Slice(ipHeader));
        return frame;
    }

    public static ParsedPacket Parse(byte[] frame)
    {
        var error = PacketParser.Parse(frame, out var packet);
        Assert.Equal(ParseError.None, error);
        return packet;
    }

    private static bool IsV6(string address) => address.Contains(':');
}
