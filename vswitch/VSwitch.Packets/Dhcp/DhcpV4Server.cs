namespace VSwitch.Packets.Dhcp;

/// <summary>
/// What the switch's DHCPv4 server tells one port (built by the control plane from the port's subnet): its address and
/// the subnet's settings. Addresses are IPv4 in host order.
/// </summary>
/// <param name="ClientAddress">The port's address (the only one it is ever offered).</param>
/// <param name="PrefixLength">The subnet's prefix length (the subnet mask option).</param>
/// <param name="ServerAddress">The server identifier and the replies' source address.</param>
/// <param name="ServerMac">The replies' source MAC.</param>
/// <param name="Router">The subnet's gateway, or 0 for none.</param>
/// <param name="DnsServers">Option 6, in order (may be empty).</param>
/// <param name="Mtu">Option 26, or 0 to leave it out.</param>
/// <param name="LeaseSeconds">Option 51 (Neutron's <c>dhcp_lease_duration</c>, 86,400 by default).</param>
/// <param name="Routes">Option 121 (classless static routes): destination, prefix length, next hop.</param>
public sealed record DhcpV4Server(uint ClientAddress, int PrefixLength, uint ServerAddress, MacAddress ServerMac, uint Router,
    uint[] DnsServers, int Mtu, int LeaseSeconds, (uint Destination, int PrefixLength, uint NextHop)[] Routes);

/// <summary>DHCP message types (option 53).</summary>
public enum DhcpMessageType : byte
{
    None = 0,
    Discover = 1,
    Offer = 2,
    Request = 3,
    Decline = 4,
    Ack = 5,
    Nak = 6,
    Release = 7,
    Inform = 8,
}
