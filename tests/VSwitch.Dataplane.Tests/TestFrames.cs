using System.Buffers.Binary;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Tests;

/// <summary>Builds small, valid Ethernet/IPv4/UDP frames for switching tests.</summary>
internal static class TestFrames
{
    public static MacAddress Mac(int n) => new(0x02_00_00_00_00_00UL | (uint)n);

    /// <summary>Runs one frame, received on port <paramref name="slot"/>, through worker 0's pipeline (a batch of one).</summary>
    public static void SendOne(Datapath datapath, PacketBatch batch, int slot, byte[] frame)
    {
        batch.ResetForReceive();
        frame.CopyTo(batch.Buffer(0));
        batch[0].Length = frame.Length;
        batch.Count = 1;
        var snapshot = datapath.Publisher.Current;
        datapath.Workers[0].ProcessBatch(snapshot, snapshot.Ports[slot]!, batch);
    }

    public static byte[] Udp(MacAddress src, MacAddress dst, int payload = 18, ushort srcPort = 1000, ushort dstPort = 2000)
    {
        var frame = new byte[14 + 20 + 8 + payload];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherType.Ipv4);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(20 + 8 + payload));
        ip[8] = 64;
        ip[9] = IpProtocol.Udp;
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(12), 0xC612_0001);
        BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(16), 0xC612_0002);
        var udp = ip.Slice(20);
        BinaryPrimitives.WriteUInt16BigEndian(udp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(2), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.Slice(4), (ushort)(8 + payload));
        return frame;
    }
}
