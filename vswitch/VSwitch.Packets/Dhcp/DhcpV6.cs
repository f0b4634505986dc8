using System.Buffers.Binary;
using VSwitch.Packets.Offloads;
using VSwitch.Packets.Routing;

namespace VSwitch.Packets.Dhcp;

/// <summary>A client message as <see cref="DhcpV6.TryReadRequest"/> found it: spans into the frame, valid while it is.</summary>
public readonly ref struct DhcpV6Request
{
    public DhcpV6Request(DhcpV6MessageType type, uint transactionId, ReadOnlySpan<byte> clientId, ReadOnlySpan<byte> serverId, uint iaid,
        bool hasIaNa, bool rapidCommit, IpAddress128? address = null, bool otherAddresses = false)
    {
        Address = address;
        OtherAddresses = otherAddresses;
        Type = type;
        TransactionId = transactionId;
        ClientId = clientId;
        ServerId = serverId;
        Iaid = iaid;
        HasIaNa = hasIaNa;
        RapidCommit = rapidCommit;
    }

    public DhcpV6MessageType Type { get; }

    /// <summary>24 bits.</summary>
    public uint TransactionId { get; }

    /// <summary>The client's DUID (option 1), echoed in the reply; empty when absent.</summary>
    public ReadOnlySpan<byte> ClientId { get; }

    /// <summary>The server DUID the client addressed (option 2); empty when absent.</summary>
    public ReadOnlySpan<byte> ServerId { get; }

    /// <summary>The first IA_NA's identifier.</summary>
    public uint Iaid { get; }

    public bool HasIaNa { get; }

    /// <summary>A Solicit with Rapid Commit (option 14) is answered with a Reply at once.</summary>
    public bool RapidCommit { get; }

    /// <summary>The first address (IA Address option) of the first IA_NA, or null: what a Confirm asks about.</summary>
    public IpAddress128? Address { get; }

    /// <summary>The first IA_NA holds another address than <see cref="Address"/> too.</summary>
    public bool OtherAddresses { get; }
}

/// <summary>
/// DHCPv6 (RFC 8415) answered by the switch, allocation-free on spans: Solicit, Request, Renew and Rebind get the port's
/// own stateful address in an IA_NA; Information-request gets the DNS servers (stateless); Release and Decline get a
/// Reply with status Success; Confirm gets Success for the port's own address and NotOnLink for any other. A message for
/// another server is not answered.
/// </summary>
public static class DhcpV6
{
    public const ushort ClientPort = 546;
    public const ushort ServerPort = 547;

    private const ushort OptionClientId = 1;
    private const ushort OptionServerId = 2;
    private const ushort OptionIaNa = 3;
    private const ushort OptionIaAddr = 5;
    private const ushort OptionStatusCode = 13;
    private const ushort StatusSuccess = 0;
    private const ushort StatusNotOnLink = 4;
    private const ushort OptionRapidCommit = 14;
    private const ushort OptionDnsServers = 23;

    /// <summary>A DUID longer than this (RFC 8415 allows 130 bytes) is not echoed: the request is ignored.</summary>
    private const int MaxDuid = 130;

    /// <summary>The largest reply <see cref="WriteReply"/> writes.</summary>
    public const int MaxReplySize = 14 + 40 + 8 + 4 + (4 + MaxDuid) + (4 + 10) + (4 + 12 + 4 + 24) + 4 + (4 + (16 * 8)) + (4 + 2);

    /// <summary>True for an IPv6 UDP packet from the DHCPv6 client port to the server port.</summary>
    public static bool IsClientMessage(in ParsedPacket p) =>
        p.IsIpv6 && p.IpProtocol == IpProtocol.Udp && p.HasL4 && (p.Flags & PacketFlags.Fragment) == 0
        && p.SourcePort == ClientPort && p.DestinationPort == ServerPort;

