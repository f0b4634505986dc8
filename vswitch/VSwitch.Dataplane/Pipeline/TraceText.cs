using System.Globalization;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>Readable one-line descriptions of parsed packets, for traces (never on the data path).</summary>
internal static class TraceText
{
    public static string Describe(in ParsedPacket p)
    {
        var l2 = $"{p.EthSource} > {p.EthDestination}";
        if (p.IsArp)
        {
            return $"{l2} arp {(p.ArpOperation == 1 ? "request" : "reply")} {p.IpSource} > {p.IpDestination}";
        }
        if (!p.IsIp)
        {
            return $"{l2} ethertype 0x{p.EtherType.ToString("x4", CultureInfo.InvariantCulture)}";
        }
        var proto = p.IpProtocol switch
        {
            IpProtocol.Tcp => "tcp",
            IpProtocol.Udp => "udp",
            IpProtocol.Icmp => "icmp",
            IpProtocol.Icmpv6 => "icmp6",
            IpProtocol.Sctp => "sctp",
            _ => $"proto {p.IpProtocol}",
        };
        if (p.IpProtocol is IpProtocol.Icmp or IpProtocol.Icmpv6)
        {
            return $"{l2} {proto} {p.IpSource} > {p.IpDestination} type {p.SourcePort} code {p.DestinationPort}";
        }
        var flags = p.IpProtocol == IpProtocol.Tcp ? $" flags 0x{p.TcpFlags.ToString("x2", CultureInfo.InvariantCulture)}" : "";
        return p.HasL4
            ? $"{l2} {proto} {p.IpSource}:{p.SourcePort} > {p.IpDestination}:{p.DestinationPort}{flags}"
            : $"{l2} {proto} {p.IpSource} > {p.IpDestination}";
    }
}
