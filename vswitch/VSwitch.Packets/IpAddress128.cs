using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace VSwitch.Packets;

/// <summary>
/// An IPv4 or IPv6 address in 128 bits. IPv4 is stored IPv4-mapped (<c>::ffff:a.b.c.d</c>) so that one key layout
/// serves both families (VPP's <c>fa_5tuple_t</c> keeps IPv4 inside the IPv6 slots the same way).
/// </summary>
public readonly struct IpAddress128 : IEquatable<IpAddress128>
{
    /// <summary>Bits 127..64 in host order (the first eight octets of the address, big-endian).</summary>
    public readonly ulong High;

    /// <summary>Bits 63..0 in host order.</summary>
    public readonly ulong Low;

    private const ulong V4MappedLowPrefix = 0x0000_FFFF_0000_0000UL;

    public IpAddress128(ulong high, ulong low)
    {
        High = high;
        Low = low;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IpAddress128 FromIpv4(uint addressHostOrder) => new(0, V4MappedLowPrefix | addressHostOrder);

    /// <summary>Reads four octets in network order as an IPv4-mapped address.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IpAddress128 ReadIpv4(ReadOnlySpan<byte> four) => FromIpv4(BinaryPrimitives.ReadUInt32BigEndian(four));

    /// <summary>Reads sixteen octets in network order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static IpAddress128 ReadIpv6(ReadOnlySpan<byte> sixteen) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(sixteen), BinaryPrimitives.ReadUInt64BigEndian(sixteen.Slice(8)));

    public bool IsIpv4Mapped => High == 0 && (Low & 0xFFFF_FFFF_0000_0000UL) == V4MappedLowPrefix;

    /// <summary>The IPv4 address in host order; meaningful only when <see cref="IsIpv4Mapped"/>.</summary>
    public uint Ipv4 => (uint)Low;

    public static IpAddress128 FromIPAddress(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes, out _);
            return ReadIpv4(bytes);
        }
        if (address.IsIPv4MappedToIPv6)
        {
            return FromIPAddress(address.MapToIPv4());
        }
        address.TryWriteBytes(bytes, out _);
        return ReadIpv6(bytes);
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        if (IsIpv4Mapped)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, Ipv4);
            return new IPAddress(bytes.Slice(0, 4));
        }
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.Slice(8), Low);
        return new IPAddress(bytes);
    }

    public bool Equals(IpAddress128 other) => High == other.High && Low == other.Low;

    public override bool Equals(object? obj) => obj is IpAddress128 other && Equals(other);

    /// <remarks>
    /// A fixed multiplicative mix, not <see cref="HashCode"/>'s seeded one: a router looks every routed packet's next hop
    /// up by address, and the tables keyed by addresses are built from the model (the operator's addresses), never
    /// from what packets carry, so a seed buys nothing there.
    /// </remarks>
    public override int GetHashCode()
    {
        var h = (High ^ (Low * 0x9E3779B97F4A7C15UL)) * 0xC2B2AE3D27D4EB4FUL;
        return (int)(h ^ (h >> 32));
    }

    public static bool operator ==(IpAddress128 a, IpAddress128 b) => a.Equals(b);

    public static bool operator !=(IpAddress128 a, IpAddress128 b) => !a.Equals(b);

    public override string ToString() => ToIPAddress().ToString();
}
