using System.Buffers.Binary;
using System.Globalization;
using VSwitch.Control.Model;
using VSwitch.Packets;

namespace VSwitch.Control.Tracing;

/// <summary>
/// A packet written the way an operator says it, turned into the Ethernet frame a VM would send, for traces:
/// <c>tcp 198.18.0.1:40000 &gt; 198.18.0.2:80 syn</c>, <c>udp [2001:db8::1]:5353 &gt; [2001:db8::2]:53</c>,
/// <c>icmp 198.18.0.1 &gt; 198.18.0.2 type 8 code 0</c>, <c>icmp6 2001:db8::1 &gt; 2001:db8::2</c>,
/// <c>arp 198.18.0.1 &gt; 198.18.0.2</c>; optional words <c>src-mac MAC</c>, <c>dst-mac MAC</c>, TCP flags
/// (<c>syn ack fin rst psh</c>, default <c>syn</c>), and <c>frag-id ID [frag-offset BYTES]</c> for an IP fragment: offset 0
/// (the default) is a first fragment with more to follow, which carries the L4 header; a later offset (a multiple of 8)
/// is a last fragment with 8 bytes of data and no L4 header, which the data path judges by its datagram's first
/// fragment as seen in real traffic.
/// </summary>
/// <remarks>
/// The source MAC defaults to the sending port's; the destination MAC to the MAC of the port of the same network that
/// owns the destination address (a fixed IP or an allowed address pair), or else to the network's router interface (the
/// VM's gateway), so that the trace follows the same L2 and L3 path as real traffic. Errors are <see cref="NeutronException"/>s (400) naming what is wrong.
/// </remarks>
public sealed record PacketDescription(
    string Protocol,
    IpAddress128 Source,
    IpAddress128 Destination,
    int SourcePort,
    int DestinationPort,
    byte TcpFlags,
    int IcmpType,
    int IcmpCode,
    MacAddress? SourceMac,
    MacAddress? DestinationMac,
    uint? FragmentId = null,
    int FragmentOffset = 0)
{
    public static PacketDescription Parse(string text)
    {
        static NeutronException Bad(string why) => NeutronErrors.InvalidAttribute("packet", why);
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length < 4 || words[2] != ">")
        {
            throw Bad("expected 'PROTOCOL SRC[:PORT] > DST[:PORT] [options]', e.g. 'tcp 198.18.0.1:40000 > 198.18.0.2:80 syn'");
        }
        var protocol = words[0].ToLowerInvariant();
        if (protocol is not ("tcp" or "udp" or "sctp" or "icmp" or "icmp6" or "arp"))
        {
            throw Bad($"unknown protocol '{words[0]}' (tcp, udp, sctp, icmp, icmp6, arp)");
        }
        var hasPorts = protocol is "tcp" or "udp" or "sctp";
        var (source, sourcePort) = Endpoint(words[1], hasPorts, "source");
        var (destination, destinationPort) = Endpoint(words[3], hasPorts, "destination");
        if (source.IsIpv4Mapped != destination.IsIpv4Mapped)
        {
            throw Bad("source and destination are of different address families");
        }
        if (protocol == "icmp" && !source.IsIpv4Mapped)
        {
            protocol = "icmp6";
        }
        if (protocol == "arp" && !source.IsIpv4Mapped)
        {
            throw Bad("arp needs IPv4 addresses");
        }
        byte flags = 0;
        int type = protocol == "icmp6" ? 128 : 8, code = 0;
        MacAddress? srcMac = null, dstMac = null;
        uint? fragmentId = null;
        var fragmentOffset = 0;
        for (var i = 4; i < words.Length; i++)
        {
            var w = words[i].ToLowerInvariant();
            switch (w)
            {
                case "syn": flags |= Packets.TcpFlags.Syn; break;
                case "ack": flags |= Packets.TcpFlags.Ack; break;
                case "fin": flags |= Packets.TcpFlags.Fin; break;
                case "rst": flags |= Packets.TcpFlags.Rst; break;
                case "psh": flags |= Packets.TcpFlags.Psh; break;
                case "frag-id" when i + 1 < words.Length:
                    fragmentId = uint.TryParse(words[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                        ? id : throw Bad($"frag-id must be 0-4294967295, not '{words[i]}'");
                    break;
                case "frag-offset" when i + 1 < words.Length:
                    fragmentOffset = int.TryParse(words[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var offset) && offset <= 65528 && offset % 8 == 0
                        ? offset : throw Bad($"frag-offset must be a multiple of 8 from 0 to 65528 bytes, not '{words[i]}'");
                    break;
                case "type" or "code" or "src-mac" or "dst-mac" when i + 1 < words.Length:
                    var value = words[++i];
                    if (w is "type" or "code")
                    {
                        if (!byte.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
                        {
                            throw Bad($"{w} must be 0-255, not '{value}'");
                        }
                        if (w == "type")
                        {
                            type = b;
                        }
                        else
                        {
                            code = b;
                        }
                    }
                    else
                    {
                        var mac = MacAddress.TryParse(value, out var m) ? m : throw Bad($"'{value}' is not a MAC address");
                        if (w == "src-mac")
                        {
                            srcMac = mac;
                        }
                        else
                        {
                            dstMac = mac;
                        }
                    }
                    break;
                default:
                    throw Bad($"unknown word '{words[i]}'");
            }
        }
        if (protocol == "tcp" && flags == 0)
        {
            flags = Packets.TcpFlags.Syn;
        }
        if (fragmentOffset != 0 && fragmentId is null)
        {
            throw Bad("frag-offset needs frag-id");
        }
        if (fragmentId is not null && protocol == "arp")
        {
            throw Bad("arp is never fragmented");
        }
        return new PacketDescription(protocol, source, destination, sourcePort, destinationPort, flags, type, code, srcMac, dstMac, fragmentId, fragmentOffset);
    }

    private static (IpAddress128 Address, int Port) Endpoint(string text, bool hasPort, string what)
    {
        string address = text, port = "";
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0)
            {
                throw NeutronErrors.InvalidAttribute("packet", $"{what} '{text}': missing ']'");
            }
            address = text[1..close];
            port = close + 1 < text.Length && text[close + 1] == ':' ? text[(close + 2)..] : "";
        }
        else if (text.Count(c => c == ':') == 1)
        {
            (address, port) = (text[..text.IndexOf(':')], text[(text.IndexOf(':') + 1)..]);
        }
        if (!IpPrefix.TryParseAddress(address, out var ip, out _))
        {
            throw NeutronErrors.InvalidAttribute("packet", $"{what} '{address}' is not an IP address");
        }
        if (!hasPort)
        {
            return port.Length == 0 ? (ip, 0) : throw NeutronErrors.InvalidAttribute("packet", $"{what}: this protocol has no ports");
        }
        if (!ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p == 0)
        {
            throw NeutronErrors.InvalidAttribute("packet", $"{what} '{text}' needs a port 1-65535 (ADDRESS:PORT, [IPv6]:PORT)");
        }
        return (ip, p);
    }

    /// <summary>The frame a VM on <paramref name="port"/> would send (MACs resolved in <paramref name="model"/>).</summary>
    public byte[] ToFrame(SwitchModel model, PortSpec port)
    {
        var srcMac = SourceMac ?? port.Mac ?? throw NeutronErrors.InvalidAttribute("packet", "the port has no MAC: give src-mac");
        var dstMac = DestinationMac ?? (Protocol == "arp" ? MacAddress.Broadcast : OwnerMac(model, port.NetworkId))
            ?? throw NeutronErrors.InvalidAttribute("packet", $"no port of the network owns {Destination}: give dst-mac");
        if (Protocol == "arp")
        {
            var arp = new byte[42];
            dstMac.Write(arp);
            srcMac.Write(arp.AsSpan(6));
            BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(12), EtherType.Arp);
            var a = arp.AsSpan(14);
            BinaryPrimitives.WriteUInt16BigEndian(a, 1);
            BinaryPrimitives.WriteUInt16BigEndian(a.Slice(2), EtherType.Ipv4);
            a[4] = 6;
            a[5] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(a.Slice(6), 1);
            srcMac.Write(a.Slice(8));
            BinaryPrimitives.WriteUInt32BigEndian(a.Slice(14), Source.Ipv4);
            BinaryPrimitives.WriteUInt32BigEndian(a.Slice(24), Destination.Ipv4);
            return arp;
        }
        var v4 = Source.IsIpv4Mapped;
        var l4Length = Protocol switch { "tcp" => 20, "udp" => 8, "sctp" => 12, _ => 8 };
        if (FragmentId is not null)
        {
            // A first fragment with more to follow carries a multiple of 8 bytes; a later one 8 bytes of data.
            l4Length = FragmentOffset == 0 ? (l4Length + 7) & ~7 : 8;
        }
        var fragmentHeader = FragmentId is not null && !v4 ? 8 : 0;
        var ipLength = (v4 ? 20 : 40) + fragmentHeader;
        var frame = new byte[Math.Max(60, 14 + ipLength + l4Length)];
        dstMac.Write(frame);
        srcMac.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), v4 ? EtherType.Ipv4 : EtherType.Ipv6);
        var ip = frame.AsSpan(14);
        var protocolNumber = Protocol switch { "tcp" => IpProtocol.Tcp, "udp" => IpProtocol.Udp, "sctp" => IpProtocol.Sctp, "icmp" => IpProtocol.Icmp, _ => IpProtocol.Icmpv6 };
        if (v4)
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(20 + l4Length));
            if (FragmentId is { } id)
            {
                BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)id);
                BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(6), (ushort)(FragmentOffset == 0 ? 0x2000 : FragmentOffset >> 3));
            }
            ip[8] = 64;
            ip[9] = protocolNumber;
            BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(12), Source.Ipv4);
            BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(16), Destination.Ipv4);
        }
        else
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)(fragmentHeader + l4Length));
            ip[6] = protocolNumber;
            ip[7] = 64;
            if (FragmentId is { } id)
            {
                ip[6] = IpProtocol.Ipv6Fragment;
                ip[40] = protocolNumber;
                BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(42), (ushort)(FragmentOffset == 0 ? 1 : FragmentOffset));
                BinaryPrimitives.WriteUInt32BigEndian(ip.Slice(44), id);
            }
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(8), Source.High);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(16), Source.Low);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(24), Destination.High);
            BinaryPrimitives.WriteUInt64BigEndian(ip.Slice(32), Destination.Low);
        }
        var l4 = ip.Slice(ipLength);
        if (FragmentOffset != 0)
        {
            // A later fragment: data only.
            return frame;
        }
        switch (Protocol)
        {
            case "tcp":
                BinaryPrimitives.WriteUInt16BigEndian(l4, (ushort)SourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(2), (ushort)DestinationPort);
                BinaryPrimitives.WriteUInt32BigEndian(l4.Slice(4), 1000);
                BinaryPrimitives.WriteUInt32BigEndian(l4.Slice(8), (TcpFlags & Packets.TcpFlags.Ack) != 0 ? 1u : 0u);
                l4[12] = 0x50;
                l4[13] = TcpFlags;
                BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(14), 65535);
                break;
            case "udp":
                BinaryPrimitives.WriteUInt16BigEndian(l4, (ushort)SourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(2), (ushort)DestinationPort);
                BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(4), 8);
                break;
            case "sctp":
                BinaryPrimitives.WriteUInt16BigEndian(l4, (ushort)SourcePort);
                BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(2), (ushort)DestinationPort);
                break;
            default:
                l4[0] = (byte)IcmpType;
                l4[1] = (byte)IcmpCode;
                BinaryPrimitives.WriteUInt16BigEndian(l4.Slice(4), 1);
                break;
        }
        return frame;
    }

    private MacAddress? OwnerMac(SwitchModel model, Guid networkId)
    {
        foreach (var p in model.Ports.Values)
        {
            if (p.NetworkId == networkId && p.Mac is { } mac
                && (p.FixedIps.Any(ip => ip.Contains(Destination)) || p.AllowedAddressPairs.Any(a => a.IpAddress.Contains(Destination))))
            {
                return p.AllowedAddressPairs.FirstOrDefault(a => a.IpAddress.Contains(Destination))?.MacAddress ?? mac;
            }
        }
        // Off the network: a VM sends to its gateway, the router interface on its network of the destination's family.
        var ipv6 = !Destination.IsIpv4Mapped;
        return model.Ports.Values.FirstOrDefault(p => p.IsRouterInterface && p.NetworkId == networkId && p.Mac is not null
            && p.FixedIps.Any(ip => (ip.Family == Ethertype.IPv6) == ipv6))?.Mac;
    }
}
