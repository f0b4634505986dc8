// IcmpQuote: reads the packet an ICMP or ICMPv6 error quotes.
//
// What
//   An error message is an 8-byte ICMP header followed by as much of the offending packet as fits (at least its IP
//   header and the first 8 bytes of its payload, RFC 792 and RFC 4443). TryRead takes the outer frame and its
//   ParsedPacket and returns the quoted packet's addresses, protocol and ports (TCP, UDP, SCTP), or its echo
//   identifier (an echo request or reply; errors about errors are refused), or only addresses for other protocols.
//   IPv4 inside ICMP and IPv6 inside ICMPv6 only. The quoted IPv6 header's extension headers are walked like the
//   parser does (hop-by-hop, routing, fragment, destination options, AH; at most 8). A quoted later fragment
//   carries no L4 header and is refused.
//
// Why
//   The parser stops at the outer ICMP header; the quote is needed only for RELATED matching, so it is read here,
//   on demand, allocation-free and bounds-checked like the parser: every offset comes from the packet and is
//   checked against the bytes present, which are bounded by the outer IP length (not the frame, which may carry
//   Ethernet padding). The quoted IP length field is not trusted at all: the quote is truncated by design.
//
// Thread-safety
//   Stateless.

using System.Buffers.Binary;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>The head of the packet an ICMP error quotes.</summary>
internal struct QuotedPacket
{
    public IpAddress128 Source;
    public IpAddress128 Destination;
    public byte Protocol;

    /// <summary>Source port; for a quoted echo, the identifier.</summary>
    public ushort SourcePort;

    /// <summary>Destination port; for a quoted echo, the identifier.</summary>
    public ushort DestinationPort;
}

/// <summary>Allocation-free reader of the packet quoted inside an ICMP/ICMPv6 error.</summary>
internal static class IcmpQuote
{
    private const int IcmpHeaderSize = 8;
    private const int Ipv4MinHeaderSize = 20;
    private const int Ipv6HeaderSize = 40;
    private const int Ipv6ExtensionMinSize = 8;

    /// <summary>Reads the quote of the error <paramref name="outer"/> in <paramref name="frame"/>; false when it is unusable.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, in ParsedPacket outer, out QuotedPacket quoted)
    {
        quoted = default;
        if (outer.L4Offset == 0)
        {
            return false;
        }
        var end = Math.Min(frame.Length, outer.L3Offset + outer.IpLength);
        var start = outer.L4Offset + IcmpHeaderSize;
        if (start >= end)
        {
            return false;
        }
        var inner = frame.Slice(start, end - start);
        return outer.IsIpv6 ? TryReadIpv6(inner, ref quoted) : TryReadIpv4(inner, ref quoted);
    }

    private static bool TryReadIpv4(ReadOnlySpan<byte> ip, ref QuotedPacket quoted)
    {
        if (ip.Length < Ipv4MinHeaderSize || (ip[0] >> 4) != 4)
        {
            return false;
        }
        var headerSize = (ip[0] & 0x0F) * 4;
        if (headerSize < Ipv4MinHeaderSize || headerSize > ip.Length)
        {
            return false;
        }
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(6)) & 0x1FFF) != 0)
        {
            return false;
        }
        quoted.Protocol = ip[9];
        quoted.Source = IpAddress128.ReadIpv4(ip.Slice(12));
        quoted.Destination = IpAddress128.ReadIpv4(ip.Slice(16));
        return TryReadL4(ip.Slice(headerSize), ipv6: false, ref quoted);
    }

    private static bool TryReadIpv6(ReadOnlySpan<byte> ip, ref QuotedPacket quoted)
    {
        if (ip.Length < Ipv6HeaderSize || (ip[0] >> 4) != 6)
        {
            return false;
        }
        quoted.Source = IpAddress128.ReadIpv6(ip.Slice(8));
        quoted.Destination = IpAddress128.ReadIpv6(ip.Slice(24));
        var next = ip[6];
        var offset = Ipv6HeaderSize;
        for (var headers = 0; IsExtensionHeader(next); headers++)
        {
            if (headers == PacketParser.MaxIpv6ExtensionHeaders || ip.Length - offset < Ipv6ExtensionMinSize)
            {
                return false;
            }
            int size;
            switch (next)
            {
                case IpProtocol.Ipv6Fragment:
                    if ((BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(offset + 2)) & 0xFFF8) != 0)
                    {
                        return false;
                    }
                    size = Ipv6ExtensionMinSize;
                    break;
                case IpProtocol.Ah:
                    size = (ip[offset + 1] + 2) * 4;
                    break;
                default:
                    size = (ip[offset + 1] + 1) * 8;
                    break;
            }
            if (size > ip.Length - offset)
            {
                return false;
            }
            next = ip[offset];
            offset += size;
        }
        quoted.Protocol = next;
        return TryReadL4(ip.Slice(offset), ipv6: true, ref quoted);
    }

    private static bool TryReadL4(ReadOnlySpan<byte> l4, bool ipv6, ref QuotedPacket quoted)
    {
        if (UdpTracker.HasPorts(quoted.Protocol) || quoted.Protocol == IpProtocol.Tcp)
        {
            if (l4.Length < 4)
            {
                return false;
            }
            quoted.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            quoted.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(2));
            return true;
        }
        if (IcmpTracker.IsIcmp(quoted.Protocol, ipv6))
        {
            if (l4.Length < IcmpHeaderSize || !IcmpTracker.IsEcho(ipv6, l4[0]))
            {
                return false;
            }
            var identifier = BinaryPrimitives.ReadUInt16BigEndian(l4.Slice(4));
            quoted.SourcePort = identifier;
            quoted.DestinationPort = identifier;
            return true;
        }
        return quoted.Protocol != IpProtocol.Ipv6NoNext;
    }

    private static bool IsExtensionHeader(byte next) => next is IpProtocol.HopByHop
        or IpProtocol.Ipv6Routing
        or IpProtocol.Ipv6Fragment
        or IpProtocol.Ipv6DestinationOptions
        or IpProtocol.Ah;
}
