using VSwitch.Packets;

namespace VSwitch.Dataplane.Policy;

/// <summary>
/// The source addresses a port may use: its MAC with its fixed IPs, each allowed address pair (a MAC with a prefix),
/// and for every such MAC the IPv6 link-local address derived from it (modified EUI-64).
/// </summary>
/// <remarks>
/// What: a short array of (MAC, prefix, family) entries, checked linearly. Why: a port has a handful of addresses; a
/// linear scan over a few 40-byte entries beats any hash. The family is part of each entry because IPv4 is kept
/// IPv4-mapped in <see cref="IpAddress128"/>: without it an IPv6 entry such as <c>::ffff:198.18.0.5</c> (which Neutron keeps
/// IPv6) would let the port send IPv4 from 198.18.0.5. Immutable; built by the control plane.
/// </remarks>
public sealed class PortAddresses
{
    private readonly Prefix[] _entries;
    private readonly ulong[] _macs;

    /// <summary>One address a port may use.</summary>
    /// <param name="Mac">The source MAC it goes with.</param>
    /// <param name="Address">The address (IPv4 mapped into 128 bits).</param>
    /// <param name="PrefixLength">Within its family: /32 IPv4 and /128 IPv6 for single addresses.</param>
    /// <param name="Ipv6">The family: an IPv6 entry allows IPv6 packets only, an IPv4 entry IPv4 packets and ARP.</param>
    public readonly record struct Entry(MacAddress Mac, IpAddress128 Address, int PrefixLength, bool Ipv6);

    private readonly record struct Prefix(ulong Mac, IpAddress128 Network, int Length128, bool Ipv6);

    public PortAddresses(IEnumerable<Entry> entries)
    {
        var prefixes = new List<Prefix>();
        var macs = new HashSet<ulong>();
        foreach (var (mac, address, length, ipv6) in entries)
        {
            var length128 = ipv6 ? Math.Clamp(length, 0, 128) : 96 + Math.Clamp(length, 0, 32);
            prefixes.Add(new Prefix(mac.Value, Mask(address, length128), length128, ipv6));
            macs.Add(mac.Value);
        }
        foreach (var mac in macs)
        {
            prefixes.Add(new Prefix(mac, LinkLocal(new MacAddress(mac)), 128, Ipv6: true));
        }
        _entries = [.. prefixes];
        _macs = [.. macs];
    }

    /// <summary>
    /// Entries as (MAC, address, prefix length within the family), the family taken from the address: an IPv4-mapped
    /// address is IPv4. For tests and benchmarks that only ever use IPv4 or non-mapped IPv6.
    /// </summary>
    public PortAddresses(IEnumerable<(MacAddress Mac, IpAddress128 Address, int PrefixLength)> pairs)
        : this(pairs.Select(p => new Entry(p.Mac, p.Address, p.PrefixLength, !p.Address.IsIpv4Mapped)))
    {
    }

    /// <summary>MACs the port may send from.</summary>
    public ReadOnlySpan<ulong> Macs => _macs;

    public bool AllowsMac(MacAddress mac)
    {
        foreach (var m in _macs)
        {
            if (m == mac.Value)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when <paramref name="address"/> of the given family may be used with source MAC <paramref name="mac"/>.</summary>
    public bool Allows(MacAddress mac, IpAddress128 address, bool ipv6)
    {
        foreach (ref readonly var e in _entries.AsSpan())
        {
            if (e.Mac == mac.Value && e.Ipv6 == ipv6 && Mask(address, e.Length128) == e.Network)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when any of the port's MACs may use <paramref name="address"/> of the given family (revalidation of tracked connections).</summary>
    public bool AllowsIp(IpAddress128 address, bool ipv6)
    {
        foreach (ref readonly var e in _entries.AsSpan())
        {
            if (e.Ipv6 == ipv6 && Mask(address, e.Length128) == e.Network)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The IPv6 link-local address derived from a MAC (RFC 4291 modified EUI-64).</summary>
    public static IpAddress128 LinkLocal(MacAddress mac)
    {
        var m = mac.Value;
        var eui = ((m >> 24) << 40) | (0xFFFEUL << 24) | (m & 0xFF_FFFF);
        eui ^= 0x0200_0000_0000_0000UL;
        return new IpAddress128(0xFE80_0000_0000_0000UL, eui);
    }

    private static IpAddress128 Mask(IpAddress128 a, int length)
    {
        var high = length switch { 0 => 0UL, >= 64 => ulong.MaxValue, _ => ulong.MaxValue << (64 - length) };
        var low = length switch { <= 64 => 0UL, 128 => ulong.MaxValue, _ => ulong.MaxValue << (128 - length) };
        return new IpAddress128(a.High & high, a.Low & low);
    }
}
