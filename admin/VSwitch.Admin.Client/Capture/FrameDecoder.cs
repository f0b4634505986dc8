using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PacketDotNet;

namespace VSwitch.Admin.Client.Capture;

/// <summary>
/// Captured frames in words, decoded with PacketDotNet: a one-line summary as tcpdump prints it, every layer's fields,
/// and the packet as <c>vswitchctl trace</c> takes it.
/// </summary>
/// <remarks>
/// Off the data path (the daemon's parser is its own, for speed; see the README): these run in the CLI and the console,
/// once per frame shown. A frame PacketDotNet cannot decode (a cut or malformed one, which is often why it was dropped)
/// is described as such, never an exception.
/// </remarks>
public static class FrameDecoder
{
    /// <summary>One line: addresses, protocol and the fields that tell packets apart (TCP flags, ICMP type).</summary>
    public static string Summary(byte[] frame) => Guarded(frame, SummaryOf, $"undecodable frame of {frame.Length} bytes");

    private static string SummaryOf(byte[] frame)
    {
        if (Parse(frame) is not { } packet)
        {
            return $"undecodable frame of {frame.Length} bytes";
        }
        if (packet.Extract<ArpPacket>() is { } arp)
        {
            return arp.Operation == ArpOperation.Request
                ? $"ARP who-has {arp.TargetProtocolAddress} tell {arp.SenderProtocolAddress}"
                : $"ARP {arp.Operation.ToString().ToLowerInvariant()} {arp.SenderProtocolAddress} is-at {Mac(arp.SenderHardwareAddress)}";
        }
        if (packet.Extract<IPPacket>() is not { } ip)
        {
            var eth = packet as EthernetPacket;
            return eth is null ? $"frame of {frame.Length} bytes" : $"{Mac(eth.SourceHardwareAddress)} > {Mac(eth.DestinationHardwareAddress)}, ethertype 0x{(ushort)eth.Type:x4}";
        }
        var (src, dst) = (ip.SourceAddress, ip.DestinationAddress);
        switch (ip.PayloadPacket)
        {
            case TcpPacket tcp:
                return $"{src}.{tcp.SourcePort} > {dst}.{tcp.DestinationPort}: TCP [{TcpFlags(tcp)}] seq {tcp.SequenceNumber}, length {tcp.PayloadData?.Length ?? 0}";
            case UdpPacket udp:
                return $"{src}.{udp.SourcePort} > {dst}.{udp.DestinationPort}: UDP, length {udp.PayloadData?.Length ?? 0}";
            case IcmpV4Packet icmp:
                return $"{src} > {dst}: ICMP {Icmp4Name(icmp)}";
            case IcmpV6Packet icmp6:
                return $"{src} > {dst}: ICMP6 {icmp6.Type}, code {icmp6.Code}";
            default:
                return $"{src} > {dst}: {ip.Protocol} (protocol {(int)ip.Protocol}), length {ip.PayloadLength}";
        }
    }

    /// <summary>Every layer PacketDotNet decodes, field by field (its verbose form), or why it cannot.</summary>
    public static string Layers(byte[] frame) =>
        Guarded(frame, f => Parse(f) is { } packet ? packet.ToString(StringOutputType.Verbose).TrimEnd() : null, null) ?? $"undecodable frame of {frame.Length} bytes";

    /// <summary>
    /// The packet in the words <c>vswitchctl trace</c> and <c>POST /v2.0/vswitch/trace</c> take, with its real MACs,
    /// so that a captured frame can be traced again; null for a frame the trace cannot describe (neither TCP, UDP,
    /// SCTP, ICMP, ICMPv6 nor ARP, or a fragment after the first).
    /// </summary>
    public static string? TraceDescription(byte[] frame) => Guarded(frame, TraceDescriptionOf, null);

