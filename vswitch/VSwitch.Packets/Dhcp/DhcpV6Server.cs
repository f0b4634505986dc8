namespace VSwitch.Packets.Dhcp;

/// <summary>
/// What the switch's DHCPv6 server tells one port (built by the control plane from the port's network): its address on
/// a <c>dhcpv6-stateful</c> subnet, if it has one, and the DNS servers of the network's DHCPv6 subnets.
/// </summary>
/// <param name="ClientAddress">The port's address on a stateful subnet (the only one it is ever given), or null when the
/// network's DHCPv6 subnets are stateless: then only Information-requests are answered.</param>
/// <param name="ServerMac">The replies' source MAC; the server's DUID (DUID-LL) and link-local address derive from it.</param>
/// <param name="DnsServers">Option 23, in order (may be empty).</param>
/// <param name="LeaseSeconds">The address's preferred and valid lifetime (T1 is half, T2 four fifths).</param>
public sealed record DhcpV6Server(IpAddress128? ClientAddress, MacAddress ServerMac, IpAddress128[] DnsServers, int LeaseSeconds)
{
    /// <summary>The server's link-local address, fe80::/64 with the EUI-64 of <see cref="ServerMac"/>: the replies' source.</summary>
    public IpAddress128 LinkLocal { get; } = Ndp.RouterAdvertisement.LinkLocal(ServerMac);
}

/// <summary>DHCPv6 message types (RFC 8415 §7.3).</summary>
public enum DhcpV6MessageType : byte
{
    None = 0,
    Solicit = 1,
    Advertise = 2,
    Request = 3,
    Confirm = 4,
    Renew = 5,
    Rebind = 6,
    Reply = 7,
    Release = 8,
    Decline = 9,
    InformationRequest = 11,
}
