using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Tests;

/// <summary>Small, valid Ethernet/IPv4/UDP frames for switching tests (PacketDotNet builds them), and sending one.</summary>
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

    /// <summary>An Ethernet/IPv4/UDP frame from 198.18.0.1 to 198.18.0.2, built by PacketDotNet (lengths and checksums its own).</summary>
    public static byte[] Udp(MacAddress src, MacAddress dst, int payload = 18, ushort srcPort = 1000, ushort dstPort = 2000)
    {
        var udp = new UdpPacket(srcPort, dstPort) { PayloadData = new byte[payload] };
        var ip = new IPv4Packet(IPAddress.Parse("198.18.0.1"), IPAddress.Parse("198.18.0.2")) { TimeToLive = 64, Protocol = ProtocolType.Udp, PayloadPacket = udp };
        udp.UpdateCalculatedValues();
        udp.UpdateUdpChecksum();
        ip.UpdateCalculatedValues();
        ip.UpdateIPChecksum();
        return new EthernetPacket(Physical(src), Physical(dst), EthernetType.IPv4) { PayloadPacket = ip }.Bytes;
    }

    private static PhysicalAddress Physical(MacAddress mac)
    {
        var bytes = new byte[6];
        mac.Write(bytes);
        return new PhysicalAddress(bytes);
    }
}
