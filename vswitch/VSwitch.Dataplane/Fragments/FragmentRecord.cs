using System.Runtime.InteropServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Fragments;

/// <summary>
/// What the fragment table remembers of one fragmented datagram: its identity (the port it came in on, addresses,
/// protocol, identification) and its first fragment's L4 fields, which its later fragments take.
/// </summary>
/// <remarks>One cache line (asserted by a test); <see cref="InPortPlusOne"/> 0 marks a free way.</remarks>
[StructLayout(LayoutKind.Sequential, Size = Size)]
internal struct FragmentRecord
{
    /// <summary>Bytes of a record.</summary>
    public const int Size = 64;

    public IpAddress128 Source;
    public IpAddress128 Destination;

    /// <summary>When the record was created or last matched, on the data path's clock.</summary>
    public long LastSeenMs;

    /// <summary>The datagram's identification (IPv4: 16 bits, IPv6: 32 bits).</summary>
    public uint Id;

    /// <summary>Slot + 1 of the port the fragments arrive on; 0 for a free way.</summary>
    public int InPortPlusOne;

    /// <summary>First fragment's source port, or ICMP type.</summary>
    public ushort SourcePort;

    /// <summary>First fragment's destination port, or ICMP code.</summary>
    public ushort DestinationPort;

    public ushort IcmpIdentifier;

    /// <summary>Bytes of fragment data the first fragment carried: a later fragment must start at or beyond them.</summary>
    public ushort FirstDataLength;

    public byte Protocol;

    /// <summary>1 for IPv6.</summary>
    public byte Ipv6;

    public byte TcpFlags;

    /// <summary>True when the record holds this datagram's first fragment (same port, family, protocol, addresses, id).</summary>
    public readonly bool Matches(in ParsedPacket p, int inPort) =>
        InPortPlusOne == inPort + 1 && Id == p.FragmentId && Protocol == p.IpProtocol && Ipv6 == (p.IsIpv6 ? 1 : 0)
        && Source == p.IpSource && Destination == p.IpDestination;
}
