using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Utils;
using VSwitch.Packets;

namespace VSwitch.Ports.Linux.Tests.Infrastructure;

/// <summary>Builds (with PacketDotNet where it can) and inspects the raw frames the privileged tests send and expect.</summary>
internal static class Frames
{
    public const ushort EtherTypeIpv4 = 0x0800;
    public const ushort EtherTypeArp = 0x0806;
    public const ushort EtherTypeVlan = 0x8100;

    /// <summary>
    /// The virtio-net header of a TCP/IPv4 GSO super-frame with a 20-byte IP and TCP header each, cut into 1448-byte
    /// segments, its checksum left partial: <paramref name="l2Length"/> is 14, or 18 with a VLAN tag.
    /// </summary>
    public static VirtioNetHeader TcpV4GsoHeader(int l2Length = 14) => new()
    {
        Flags = VirtioNetHeader.NeedsChecksum,
        GsoType = VirtioNetHeader.GsoTcpV4,
        GsoSize = 1448,
        HeaderLength = (ushort)(l2Length + 20 + 20),
        ChecksumStart = (ushort)(l2Length + 20),
        ChecksumOffset = 16,
    };

    /// <summary>A random locally administered unicast MAC.</summary>
    public static MacAddress RandomMac()
    {
        Span<byte> b = stackalloc byte[6];
        Random.Shared.NextBytes(b);
        b[0] = (byte)((b[0] & 0xFC) | 0x02);
        return MacAddress.Read(b);
    }

    /// <summary>An ARP request "who has <paramref name="target"/>, tell <paramref name="sender"/>" (42 bytes), by PacketDotNet.</summary>
    public static byte[] ArpRequest(MacAddress senderMac, string sender, string target, ushort? vlan = null)
    {
        var arp = new ArpPacket(ArpOperation.Request, new PhysicalAddress(new byte[6]), IPAddress.Parse(target), Physical(senderMac), IPAddress.Parse(sender));
        return Ethernet(MacAddress.Broadcast, senderMac, EtherTypeArp, arp.Bytes, vlan);
    }

    /// <summary>An ICMP echo request from <paramref name="src"/> to <paramref name="dst"/>, by PacketDotNet (checksums its own).</summary>
    public static byte[] IcmpEchoRequest(MacAddress dstMac, MacAddress srcMac, string src, string dst, ushort id, ushort seq, int payload = 32)
    {
        var message = new byte[8 + payload];
        for (var i = 0; i < payload; i++)
        {
            message[8 + i] = (byte)i;
        }
        var icmp = new IcmpV4Packet(new ByteArraySegment(message)) { TypeCode = IcmpV4TypeCode.EchoRequest, Id = id, Sequence = seq };
        icmp.UpdateIcmpChecksum();
        var ip = new IPv4Packet(IPAddress.Parse(src), IPAddress.Parse(dst)) { TimeToLive = 64, Protocol = ProtocolType.Icmp, Id = id, PayloadPacket = icmp };
        ip.UpdateCalculatedValues();
        ip.UpdateIPChecksum();
        return Ethernet(dstMac, srcMac, EtherTypeIpv4, ip.Bytes);
    }

    /// <summary>
    /// A TCP segment with <paramref name="payload"/> bytes and the pseudo-header sum in its checksum field (as a
    /// sender with checksum offload leaves it for <c>VIRTIO_NET_HDR_F_NEEDS_CSUM</c>). Written by hand: such a
    /// partial checksum, and GSO super-frames near 64 KiB, are what PacketDotNet does not model.
    /// </summary>
    public static byte[] TcpSegment(MacAddress dstMac, MacAddress srcMac, string src, string dst, int payload, ushort? vlan = null)
    {
        var tcpLength = 20 + payload;
        var ip = new byte[20 + tcpLength];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)Math.Min(ip.Length, 0xFFFF));
        ip[6] = 0x40; // DF
        ip[8] = 64;
        ip[9] = 6;
        IPAddress.Parse(src).GetAddressBytes().CopyTo(ip, 12);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(ip, 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), Checksum(ip.AsSpan(0, 20)));
        var tcp = ip.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 1000);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], 2000);
        tcp[12] = 0x50;
        tcp[13] = 0x18; // PSH, ACK
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 0xFFFF);
        for (var i = 0; i < payload; i++)
        {
            tcp[20 + i] = (byte)(i * 7);
        }
        Span<byte> pseudo = stackalloc byte[12];
        ip.AsSpan(12, 8).CopyTo(pseudo);
        pseudo[9] = 6;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)tcpLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], (ushort)~Checksum(pseudo));
        return Ethernet(dstMac, srcMac, EtherTypeIpv4, ip, vlan);
    }

    public static byte[] ToBytes(this MacAddress mac)
    {
        var b = new byte[6];
        mac.Write(b);
        return b;
    }

    private static PhysicalAddress Physical(MacAddress mac) => new(mac.ToBytes());

    /// <summary>The Ethernet header, with an 802.1Q tag when <paramref name="vlan"/> is set (PacketDotNet reads tags but does not make them).</summary>
    public static byte[] Ethernet(MacAddress dst, MacAddress src, ushort etherType, byte[] payload, ushort? vlan = null)
    {
        var tag = vlan is null ? 0 : 4;
        var frame = new byte[14 + tag + payload.Length];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        if (vlan is { } vid)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherTypeVlan);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), vid);
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12 + tag), etherType);
        payload.CopyTo(frame, 14 + tag);
        return frame;
    }

    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }
        if ((data.Length & 1) != 0)
        {
            sum += (uint)data[^1] << 8;
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    public static ushort EtherType(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);

    /// <summary>True for an untagged ARP frame with <paramref name="op"/> (1 request, 2 reply) whose sender IP is <paramref name="senderIp"/>.</summary>
    public static bool IsArp(ReadOnlySpan<byte> frame, ushort op, string senderIp, int offset = 14) =>
        frame.Length >= offset + 28
        && BinaryPrimitives.ReadUInt16BigEndian(frame[(offset - 2)..]) == EtherTypeArp
        && BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 6)..]) == op
        && frame.Slice(offset + 14, 4).SequenceEqual(IPAddress.Parse(senderIp).GetAddressBytes());

    /// <summary>True for an ICMP echo reply with identifier <paramref name="id"/> from <paramref name="srcIp"/>.</summary>
    public static bool IsEchoReply(ReadOnlySpan<byte> frame, string srcIp, ushort id) =>
        frame.Length >= 42
        && EtherType(frame) == EtherTypeIpv4
        && frame[23] == 1
        && frame.Slice(26, 4).SequenceEqual(IPAddress.Parse(srcIp).GetAddressBytes())
        && frame[34] == 0
        && BinaryPrimitives.ReadUInt16BigEndian(frame[38..]) == id;
}
