// FrameBuilder: hand-built frames for unit tests, one header at a time.
//
// What: static functions that return the bytes of one header followed by its payload, with length fields computed
// unless a test overrides them to lie. Tests nest them: Ethernet(Ipv4(Udp(...))).
// Why: the error tests need frames that are wrong in exactly one way, which real captures rarely are.

using System.Buffers.Binary;

namespace VSwitch.Packets.Tests;

internal static class FrameBuilder
{
    public static readonly MacAddress SourceMac = new(0x02_00_00_00_00_0A);
    public static readonly MacAddress DestinationMac = new(0x02_00_00_00_00_0B);
    public static readonly byte[] Ipv4Source = [198, 18, 0, 1];
    public static readonly byte[] Ipv4Destination = [198, 18, 0, 2];
    public static readonly byte[] Ipv6Source = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    public static readonly byte[] Ipv6Destination = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>An Ethernet header with optional tags (TPID, TCI) in front of <paramref name="payload"/>.</summary>
    public static byte[] Ethernet(ushort etherType, byte[] payload, params (ushort Tpid, ushort Tci)[] tags)
    {
        var frame = new byte[14 + (4 * tags.Length) + payload.Length];
        DestinationMac.Write(frame);
        SourceMac.Write(frame.AsSpan(6));
        var offset = 12;
        foreach (var (tpid, tci) in tags)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), tpid);
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset + 2), tci);
            offset += 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), etherType);
        payload.CopyTo(frame.AsSpan(offset + 2));
        return frame;
    }

    public static byte[] Ipv4Frame(byte protocol, byte[] payload) => Ethernet(EtherType.Ipv4, Ipv4(protocol, payload));

    public static byte[] Ipv6Frame(byte nextHeader, byte[] payload) => Ethernet(EtherType.Ipv6, Ipv6(nextHeader, payload));

    /// <summary>An IPv4 header (with <paramref name="optionsSize"/> bytes of NOP options) and payload.</summary>
    public static byte[] Ipv4(byte protocol, byte[] payload, int optionsSize = 0, ushort flagsAndOffset = 0,
        int? totalLength = null, byte versionIhl = 0, byte ttl = 64)
    {
        var headerSize = 20 + optionsSize;
        var packet = new byte[headerSize + payload.Length];
        packet[0] = versionIhl != 0 ? versionIhl : (byte)(0x40 | (headerSize / 4));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(totalLength ?? packet.Length));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), flagsAndOffset);
        packet[8] = ttl;
        packet[9] = protocol;
        Ipv4Source.CopyTo(packet, 12);
        Ipv4Destination.CopyTo(packet, 16);
        packet.AsSpan(20, optionsSize).Fill(1);
        payload.CopyTo(packet, headerSize);
        return packet;
    }

    /// <summary>An IPv6 header and payload (extension headers are part of the payload).</summary>
    public static byte[] Ipv6(byte nextHeader, byte[] payload, int? payloadLength = null, byte version = 6, byte hopLimit = 64)
    {
        var packet = new byte[40 + payload.Length];
        packet[0] = (byte)(version << 4);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(payloadLength ?? payload.Length));
        packet[6] = nextHeader;
        packet[7] = hopLimit;
        Ipv6Source.CopyTo(packet, 8);
        Ipv6Destination.CopyTo(packet, 24);
        payload.CopyTo(packet, 40);
        return packet;
    }

    /// <summary>A hop-by-hop, routing or destination options header of <paramref name="size"/> bytes (a multiple of 8).</summary>
    public static byte[] Ipv6Options(byte nextHeader, byte[] payload, int size = 8)
    {
        var header = new byte[size];
        header[0] = nextHeader;
        header[1] = (byte)((size / 8) - 1);
        header[2] = 1; // PadN covering the rest
        header[3] = (byte)(size - 4);
        return Concat(header, payload);
    }

    public static byte[] Ipv6Fragment(byte nextHeader, byte[] payload, int offsetUnits, bool more)
    {
        var header = new byte[8];
        header[0] = nextHeader;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)((offsetUnits << 3) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 0xCAFE);
        return Concat(header, payload);
    }

    /// <summary>An AH header with a 12-byte ICV (24 bytes, payload length field 4).</summary>
    public static byte[] Ah(byte nextHeader, byte[] payload)
    {
        var header = new byte[24];
        header[0] = nextHeader;
        header[1] = 4;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 0x200);
        return Concat(header, payload);
    }

    public static byte[] Tcp(ushort sourcePort, ushort destinationPort, byte flags, byte[]? payload = null,
        int dataOffsetWords = 5, int? headerSize = null, uint sequence = 1000, uint acknowledgement = 2000, ushort window = 4096)
    {
        payload ??= [];
        var size = headerSize ?? (dataOffsetWords * 4);
        var segment = new byte[size + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(8), acknowledgement);
        segment[12] = (byte)(dataOffsetWords << 4);
        segment[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), window);
        payload.CopyTo(segment, size);
        return segment;
    }

    public static byte[] Udp(ushort sourcePort, ushort destinationPort, byte[]? payload = null, int? length = null)
    {
        payload ??= [];
        var datagram = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(datagram, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)(length ?? datagram.Length));
        payload.CopyTo(datagram, 8);
        return datagram;
    }

    public static byte[] Sctp(ushort sourcePort, ushort destinationPort)
    {
        var packet = new byte[12 + 20];
        BinaryPrimitives.WriteUInt16BigEndian(packet, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), destinationPort);
        packet[12] = 1; // INIT chunk
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(14), 20);
        return packet;
    }

    /// <summary>ICMP or ICMPv6: type, code, checksum, then <paramref name="rest"/> (identifier and sequence for echo).</summary>
    public static byte[] Icmp(byte type, byte code, byte[] rest) => Concat([type, code, 0, 0], rest);

    public static byte[] Echo(byte type, ushort identifier) =>
        Icmp(type, 0, [(byte)(identifier >> 8), (byte)identifier, 0, 1, .. "ping"u8.ToArray()]);

    /// <summary>A neighbor solicitation (135) or advertisement (136) for <paramref name="target"/> with options.</summary>
    public static byte[] NeighborDiscovery(byte type, byte[] target, params byte[][] options) =>
        Concat(Icmp(type, 0, [type == 136 ? (byte)0x60 : (byte)0, 0, 0, 0]), target, Concat(options));

    /// <summary>A link-layer address option (type 1 source, 2 target).</summary>
    public static byte[] LinkLayerOption(byte type, MacAddress mac)
    {
        var option = new byte[8];
        option[0] = type;
        option[1] = 1;
        mac.Write(option.AsSpan(2));
        return option;
    }

    public static byte[] Arp(ushort operation, ushort hardwareType = 1, ushort protocolType = EtherType.Ipv4, byte hardwareSize = 6, byte protocolSize = 4)
    {
        var arp = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(arp, hardwareType);
        BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(2), protocolType);
        arp[4] = hardwareSize;
        arp[5] = protocolSize;
        BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(6), operation);
        SourceMac.Write(arp.AsSpan(8));
        Ipv4Source.CopyTo(arp, 14);
        DestinationMac.Write(arp.AsSpan(18));
        Ipv4Destination.CopyTo(arp, 24);
        return arp;
    }
}