    private static string? TraceDescriptionOf(byte[] frame)
    {
        if (Parse(frame) is not EthernetPacket eth)
        {
            return null;
        }
        var macs = $" src-mac {Mac(eth.SourceHardwareAddress)} dst-mac {Mac(eth.DestinationHardwareAddress)}";
        if (eth.Extract<ArpPacket>() is { } arp)
        {
            return $"arp {arp.SenderProtocolAddress} > {arp.TargetProtocolAddress}{macs}";
        }
        if (eth.Extract<IPPacket>() is not { } ip || (ip is IPv4Packet v4 && v4.FragmentOffset != 0))
        {
            return null;
        }
        string Endpoint(IPAddress address, ushort port) =>
            address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
        return ip.PayloadPacket switch
        {
            TcpPacket tcp => $"tcp {Endpoint(ip.SourceAddress, tcp.SourcePort)} > {Endpoint(ip.DestinationAddress, tcp.DestinationPort)} {TraceFlags(tcp)}{macs}",
            UdpPacket udp => $"udp {Endpoint(ip.SourceAddress, udp.SourcePort)} > {Endpoint(ip.DestinationAddress, udp.DestinationPort)}{macs}",
            IcmpV4Packet icmp => FormattableString.Invariant($"icmp {ip.SourceAddress} > {ip.DestinationAddress} type {(ushort)icmp.TypeCode >> 8} code {(ushort)icmp.TypeCode & 0xFF}{macs}"),
            IcmpV6Packet icmp6 => FormattableString.Invariant($"icmp6 {ip.SourceAddress} > {ip.DestinationAddress} type {(byte)icmp6.Type} code {icmp6.Code}{macs}"),
            _ => null,
        };
    }

    private static Packet? Parse(byte[] frame) => Packet.ParsePacket(LinkLayers.Ethernet, frame);

    /// <summary>
    /// PacketDotNet decodes lazily, so any property of a packet cut short or lying about its lengths may throw (an index
    /// out of range, an argument out of range...): a frame the switch dropped as malformed must still be shown.
    /// </summary>
    private static T Guarded<T>(byte[] frame, Func<byte[], T> decode, T undecodable)
    {
        try
        {
            return decode(frame);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or StackOverflowException))
        {
            return undecodable;
        }
    }

    private static string TcpFlags(TcpPacket tcp)
    {
        var flags = new StringBuilder();
        if (tcp.Synchronize)
        {
            flags.Append('S');
        }
        if (tcp.Finished)
        {
            flags.Append('F');
        }
        if (tcp.Reset)
        {
            flags.Append('R');
        }
        if (tcp.Push)
        {
            flags.Append('P');
        }
        if (tcp.Acknowledgment)
        {
            flags.Append('.');
        }
        return flags.ToString();
    }

    private static string TraceFlags(TcpPacket tcp)
    {
        var words = new List<string>();
        if (tcp.Synchronize)
        {
            words.Add("syn");
        }
        if (tcp.Acknowledgment)
        {
            words.Add("ack");
        }
        if (tcp.Finished)
        {
            words.Add("fin");
        }
        if (tcp.Reset)
        {
            words.Add("rst");
        }
        if (tcp.Push)
        {
            words.Add("psh");
        }
        return string.Join(' ', words);
    }

    private static string Icmp4Name(IcmpV4Packet icmp) => icmp.TypeCode switch
    {
        IcmpV4TypeCode.EchoRequest => string.Create(CultureInfo.InvariantCulture, $"echo request, id {icmp.Id}, seq {icmp.Sequence}"),
        IcmpV4TypeCode.EchoReply => string.Create(CultureInfo.InvariantCulture, $"echo reply, id {icmp.Id}, seq {icmp.Sequence}"),
        var code => string.Create(CultureInfo.InvariantCulture, $"type {(ushort)code >> 8}, code {(ushort)code & 0xFF}"),
    };

    private static string Mac(System.Net.NetworkInformation.PhysicalAddress address) =>
        string.Join(':', address.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
