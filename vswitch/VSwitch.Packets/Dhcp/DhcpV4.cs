using System.Buffers.Binary;
using VSwitch.Packets.Offloads;

namespace VSwitch.Packets.Dhcp;

/// <summary>A DHCPv4 client message, as much of it as the server needs.</summary>
public readonly record struct DhcpV4Request(DhcpMessageType Type, uint TransactionId, ushort Flags, uint ClientAddress, MacAddress ClientMac,
    uint RequestedAddress, uint ServerIdentifier);

/// <summary>
/// Reading DHCPv4 client messages and writing the server's replies (RFC 2131, RFC 2132, RFC 3442), allocation-free on
/// spans: the switch answers its ports' DHCP itself (as OVN's controller does), from a <see cref="DhcpV4Server"/>.
/// </summary>
/// <remarks>
/// A reply goes to the client's MAC and to the IPv4 broadcast address (RFC 2131 §4.1 allows it, and a client without an
/// address yet can receive it), from the server's MAC and address, UDP 67 → 68 without a UDP checksum (optional in
/// IPv4). Options: message type, server identifier, lease time with renewal (T1 = ½) and rebinding (T2 = ⅞) times,
/// subnet mask, router, DNS servers, interface MTU, classless static routes (with the default route through the
/// router first, since clients that take option 121 ignore option 3). The BOOTP part is padded to 300 bytes, the
/// minimum older clients expect.
/// </remarks>
public static class DhcpV4
{
    public const ushort ServerPort = 67;
    public const ushort ClientPort = 68;

    private const int BootpFixed = 236;
    private const uint MagicCookie = 0x63825363;

    /// <summary>The largest reply <see cref="WriteReply"/> writes (Ethernet + IPv4 + UDP + BOOTP with every option).</summary>
    public const int MaxReplySize = 14 + 20 + 8 + BootpFixed + 4 + 512;

    /// <summary>True for an IPv4 UDP packet from the DHCP client port to the server port.</summary>
    public static bool IsClientMessage(in ParsedPacket p) =>
        p.IsIpv4 && p.IpProtocol == IpProtocol.Udp && p.HasL4 && !p.IsLaterFragment && p.SourcePort == ClientPort && p.DestinationPort == ServerPort;

    /// <summary>Reads the BOOTREQUEST in <paramref name="frame"/>; false when it is not a well-formed DHCP request.</summary>
    public static bool TryReadRequest(ReadOnlySpan<byte> frame, in ParsedPacket p, out DhcpV4Request request)
    {
        request = default;
        var start = p.L4Offset + 8;
        if (start > frame.Length)
        {
            return false;
        }
        var m = frame[start..];
        if (m.Length < BootpFixed + 4 || m[0] != 1 || m[1] != 1 || m[2] != 6 || BinaryPrimitives.ReadUInt32BigEndian(m[BootpFixed..]) != MagicCookie)
        {
            return false;
        }
        var type = DhcpMessageType.None;
        uint requested = 0, server = 0;
        var options = m[(BootpFixed + 4)..];
        var i = 0;
        while (i < options.Length)
        {
            var code = options[i];
            if (code == 255)
            {
                break;
            }
            if (code == 0)
            {
                i++;
                continue;
            }
            if (i + 1 >= options.Length || i + 2 + options[i + 1] > options.Length)
            {
                return false;
            }
            var value = options.Slice(i + 2, options[i + 1]);
            switch (code)
            {
                case 53 when value.Length == 1:
                    type = (DhcpMessageType)value[0];
                    break;
                case 50 when value.Length == 4:
                    requested = BinaryPrimitives.ReadUInt32BigEndian(value);
                    break;
                case 54 when value.Length == 4:
                    server = BinaryPrimitives.ReadUInt32BigEndian(value);
                    break;
            }
            i += 2 + value.Length;
        }
        if (type == DhcpMessageType.None)
        {
            return false;
        }
        request = new DhcpV4Request(type, BinaryPrimitives.ReadUInt32BigEndian(m[4..]), BinaryPrimitives.ReadUInt16BigEndian(m[10..]),
            BinaryPrimitives.ReadUInt32BigEndian(m[12..]), MacAddress.Read(m[28..]), requested, server);
        return true;
    }

    /// <summary>
    /// The server's answer to <paramref name="request"/>: OFFER for DISCOVER; ACK for a REQUEST of the port's own address
    /// (or an INFORM, without an address); NAK for a REQUEST of another address; None (nothing to send) for a REQUEST
    /// addressed to another server, DECLINE and RELEASE.
    /// </summary>
    public static DhcpMessageType Answer(in DhcpV4Request request, DhcpV4Server server) => request.Type switch
    {
        DhcpMessageType.Discover => DhcpMessageType.Offer,
        DhcpMessageType.Inform => DhcpMessageType.Ack,
        DhcpMessageType.Request when request.ServerIdentifier != 0 && request.ServerIdentifier != server.ServerAddress => DhcpMessageType.None,
        DhcpMessageType.Request => (request.RequestedAddress != 0 ? request.RequestedAddress : request.ClientAddress) == server.ClientAddress
            ? DhcpMessageType.Ack : DhcpMessageType.Nak,
        _ => DhcpMessageType.None,
    };

