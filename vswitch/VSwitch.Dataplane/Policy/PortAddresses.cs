using VSwitch.Packets;

namespace VSwitch.Dataplane.Policy;

/// <summary>
/// The source addresses a port may use: its MAC with its fixed IPs, each allowed address pair (a MAC with a prefix),
/// and for every such MAC the IPv6 link-local address derived from it (modified EUI-64).
/// </summary>
/// <remarks>
/// What: a short array of (MAC, prefix) pairs, checked linearly. Why: a port has a handful of addresses; a linear scan
/// over a few 40-byte entries beats any hash. Immutable; built by the control plane.
/// </remarks>
public sealed class PortAddresses
{
    private readonly Entry[] _entries;
    private readonly ulong[] _macs;

    private readonly record struct Entry(ulong Mac, IpAddress128 Prefix, int Length);

    /// <param name="pairs">(MAC, address, prefix length in the address family: /32 IPv4, /128 IPv6 for single addresses).</param>
    public PortAddresses(IEnumerable<(MacAddress Mac, IpAddress128 Address, int PrefixLength)> pairs)
    {
        var entries = new List<Entry>();
        var macs = new HashSet<ulong>();
        foreach (var (mac, address, length) in pairs)
        {
            var length128 = address.IsIpv4Mapped ? 96 + Math.Clamp(length, 0, 32) : Math.Clamp(length, 0, 128);
            entries.Add(new Entry(mac.Value, Mask(address, length128), length128));
            macs.Add(mac.Value);
        }
        foreach (var mac in macs)
        {
            entries.Add(new Entry(mac, LinkLocal(new MacAddress(mac)), 128));
        }
        _entries = [.. entries];
        _macs = [.. macs];
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

    /// <summary>True when <paramref name="address"/> may be used with source MAC <paramref name="mac"/>.</summary>
    public bool Allows(MacAddress mac, IpAddress128 address)
    {
        foreach (ref readonly var e in _entries.AsSpan())
        {
            if (e.Mac == mac.Value && Mask(address, e.Length) == e.Prefix)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>True when any of the port's MACs may use <paramref name="address"/> (revalidation of tracked connections).</summary>
    public bool AllowsIp(IpAddress128 address)
    {
        foreach (ref readonly var e in _entries.AsSpan())
        {
            if (Mask(address, e.Length) == e.Prefix)
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
