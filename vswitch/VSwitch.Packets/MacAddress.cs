using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace VSwitch.Packets;

/// <summary>
/// A 48-bit Ethernet address packed into the low 48 bits of a <see cref="ulong"/>, first octet most significant.
/// </summary>
/// <remarks>
/// Packing lets the MAC table compare and hash addresses as one machine word (VPP's <c>l2fib_entry_key_t</c>).
/// </remarks>
public readonly struct MacAddress : IEquatable<MacAddress>
{
    /// <summary>The packed value: octet 0 in bits 40..47, octet 5 in bits 0..7.</summary>
    public readonly ulong Value;

    public MacAddress(ulong value) => Value = value & 0xFFFF_FFFF_FFFFUL;

    public static MacAddress Broadcast => new(0xFFFF_FFFF_FFFFUL);

    /// <summary>Reads six octets in network order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MacAddress Read(ReadOnlySpan<byte> six)
    {
        ulong hi = BinaryPrimitives.ReadUInt16BigEndian(six);
        ulong lo = BinaryPrimitives.ReadUInt32BigEndian(six.Slice(2));
        return new MacAddress((hi << 32) | lo);
    }

    public void Write(Span<byte> six)
    {
        BinaryPrimitives.WriteUInt16BigEndian(six, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(six.Slice(2), (uint)Value);
    }

    /// <summary>The group bit (I/G) of the first octet: broadcast and multicast.</summary>
    public bool IsMulticast => (Value & 0x0100_0000_0000UL) != 0;

    public bool IsBroadcast => Value == 0xFFFF_FFFF_FFFFUL;

    public bool IsZero => Value == 0;

    public static bool TryParse(string? text, out MacAddress mac)
    {
        mac = default;
        if (text is null)
        {
            return false;
        }
        var parts = text.Split(':', '-');
        if (parts.Length != 6)
        {
            return false;
        }
        ulong value = 0;
        foreach (var part in parts)
        {
            if (part.Length is < 1 or > 2 || !byte.TryParse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var octet))
            {
                return false;
            }
            value = (value << 8) | octet;
        }
        mac = new MacAddress(value);
        return true;
    }

    public static MacAddress Parse(string text) =>
        TryParse(text, out var mac) ? mac : throw new FormatException($"'{text}' is not a MAC address (expected six hex octets such as fa:16:3e:00:00:01)");

    public bool Equals(MacAddress other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

    public override int GetHashCode() => Value.GetHashCode();

    public static bool operator ==(MacAddress a, MacAddress b) => a.Value == b.Value;

    public static bool operator !=(MacAddress a, MacAddress b) => a.Value != b.Value;

    public override string ToString() => string.Create(17, Value, static (span, v) =>
    {
        for (var i = 0; i < 6; i++)
        {
            var octet = (byte)(v >> (40 - (8 * i)));
            octet.TryFormat(span.Slice(i * 3, 2), out _, "x2", CultureInfo.InvariantCulture);
            if (i < 5)
            {
                span[(i * 3) + 2] = ':';
            }
        }
    });
}
