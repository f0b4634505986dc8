using VSwitch.Packets;

namespace VSwitch.Control.Model;

/// <summary>
/// Address arithmetic of subnets: their ranges, default allocation pools, the next free address, EUI-64 addresses.
/// </summary>
/// <remarks>
/// Addresses are 128-bit values (IPv4 mapped into <c>::ffff:0:0/96</c>), so one code path serves both families.
/// Allocation takes the lowest free address of the pools in order (Neutron's in-tree IPAM picks among the lowest free
/// ones too): deterministic, and what is freed is reused first. What is in use is read from the ports themselves, so a
/// port's delete frees its addresses with nothing else to update.
/// </remarks>
public static class Ipam
{
    public static UInt128 Value(IpAddress128 address) => ((UInt128)address.High << 64) | address.Low;

    public static IpAddress128 Address(UInt128 value) => new((ulong)(value >> 64), (ulong)value);

    public static IpPrefix Host(UInt128 value, Ethertype family) => new(Address(value), family == Ethertype.IPv4 ? 32 : 128, family);

    /// <summary>The first and last address of <paramref name="cidr"/>.</summary>
    public static (UInt128 First, UInt128 Last) Range(IpPrefix cidr)
    {
        var first = Value(cidr.Network.Address);
        var hostBits = 128 - cidr.PrefixLength128;
        var span = hostBits == 128 ? UInt128.MaxValue : (UInt128.One << hostBits) - 1;
        return (first, first + span);
    }

    /// <summary>
    /// Neutron's default pools: the CIDR without its network address (and, for IPv4 from /30 up, its broadcast
    /// address), split around the gateway.
    /// </summary>
    public static EquatableArray<AllocationPool> DefaultPools(IpPrefix cidr, IpPrefix? gateway)
    {
        var (first, last) = Range(cidr);
        if (cidr.Family == Ethertype.IPv4 && cidr.PrefixLength <= 30)
        {
            first++;
            last--;
        }
        else if (cidr.Family == Ethertype.IPv6 && cidr.PrefixLength < 127)
        {
            first++;
        }
        var pools = new List<AllocationPool>();
        void Add(UInt128 start, UInt128 end)
        {
            if (start <= end)
            {
                pools.Add(new AllocationPool(Host(start, cidr.Family), Host(end, cidr.Family)));
            }
        }
        if (gateway is { } g && Value(g.Address) >= first && Value(g.Address) <= last)
        {
            var at = Value(g.Address);
            if (at > first)
            {
                Add(first, at - 1);
            }
            if (at < last)
            {
                Add(at + 1, last);
            }
        }
        else
        {
            Add(first, last);
        }
        return pools.ToEquatableArray();
    }

    /// <summary>The lowest address of the subnet's pools that is not in <paramref name="used"/>, or null when all are.</summary>
    public static IpPrefix? NextFree(Subnet subnet, IReadOnlySet<UInt128> used)
    {
        foreach (var pool in subnet.AllocationPools)
        {
            var end = Value(pool.End.Address);
            for (var candidate = Value(pool.Start.Address); candidate <= end; candidate++)
            {
                if (!used.Contains(candidate))
                {
                    return Host(candidate, subnet.Cidr.Family);
                }
                if (candidate == UInt128.MaxValue)
                {
                    break;
                }
            }
        }
        return null;
    }

    /// <summary>The EUI-64 address of <paramref name="mac"/> in a /64 (SLAAC): the prefix, then the MAC with ff:fe in the middle and the universal/local bit flipped.</summary>
    public static IpPrefix Eui64(IpPrefix cidr, MacAddress mac)
    {
        var m = mac.Value;
        var interfaceId = ((m >> 24) << 40) | (0xFFFEUL << 24) | (m & 0xFF_FFFF);
        interfaceId ^= 0x0200_0000_0000_0000UL;
        return new IpPrefix(new IpAddress128(cidr.Network.Address.High, interfaceId), 128, Ethertype.IPv6);
    }

    /// <summary>True when <paramref name="address"/> lies in one of the pools.</summary>
    public static bool InPools(EquatableArray<AllocationPool> pools, IpPrefix address)
    {
        var value = Value(address.Address);
        return pools.Any(p => p.Start.Family == address.Family && Value(p.Start.Address) <= value && value <= Value(p.End.Address));
    }
}
