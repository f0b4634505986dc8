using VSwitch.Packets;

namespace VSwitch.Dataplane.Policy;

/// <summary>
/// One allow rule in the form the classifier compiles: every Neutron field reduced to masks over a packet's remote
/// address, protocol and destination port (or ICMP type and code).
/// </summary>
/// <remarks>
/// The control plane turns security-group rules into these, one per rule: a <c>remote_group_id</c> or
/// <c>remote_address_group_id</c> rule names an <see cref="Policy.AddressSet"/> by index instead of carrying its members.
/// <see cref="Index"/> is what a lookup returns: the lowest index among the matching rules, so that hit counters name
/// one rule deterministically.
/// </remarks>
/// <param name="Index">The rule's number within the port and direction (0-based; lower wins).</param>
/// <param name="Ipv6">The rule's ethertype: IPv6 if true, else IPv4.</param>
/// <param name="Protocol">IP protocol number, or -1 for any protocol.</param>
/// <param name="PortMin">Lowest destination port (TCP/UDP/SCTP/UDPLite/DCCP), or -1 for any port.</param>
/// <param name="PortMax">Highest destination port, or -1.</param>
/// <param name="IcmpType">ICMP/ICMPv6 type, or -1 for any type.</param>
/// <param name="IcmpCode">ICMP/ICMPv6 code, or -1 for any code (needs a type).</param>
/// <param name="RemoteAddress">The remote prefix's network address (IPv4 mapped into 128 bits).</param>
/// <param name="RemotePrefixLength">The prefix length in 128-bit terms (IPv4 /n is 96 + n); 0 matches any address.</param>
/// <param name="AddressSet">When 0 or more: the remote address must be in this entry of the snapshot's address sets
/// (<see cref="RemoteAddress"/> and <see cref="RemotePrefixLength"/> are then ignored); -1: no set.</param>
public sealed record ClassifierRule(
    int Index,
    bool Ipv6,
    int Protocol,
    int PortMin,
    int PortMax,
    int IcmpType,
    int IcmpCode,
    IpAddress128 RemoteAddress,
    int RemotePrefixLength,
    int AddressSet = -1)
{
    /// <summary>Protocols whose rules may carry a destination port range (Neutron's list).</summary>
    public static bool HasPorts(int protocol) => protocol is 6 or 17 or 132 or 136 or 33;

    /// <summary>ICMP for IPv4, ICMPv6 for IPv6: the port-range fields are type and code.</summary>
    public static bool IsIcmp(int protocol) => protocol is IpProtocol.Icmp or IpProtocol.Icmpv6;
}