    /// <summary>Reads the client message in <paramref name="frame"/>; false when it is not a well-formed one.</summary>
    public static bool TryReadRequest(ReadOnlySpan<byte> frame, in ParsedPacket p, out DhcpV6Request request)
    {
        request = default;
        var start = p.L4Offset + 8;
        var end = Math.Min(frame.Length, p.L3Offset + p.IpLength);
        if (start + 4 > end)
        {
            return false;
        }
        var m = frame[start..end];
        var type = (DhcpV6MessageType)m[0];
        if (type is not (DhcpV6MessageType.Solicit or DhcpV6MessageType.Request or DhcpV6MessageType.Confirm or DhcpV6MessageType.Renew
            or DhcpV6MessageType.Rebind or DhcpV6MessageType.Release or DhcpV6MessageType.Decline or DhcpV6MessageType.InformationRequest))
        {
            return false;
        }
        ReadOnlySpan<byte> clientId = default, serverId = default;
        uint iaid = 0;
        bool hasIaNa = false, rapid = false, others = false;
        IpAddress128? address = null;
        var options = m[4..];
        while (options.Length > 0)
        {
            if (options.Length < 4)
            {
                return false;
            }
            var code = BinaryPrimitives.ReadUInt16BigEndian(options);
            var length = BinaryPrimitives.ReadUInt16BigEndian(options[2..]);
            if (4 + length > options.Length)
            {
                return false;
            }
            var value = options.Slice(4, length);
            switch (code)
            {
                case OptionClientId when length is > 0 and <= MaxDuid:
                    clientId = value;
                    break;
                case OptionClientId:
                    return false;
                case OptionServerId:
                    serverId = value;
                    break;
                case OptionIaNa when !hasIaNa && length >= 12:
                    iaid = BinaryPrimitives.ReadUInt32BigEndian(value);
                    hasIaNa = true;
                    ReadAddresses(value[12..], ref address, ref others);
                    break;
                case OptionRapidCommit:
                    rapid = true;
                    break;
            }
            options = options[(4 + length)..];
        }
        // Every message but an Information-request names its client (RFC 8415 §16).
        if (clientId.IsEmpty && type != DhcpV6MessageType.InformationRequest)
        {
            return false;
        }
        request = new DhcpV6Request(type, (uint)(m[1] << 16 | m[2] << 8 | m[3]), clientId, serverId, iaid, hasIaNa, rapid, address, others);
        return true;
    }

    /// <summary>The IA Address options among an IA_NA's options: the first address, and whether another one follows.</summary>
    private static void ReadAddresses(ReadOnlySpan<byte> options, ref IpAddress128? first, ref bool others)
    {
        while (options.Length >= 4)
        {
            var code = BinaryPrimitives.ReadUInt16BigEndian(options);
            var length = BinaryPrimitives.ReadUInt16BigEndian(options[2..]);
            if (4 + length > options.Length)
            {
                return;
            }
            if (code == OptionIaAddr && length >= 24)
            {
                var address = IpAddress128.ReadIpv6(options.Slice(4, 16));
                if (first is null)
                {
                    first = address;
                }
                else if (first != address)
                {
                    others = true;
                }
            }
            options = options[(4 + length)..];
        }
    }

    /// <summary>
    /// The reply type for <paramref name="request"/> (None: nothing to send): Advertise for a Solicit (Reply with Rapid
    /// Commit); Reply for Request, Renew, Rebind, Confirm, Release and Decline with an address to give, and for an
    /// Information-request. Messages naming another server's DUID, and address requests on a stateless network, get none.
    /// </summary>
    public static DhcpV6MessageType Answer(in DhcpV6Request request, DhcpV6Server server)
    {
        if (!request.ServerId.IsEmpty && !IsOwnDuid(request.ServerId, server.ServerMac))
        {
            return DhcpV6MessageType.None;
        }
        if (request.Type == DhcpV6MessageType.InformationRequest)
        {
            return DhcpV6MessageType.Reply;
        }
        if (server.ClientAddress is null)
        {
            return DhcpV6MessageType.None;
        }
        return request.Type switch
        {
            DhcpV6MessageType.Solicit => request.RapidCommit ? DhcpV6MessageType.Reply : DhcpV6MessageType.Advertise,
            // A Confirm without addresses gets no reply (RFC 8415 §18.3.3).
            DhcpV6MessageType.Confirm when request.Address is null => DhcpV6MessageType.None,
            // A Request and a Renew are addressed to one server: they must name it.
            DhcpV6MessageType.Request or DhcpV6MessageType.Renew when request.ServerId.IsEmpty => DhcpV6MessageType.None,
            _ => DhcpV6MessageType.Reply,
        };
    }

