using System.Buffers.Binary;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests.Fuzz;

/// <summary>
/// Frames for the pipeline fuzz test: random bytes, valid frames of every kind the parser knows, and mutations of them.
/// </summary>
/// <remarks>
/// Valid frames mostly use the sending port's own MAC and addresses (so that they get past port security and reach
/// policy, conntrack and output), are addressed to another port, a broadcast or an unknown MAC, and follow a few
/// conversations (TCP handshakes, echo, fragmented datagrams whose later fragments come later or first) so that the
/// stateful paths run, not only the first-packet ones.
/// </remarks>
internal sealed class FrameGenerator(Random random, uint[] ipv4, Func<int, IpAddress128> ipv6)
{
    private readonly List<(int Port, bool V6, byte Protocol, uint Id, int Dst, int Length)> _datagrams = [];

    public byte[] Next(int port)
    {
        var roll = random.Next(100);
        if (roll < 12)
        {
            var bytes = new byte[random.Next(0, 1600)];
            random.NextBytes(bytes);
            return bytes;
        }
        var frame = Valid(port);
        return roll < 35 ? Mutate(frame) : frame;
    }

    private byte[] Mutate(byte[] frame)
    {
        switch (random.Next(4))
        {
            case 0:
                return frame[..random.Next(0, frame.Length + 1)];
            case 1:
                var longer = new byte[frame.Length + random.Next(1, 64)];
                frame.CopyTo(longer, 0);
                random.NextBytes(longer.AsSpan(frame.Length));
                return longer;
            default:
                for (var i = random.Next(1, 5); i > 0 && frame.Length > 0; i--)
                {
                    // Headers are where parsers go wrong: aim most flips at the first 80 bytes.
                    var at = random.Next(2) == 0 ? random.Next(Math.Min(frame.Length, 80)) : random.Next(frame.Length);
                    frame[at] ^= (byte)random.Next(1, 256);
                }
                return frame;
        }
    }

    private byte[] Valid(int port)
    {
        var v6 = random.Next(2) == 0;
        var other = (port + random.Next(1, 3)) % 3;
        var own = random.Next(10) != 0;
        var src = own ? Mac(port + 1) : Mac(random.Next(4, 9));
        var dst = random.Next(10) switch { 0 => MacAddress.Broadcast, 1 => Mac(random.Next(4, 9)), _ => Mac(other + 1) };
        var srcIp = own ? port : random.Next(3, 6);
        switch (random.Next(12))
        {
            case 0:
                return Arp(src, dst, own ? ipv4[port] : (uint)random.Next(), ipv4[other], random.Next(2) == 0);
            case 1:
                return Nd(src, dst, port, other, random.Next(2) == 0);
            case 2:
            case 3:
                return Ip(v6, src, dst, srcIp, other, IpProtocol.Tcp, Tcp(random.Next(3) == 0 ? (ushort)80 : (ushort)random.Next(1, 65536)));
            case 4:
            case 5:
                return Ip(v6, src, dst, srcIp, other, IpProtocol.Udp, Udp((ushort)random.Next(1000, 2100), random.Next(0, 200)));
            case 6:
                return Ip(v6, src, dst, srcIp, other, v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, Icmp(v6));
            case 7:
                return Ip(v6, src, dst, srcIp, other, IpProtocol.Sctp, Udp((ushort)random.Next(1, 65536), 8));
            case 8:
                return Fragment(port, src, dst, other);
            case 9:
                return Tagged(Ip(v6, src, dst, srcIp, other, IpProtocol.Udp, Udp(1500, 8)));
            case 10:
                return Ip(v6, src, dst, srcIp, other, IpProtocol.Udp, Udp(1500, random.Next(1400, 1500)));
            default:
                return Ip(v6, src, dst, srcIp, other, (byte)random.Next(256), Udp(1, random.Next(0, 40)));
        }
    }