    /// <summary>Writes the whole reply frame of <paramref name="type"/> into <paramref name="buffer"/>; returns its length.</summary>
    public static int WriteReply(Span<byte> buffer, in DhcpV4Request request, DhcpMessageType type, DhcpV4Server server)
    {
        buffer[..MaxReplySize].Clear();
        request.ClientMac.Write(buffer);
        server.ServerMac.Write(buffer[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[12..], EtherType.Ipv4);
        var m = buffer[(14 + 20 + 8)..];
        m[0] = 2;
        m[1] = 1;
        m[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(m[4..], request.TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(m[10..], request.Flags);
        if (request.Type == DhcpMessageType.Inform)
        {
            BinaryPrimitives.WriteUInt32BigEndian(m[12..], request.ClientAddress);
        }
        else if (type != DhcpMessageType.Nak)
        {
            BinaryPrimitives.WriteUInt32BigEndian(m[16..], server.ClientAddress);
        }
        BinaryPrimitives.WriteUInt32BigEndian(m[20..], server.ServerAddress);
        request.ClientMac.Write(m[28..]);
        BinaryPrimitives.WriteUInt32BigEndian(m[BootpFixed..], MagicCookie);
        var o = BootpFixed + 4;
        o = Option(m, o, 53, (byte)type);
        o = Address(m, o, 54, server.ServerAddress);
        if (type != DhcpMessageType.Nak)
        {
            if (request.Type != DhcpMessageType.Inform)
            {
                o = Address(m, o, 51, (uint)server.LeaseSeconds);
                o = Address(m, o, 58, (uint)(server.LeaseSeconds / 2));
                o = Address(m, o, 59, (uint)(server.LeaseSeconds / 8 * 7));
            }
            o = Address(m, o, 1, server.PrefixLength == 0 ? 0 : uint.MaxValue << (32 - server.PrefixLength));
            if (server.Router != 0)
            {
                o = Address(m, o, 3, server.Router);
            }
            if (server.DnsServers.Length > 0)
            {
                m[o] = 6;
                m[o + 1] = (byte)(4 * Math.Min(server.DnsServers.Length, 8));
                o += 2;
                for (var i = 0; i < Math.Min(server.DnsServers.Length, 8); i++)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(m[o..], server.DnsServers[i]);
                    o += 4;
                }
            }
            if (server.Mtu > 0)
            {
                m[o] = 26;
                m[o + 1] = 2;
                BinaryPrimitives.WriteUInt16BigEndian(m[(o + 2)..], (ushort)server.Mtu);
                o += 4;
            }
            if (server.Routes.Length > 0)
            {
                o = ClasslessRoutes(m, o, server);
            }
        }
        m[o++] = 255;
        var bootpLength = Math.Max(o, 300);
        var udpLength = 8 + bootpLength;
        var ip = buffer[14..];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + udpLength));
        ip[8] = 64;
        ip[9] = IpProtocol.Udp;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], server.ServerAddress);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], uint.MaxValue);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Finish(InternetChecksum.Add(ip[..20])));
        var udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, ServerPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], ClientPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        return 14 + 20 + udpLength;
    }

    private static int Option(Span<byte> m, int o, byte code, byte value)
    {
        m[o] = code;
        m[o + 1] = 1;
        m[o + 2] = value;
        return o + 3;
    }

    private static int Address(Span<byte> m, int o, byte code, uint value)
    {
        m[o] = code;
        m[o + 1] = 4;
        BinaryPrimitives.WriteUInt32BigEndian(m[(o + 2)..], value);
        return o + 6;
    }

    /// <summary>Option 121: the default route through the router first (if any), then the subnet's host routes.</summary>
    private static int ClasslessRoutes(Span<byte> m, int o, DhcpV4Server server)
    {
        m[o] = 121;
        var length = o + 1;
        o += 2;
        static void Route(Span<byte> m, ref int o, uint destination, int prefix, uint nextHop)
        {
            m[o++] = (byte)prefix;
            for (var b = 0; b < (prefix + 7) / 8; b++)
            {
                m[o++] = (byte)(destination >> (24 - (8 * b)));
            }
            BinaryPrimitives.WriteUInt32BigEndian(m[o..], nextHop);
            o += 4;
        }
        if (server.Router != 0)
        {
            Route(m, ref o, 0, 0, server.Router);
        }
        foreach (var (destination, prefix, nextHop) in server.Routes)
        {
            if (o - length + 9 > 255)
            {
                break;
            }
            Route(m, ref o, destination, prefix, nextHop);
        }
        m[length] = (byte)(o - length - 1);
        return o;
    }
}