    /// <summary>
    /// Writes the whole reply frame into <paramref name="buffer"/> (at least <see cref="MaxReplySize"/> bytes) from the
    /// server's link-local address to the client's (<paramref name="p"/>'s source); returns its length.
    /// </summary>
    public static int WriteReply(Span<byte> buffer, in ParsedPacket p, in DhcpV6Request request, DhcpV6MessageType type, DhcpV6Server server)
    {
        buffer[..MaxReplySize].Clear();
        p.EthSource.Write(buffer);
        server.ServerMac.Write(buffer[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[12..], EtherType.Ipv6);
        var m = buffer[(14 + 40 + 8)..];
        m[0] = (byte)type;
        m[1] = (byte)(request.TransactionId >> 16);
        m[2] = (byte)(request.TransactionId >> 8);
        m[3] = (byte)request.TransactionId;
        var o = 4;
        if (!request.ClientId.IsEmpty)
        {
            o = OptionHeader(m, o, OptionClientId, request.ClientId.Length);
            request.ClientId.CopyTo(m[o..]);
            o += request.ClientId.Length;
        }
        o = OptionHeader(m, o, OptionServerId, 10);
        WriteDuid(m[o..], server.ServerMac);
        o += 10;
        var addressing = request.Type is not (DhcpV6MessageType.InformationRequest or DhcpV6MessageType.Release or DhcpV6MessageType.Decline
            or DhcpV6MessageType.Confirm);
        if (addressing && request.HasIaNa && server.ClientAddress is { } address)
        {
            var lease = (uint)server.LeaseSeconds;
            o = OptionHeader(m, o, OptionIaNa, 12 + 4 + 24);
            BinaryPrimitives.WriteUInt32BigEndian(m[o..], request.Iaid);
            BinaryPrimitives.WriteUInt32BigEndian(m[(o + 4)..], lease / 2);
            BinaryPrimitives.WriteUInt32BigEndian(m[(o + 8)..], lease / 5 * 4);
            o = OptionHeader(m, o + 12, OptionIaAddr, 24);
            NeighborAdvertisement.WriteAddress(m[o..], address);
            BinaryPrimitives.WriteUInt32BigEndian(m[(o + 16)..], lease);
            BinaryPrimitives.WriteUInt32BigEndian(m[(o + 20)..], lease);
            o += 24;
        }
        if (request.Type == DhcpV6MessageType.Solicit && type == DhcpV6MessageType.Reply)
        {
            o = OptionHeader(m, o, OptionRapidCommit, 0);
        }
        if (request.Type is DhcpV6MessageType.Release or DhcpV6MessageType.Decline)
        {
            o = OptionHeader(m, o, OptionStatusCode, 2) + 2; // status 0, Success
        }
        else if (request.Type == DhcpV6MessageType.Confirm)
        {
            // The port's address is the only one on-link for it: another (a client back from another link, or after
            // the port's address changed) is NotOnLink, and the client solicits again.
            var onLink = !request.OtherAddresses && request.Address == server.ClientAddress;
            o = OptionHeader(m, o, OptionStatusCode, 2);
            BinaryPrimitives.WriteUInt16BigEndian(m[o..], onLink ? StatusSuccess : StatusNotOnLink);
            o += 2;
        }
        var dns = Math.Min(server.DnsServers.Length, 8);
        if (dns > 0)
        {
            o = OptionHeader(m, o, OptionDnsServers, 16 * dns);
            for (var i = 0; i < dns; i++, o += 16)
            {
                NeighborAdvertisement.WriteAddress(m[o..], server.DnsServers[i]);
            }
        }
        var udpLength = 8 + o;
        var ip = buffer[14..];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)udpLength);
        ip[6] = IpProtocol.Udp;
        ip[7] = 255;
        NeighborAdvertisement.WriteAddress(ip[8..], server.LinkLocal);
        NeighborAdvertisement.WriteAddress(ip[24..], p.IpSource);
        var udp = ip[40..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, ServerPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], ClientPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        // UDP over IPv6 must carry a checksum: over the pseudo-header, the UDP header and the message.
        var pseudo = InternetChecksum.Add(ip[8..40], (ulong)udpLength + IpProtocol.Udp);
        var checksum = InternetChecksum.Finish(InternetChecksum.Add(udp[..udpLength], pseudo));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
        return 14 + 40 + udpLength;
    }

    /// <summary>The server's DUID-LL (RFC 8415 §11.4): type 3, hardware type 1 (Ethernet), the MAC.</summary>
    private static void WriteDuid(Span<byte> ten, MacAddress mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(ten, 3);
        BinaryPrimitives.WriteUInt16BigEndian(ten[2..], 1);
        mac.Write(ten[4..]);
    }

    private static bool IsOwnDuid(ReadOnlySpan<byte> duid, MacAddress mac)
    {
        Span<byte> own = stackalloc byte[10];
        WriteDuid(own, mac);
        return duid.SequenceEqual(own);
    }

    private static int OptionHeader(Span<byte> m, int o, ushort code, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(m[o..], code);
        BinaryPrimitives.WriteUInt16BigEndian(m[(o + 2)..], (ushort)length);
        return o + 4;
    }
}