    private byte[] Tcp(ushort dport)
    {
        var tcp = new byte[20 + (random.Next(4) == 0 ? 4 : 0)];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)random.Next(1024, 1100));
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), (uint)random.Next(0, 3));
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), (uint)random.Next(0, 3));
        tcp[12] = (byte)((tcp.Length / 4) << 4);
        tcp[13] = random.Next(4) switch { 0 => TcpFlags.Syn, 1 => TcpFlags.Syn | TcpFlags.Ack, 2 => TcpFlags.Ack, _ => (byte)random.Next(256) };
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 65535);
        if (tcp.Length == 24)
        {
            tcp[20] = 3;
            tcp[21] = 3;
            tcp[22] = 7;
        }
        return tcp;
    }

    private byte[] Udp(ushort dport, int payload)
    {
        var udp = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)random.Next(1000, 1100));
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        return udp;
    }

    private byte[] Icmp(bool v6)
    {
        var icmp = new byte[8 + random.Next(0, 64)];
        icmp[0] = random.Next(3) switch
        {
            0 => v6 ? (byte)128 : (byte)8,
            1 => v6 ? (byte)129 : (byte)0,
            _ => (byte)random.Next(256),
        };
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), (ushort)random.Next(1, 4));
        return icmp;
    }

    /// <summary>A fragment: a new datagram's first fragment, or a later one of a datagram the port started recently.</summary>
    private byte[] Fragment(int port, MacAddress src, MacAddress dst, int other)
    {
        if (_datagrams.Count == 0 || random.Next(3) == 0)
        {
            var v6 = random.Next(2) == 0;
            var protocol = random.Next(3) switch { 0 => IpProtocol.Tcp, 1 => IpProtocol.Udp, _ => v6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp };
            var id = (uint)random.Next();
            var l4 = protocol == IpProtocol.Tcp ? Tcp(80) : protocol == IpProtocol.Udp ? Udp(1500, 16) : Icmp(v6);
            var length = (l4.Length + 7) & ~7;
            var first = new byte[length];
            l4.CopyTo(first, 0);
            _datagrams.Add((port, v6, protocol, id, other, length));
            if (_datagrams.Count > 64)
            {
                _datagrams.RemoveAt(0);
            }
            return Ip(v6, src, dst, port, other, protocol, first, (id, 0, true));
        }
        var d = _datagrams[random.Next(_datagrams.Count)];
        // Mostly after the first fragment's data; sometimes overlapping it.
        var offset = random.Next(5) == 0 ? random.Next(0, d.Length / 8 + 1) * 8 : d.Length + (random.Next(0, 4) * 8);
        var data = new byte[8 * random.Next(1, 6)];
        random.NextBytes(data);
        return Ip(d.V6, Mac(d.Port + 1), Mac(d.Dst + 1), d.Port, d.Dst, d.Protocol, data, (d.Id, offset, random.Next(2) == 0));
    }

    private byte[] Ip(bool v6, MacAddress src, MacAddress dst, int from, int to, byte protocol, byte[] l4, (uint Id, int Offset, bool More)? fragment = null)
    {
        var fragmentHeader = v6 && fragment is not null ? 8 : 0;
        var options = !v6 && random.Next(8) == 0 ? 4 : 0;
        var header = (v6 ? 40 : 20 + options) + fragmentHeader;
        var frame = new byte[14 + header + l4.Length];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), v6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var ip = frame.AsSpan(14);
        if (v6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)(fragmentHeader + l4.Length));
            ip[6] = fragmentHeader != 0 ? IpProtocol.Ipv6Fragment : protocol;
            ip[7] = 64;
            var s = from < 3 ? ipv6(from) : new IpAddress128(0x2001_0DB8_0000_0000UL, (ulong)random.Next(10, 1000));
            var d = ipv6(to);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(8), s.High);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(16), s.Low);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(24), d.High);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(32), d.Low);
            if (fragment is { } f)
            {
                ip[40] = protocol;
                BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(42), (ushort)(f.Offset | (f.More ? 1 : 0)));
                BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(44), f.Id);
            }
        }
        else
        {
            ip[0] = (byte)(0x40 | ((20 + options) / 4));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(20 + options + l4.Length));
            if (fragment is { } f)
            {
                BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)f.Id);
                BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(6), (ushort)((f.Offset >> 3) | (f.More ? 0x2000 : 0)));
            }
            ip[8] = 64;
            ip[9] = protocol;
            BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(12), from < 3 ? ipv4[from] : (uint)random.Next());
            BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(16), ipv4[to]);
            for (var o = 0; o < options; o++)
            {
                ip[20 + o] = 1;
            }
        }
        l4.CopyTo(ip.Slice(header));
        return frame;
    }

    private static byte[] Arp(MacAddress src, MacAddress dst, uint sender, uint target, bool request)
    {
        var arp = new byte[42];
        dst.Write(arp);
        src.Write(arp.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(12), EtherType.Arp);
        var a = arp.AsSpan(14);
        BinaryPrimitives.WriteUInt16BigEndian(a, 1);
        BinaryPrimitives.WriteUInt16BigEndian(a.Slice(2), EtherType.Ipv4);
        a[4] = 6;
        a[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(a.Slice(6), (ushort)(request ? 1 : 2));
        src.Write(a.Slice(8));
        BinaryPrimitives.WriteUInt32BigEndian(a.Slice(14), sender);
        BinaryPrimitives.WriteUInt32BigEndian(a.Slice(24), target);
        return arp;
    }

    private byte[] Nd(MacAddress src, MacAddress dst, int port, int other, bool solicitation)
    {
        var nd = new byte[32];
        nd[0] = solicitation ? (byte)135 : (byte)136;
        var target = solicitation ? ipv6(other) : ipv6(port);
        BinaryPrimitives.WriteUInt64BigEndian(nd.AsSpan(8), target.High);
        BinaryPrimitives.WriteUInt64BigEndian(nd.AsSpan(16), target.Low);
        nd[24] = solicitation ? (byte)1 : (byte)2;
        nd[25] = 1;
        src.Write(nd.AsSpan(26));
        return Ip(true, src, dst, port, other, IpProtocol.Icmpv6, nd);
    }

    private byte[] Tagged(byte[] frame)
    {
        var tags = random.Next(1, 3);
        var tagged = new byte[frame.Length + (4 * tags)];
        frame.AsSpan(0, 12).CopyTo(tagged);
        for (var t = 0; t < tags; t++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(12 + (4 * t)), t == 0 && tags == 2 ? EtherType.QinQ : EtherType.Vlan);
            BinaryPrimitives.WriteUInt16BigEndian(tagged.AsSpan(14 + (4 * t)), (ushort)random.Next(0, 4096));
        }
        frame.AsSpan(12).CopyTo(tagged.AsSpan(12 + (4 * tags)));
        return tagged;
    }
}
