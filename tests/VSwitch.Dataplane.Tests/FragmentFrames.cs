using System.Buffers.Binary;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// Builds whole IP datagrams and cuts them into fragments the way a sending kernel does (RFC 791 and RFC 8200):
/// the first fragment carries the L4 header, each fragment but the last carries a multiple of 8 bytes.
/// </summary>
internal static class FragmentFrames
{
    /// <summary>A UDP datagram of <paramref name="payload"/> bytes as an IP packet (no Ethernet header).</summary>
    public static byte[] UdpDatagram(bool ipv6, IpAddress128 from, IpAddress128 to, ushort srcPort, ushort dstPort, int payload)
    {
        var udp = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(udp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        for (var i = 8; i < udp.Length; i++)
        {
            udp[i] = (byte)i;
        }
        return ipv6 ? Ipv6(IpProtocol.Udp, from, to, udp) : Ipv4(IpProtocol.Udp, from, to, udp);
    }

    /// <summary>An ICMP (or ICMPv6) echo request or reply of <paramref name="payload"/> bytes.</summary>
    public static byte[] Echo(bool ipv6, bool request, IpAddress128 from, IpAddress128 to, ushort identifier, int payload)
    {
        var icmp = new byte[8 + payload];
        icmp[0] = ipv6 ? (byte)(request ? 128 : 129) : (byte)(request ? 8 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), identifier);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), 1);
        return ipv6 ? Ipv6(IpProtocol.Icmpv6, from, to, icmp) : Ipv4(IpProtocol.Icmp, from, to, icmp);
    }

    /// <summary>
    /// Cuts <paramref name="packet"/> into Ethernet frames with at most <paramref name="dataPerFragment"/> bytes of
    /// fragment data each (rounded down to a multiple of 8), identification <paramref name="id"/>.
    /// </summary>
    public static List<byte[]> Fragment(byte[] packet, MacAddress src, MacAddress dst, int dataPerFragment, uint id)
    {
        var ipv6 = packet[0] >> 4 == 6;
        var headerSize = ipv6 ? 40 : (packet[0] & 0x0F) * 4;
        var data = packet.AsSpan(headerSize);
        var step = dataPerFragment & ~7;
        var frames = new List<byte[]>();
        for (var offset = 0; offset < data.Length; offset += step)
        {
            var length = Math.Min(step, data.Length - offset);
            var more = offset + length < data.Length;
            frames.Add(FragmentFrame(packet, ipv6, headerSize, data.Slice(offset, length), offset, more, id, src, dst));
        }
        return frames;
    }

    /// <summary>One fragment frame of <paramref name="packet"/> with the given data, offset (bytes) and M flag.</summary>
    public static byte[] FragmentFrame(byte[] packet, bool ipv6, int headerSize, ReadOnlySpan<byte> data, int offset, bool more, uint id,
        MacAddress src, MacAddress dst)
    {
        var fragmentHeader = ipv6 ? 8 : 0;
        var frame = new byte[14 + headerSize + fragmentHeader + data.Length];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), ipv6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var ip = frame.AsSpan(14);
        packet.AsSpan(0, headerSize).CopyTo(ip);
        if (ipv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)(fragmentHeader + data.Length));
            var next = ip[6];
            ip[6] = IpProtocol.Ipv6Fragment;
            var fh = ip.Slice(40);
            fh[0] = next;
            BinaryPrimitives.WriteUInt16BigEndian(fh.Slice(2), (ushort)(offset | (more ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(fh.Slice(4), id);
            data.CopyTo(fh.Slice(8));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(headerSize + data.Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)id);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(6), (ushort)((offset >> 3) | (more ? 0x2000 : 0)));
            data.CopyTo(ip.Slice(headerSize));
        }
        return frame;
    }

    private static byte[] Ipv4(byte protocol, IpAddress128 from, IpAddress128 to, byte[] l4)
    {
        var packet = new byte[20 + l4.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12), from.Ipv4);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(16), to.Ipv4);
        l4.CopyTo(packet, 20);
        return packet;
    }

    private static byte[] Ipv6(byte next, IpAddress128 from, IpAddress128 to, byte[] l4)
    {
        var packet = new byte[40 + l4.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)l4.Length);
        packet[6] = next;
        packet[7] = 64;
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(8), from.High);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(16), from.Low);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(24), to.High);
        BinaryPrimitives.WriteUInt64BigEndian(packet.AsSpan(32), to.Low);
        l4.CopyTo(packet, 40);
        return packet;
    }
}
