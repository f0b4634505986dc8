namespace VSwitch.Dataplane.Policy;

/// <summary>
/// Which bits of a query a group of compiled entries compares: a remote prefix length, whether the protocol is
/// compared, and a destination-port prefix length (ICMP: 8 bits of type, or 16 bits of type and code).
/// </summary>
/// <param name="Id">Part of every hash key, so entries of different mask types never collide as equal.</param>
/// <param name="Ipv6">The family whose queries use this mask type.</param>
/// <param name="AddressLength">Leading bits of the 128-bit remote address compared (0 = any).</param>
/// <param name="MatchProtocol">Whether the protocol number is compared.</param>
/// <param name="PortLength">Leading bits of the 16-bit port key compared (0 = any).</param>
/// <param name="AddressSet">Entries of this type list (rule, address set) pairs: the address is looked up in the sets
/// rather than compared (<see cref="AddressLength"/> is 0).</param>
public readonly record struct MaskType(ushort Id, bool Ipv6, byte AddressLength, bool MatchProtocol, byte PortLength, bool AddressSet = false)
{
    public ulong AddressMaskHigh => AddressLength switch
    {
        0 => 0,
        >= 64 => ulong.MaxValue,
        _ => ulong.MaxValue << (64 - AddressLength),
    };

    public ulong AddressMaskLow => AddressLength switch
    {
        <= 64 => 0,
        128 => ulong.MaxValue,
        _ => ulong.MaxValue << (128 - AddressLength),
    };

    public ushort PortMask => PortLength == 0 ? (ushort)0 : (ushort)(0xFFFF << (16 - PortLength));
}
