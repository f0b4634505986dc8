using System.Buffers.Binary;
using VSwitch.Packets;

namespace VSwitch.Benchmarks;

/// <summary>Synthetic 64-byte Ethernet/IPv4/UDP frames with distinct 5-tuples, as a packet generator would send.</summary>
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
}
