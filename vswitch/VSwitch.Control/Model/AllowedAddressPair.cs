using VSwitch.Packets;

namespace VSwitch.Control.Model;

/// <summary>
/// An extra address a port may send from (Neutron's <c>allowed_address_pairs</c>): a prefix (a plain address is a
/// host prefix) and the MAC address it comes with (the port's own unless given).
/// </summary>
/// <remarks>
/// Anti-spoofing lets the port send from these, and remote-group rules count them as addresses of the port's groups.
/// Neutron returns the address as it was given; here a host prefix is shown without its length and any other prefix
/// as <c>ADDRESS/LENGTH</c> (see <see cref="IpAddressText"/>).
/// </remarks>
/// <param name="IpAddress">The address or prefix.</param>
/// <param name="MacAddress">The MAC that goes with it.</param>
public sealed record AllowedAddressPair(IpPrefix IpAddress, MacAddress MacAddress)
{
    /// <summary>The <c>ip_address</c> field: <c>10.0.0.5</c> for a host, <c>10.0.0.0/24</c> for a prefix.</summary>
    public string IpAddressText => IpAddress.IsHost ? IpAddress.AddressText : IpAddress.ToString();
}
