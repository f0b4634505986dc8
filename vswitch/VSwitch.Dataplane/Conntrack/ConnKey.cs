// ConnKey: the 40-byte identity of a connection, the same for both of its directions.
//
// What
//   Zone (the network index), IP protocol and the two endpoints (address, port) of a connection, stored in
//   canonical order: the endpoint that compares lower (address, then port) is always endpoint A. A packet from
//   A to B and its reply from B to A therefore build the same key, and one hash probe finds the entry whatever
//   the direction; Create reports whether it had to swap the packet's endpoints, and the entry remembers the
//   swap of its original direction, so "swapped != original swap" means "reply".
//   Layout, five ulong words: A.High, A.Low, B.High, B.Low (IPv4 is IPv4-mapped, as in IpAddress128) and a meta
//   word = A port | B port << 16 | protocol << 32 | zone << 40 (23 bits) | IPv6 << 63. The family bit keeps an
//   IPv6 packet that carries IPv4-mapped addresses from ever matching an IPv4 connection. ICMP echo uses the identifier
//   as both ports (the identifier is the same both ways); protocols without ports use 0.
//
// Why
//   STYLE rule 3: fixed, blittable, compared and hashed as words; no tuples or strings on the hot path. A
//   canonical key halves the probes against the alternative (store the original key, look up both orientations)
//   and the single entry per connection halves memory against Linux's two hash nodes per connection.
//   The hash is seeded (a random seed per table) so that nobody outside can aim tuples at one chain.
//
// Thread-safety
//   An immutable value.
//
// Measured
//   Size 40 bytes, asserted by LayoutTests. Create + Hash are a handful of multiplies: a Track of a cache-hot flow,
//   which includes them, the lock and the tracker, costs 26 ns (Conntrack/README.md).

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>A connection's identity in canonical (direction-independent) form: zone, protocol, two endpoints.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public readonly struct ConnKey : IEquatable<ConnKey>
{
    /// <summary>Bytes in a key.</summary>
    public const int Size = 40;

    /// <summary>Bits of the zone kept in the key; zones are masked to this width.</summary>
    public const int ZoneBits = 23;

    private const ulong Ipv6Bit = 1UL << 63;

    [FieldOffset(0)] private readonly ulong _aHigh;
    [FieldOffset(8)] private readonly ulong _aLow;
    [FieldOffset(16)] private readonly ulong _bHigh;
    [FieldOffset(24)] private readonly ulong _bLow;
    [FieldOffset(32)] private readonly ulong _meta;

    private ConnKey(IpAddress128 a, IpAddress128 b, ulong meta)
    {
        _aHigh = a.High;
        _aLow = a.Low;
        _bHigh = b.High;
        _bLow = b.Low;
        _meta = meta;
    }

    /// <summary>
    /// The canonical key of a packet from (<paramref name="source"/>, <paramref name="sourcePort"/>) to
    /// (<paramref name="destination"/>, <paramref name="destinationPort"/>) in zone <paramref name="zone"/> (masked to
    /// <see cref="ZoneBits"/> bits). <paramref name="swapped"/> is true when the
    /// packet's source became endpoint B.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ConnKey Create(int zone, byte protocol, bool ipv6, IpAddress128 source, ushort sourcePort,
        IpAddress128 destination, ushort destinationPort, out bool swapped)
    {
        var protoZone = ((ulong)protocol << 32) | ((ulong)(uint)(zone & ((1 << ZoneBits) - 1)) << 40) | (ipv6 ? Ipv6Bit : 0);
        swapped = source.High != destination.High
            ? source.High > destination.High
            : source.Low != destination.Low
                ? source.Low > destination.Low
                : sourcePort > destinationPort;
        return swapped
            ? new ConnKey(destination, source, protoZone | destinationPort | ((ulong)sourcePort << 16))
            : new ConnKey(source, destination, protoZone | sourcePort | ((ulong)destinationPort << 16));
    }

    /// <summary>The zone (network index), masked to <see cref="ZoneBits"/> bits.</summary>
    public int Zone => (int)(_meta >> 40) & ((1 << ZoneBits) - 1);

    /// <summary>True for an IPv6 connection.</summary>
    public bool IsIpv6 => (_meta & Ipv6Bit) != 0;

    /// <summary>The IP protocol.</summary>
    public byte Protocol => (byte)(_meta >> 32);

    /// <summary>Endpoint A's address (the lower endpoint).</summary>
    public IpAddress128 AddressA => new(_aHigh, _aLow);

    /// <summary>Endpoint A's port (ICMP echo: the identifier).</summary>
    public ushort PortA => (ushort)_meta;

    /// <summary>Endpoint B's address (the higher endpoint).</summary>
    public IpAddress128 AddressB => new(_bHigh, _bLow);

    /// <summary>Endpoint B's port (ICMP echo: the identifier).</summary>
    public ushort PortB => (ushort)(_meta >> 16);

    /// <summary>A 64-bit seeded hash of the five words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(ulong seed)
    {
        // One multiply per word, a rotation to carry high bits down, and a final avalanche (the fmix64 constants).
        const ulong K = 0x9E37_79B9_7F4A_7C15UL;
        var h = seed;
        h = BitOperations.RotateLeft((h ^ _aHigh) * K, 29);
        h = BitOperations.RotateLeft((h ^ _aLow) * K, 29);
        h = BitOperations.RotateLeft((h ^ _bHigh) * K, 29);
        h = BitOperations.RotateLeft((h ^ _bLow) * K, 29);
        h = (h ^ _meta) * K;
        h ^= h >> 33;
        h *= 0xFF51_AFD7_ED55_8CCDUL;
        h ^= h >> 33;
        h *= 0xC4CE_B9FE_1A85_EC53UL;
        h ^= h >> 33;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(ConnKey other) =>
        ((_aHigh ^ other._aHigh) | (_aLow ^ other._aLow) | (_bHigh ^ other._bHigh) | (_bLow ^ other._bLow)
            | (_meta ^ other._meta)) == 0;

    public override bool Equals(object? obj) => obj is ConnKey other && Equals(other);

    public override int GetHashCode() => (int)Hash(0);

    public static bool operator ==(ConnKey a, ConnKey b) => a.Equals(b);

    public static bool operator !=(ConnKey a, ConnKey b) => !a.Equals(b);

    public override string ToString() =>
        $"zone {Zone} proto {Protocol} {AddressA}:{PortA} <-> {AddressB}:{PortB}";
}
