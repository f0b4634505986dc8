using System.Buffers.Binary;
using VSwitch.Packets;

namespace VSwitch.Benchmarks;

/// <summary>Synthetic Ethernet/IPv4 frames: 64-byte UDP with distinct 5-tuples, as a packet generator would send, and TCP segments.</summary>
internal static class BenchmarkFrames
{
    public static MacAddress Mac(int n) => new(0x02_00_00_00_00_00UL | (uint)n);

    /// <summary>A 64-byte frame (60 without FCS) from <paramref name="src"/> to <paramref name="dst"/>, flow number <paramref name="flow"/>.</summary>
    public static byte[] Udp64(MacAddress src, MacAddress dst, int flow)
    {
        var frame = new byte[60];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Ipv4);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), 46);
        ip[8] = 64;
        ip[9] = IpProtocol.Udp;
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(12), 0xC612_0000u | (uint)(flow & 0xFFFF));
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(16), 0xC613_0001u);
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(20), (ushort)(1024 + (flow >> 16)));
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(22), 80);
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(24), 26);
        return frame;
    }

    /// <summary>A 60-byte IPv4/TCP segment (no options, no payload).</summary>
    public static byte[] Tcp(MacAddress src, MacAddress dst, uint from, uint to, ushort sport, ushort dport, byte flags, uint seq, uint ack)
    {
        var f = new byte[60];
        dst.Write(f);
        src.Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), EtherType.Ipv4);
        var ip = f.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), 40);
        ip[8] = 64;
        ip[9] = IpProtocol.Tcp;
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(12), from);
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(16), to);
        var tcp = ip.Slice(20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.Slice(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.Slice(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.Slice(8), ack);
        tcp[12] = 0x50;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.Slice(14), 65535);
        return f;
    }
}
