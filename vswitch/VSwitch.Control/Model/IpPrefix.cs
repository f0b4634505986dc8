using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using VSwitch.Packets;

namespace VSwitch.Control.Model;

/// <summary>
/// An address with a prefix length, as given (<c>10.0.0.34/24</c> keeps its host bits), in the 128-bit form the
/// classifier uses.
/// </summary>
/// <remarks>
/// <para><b>Why host bits are kept.</b> Neutron stores <c>remote_ip_prefix</c> as the user wrote it (a plain address
/// gains its full-length mask: <c>10.0.0.1</c> becomes <c>10.0.0.1/32</c>) and exposes the network address separately
/// as <c>normalized_cidr</c> (<c>10.0.0.0/24</c>); neutron's fullstack test <c>test_normalized_cidr_in_rule</c> pins
/// both. <see cref="ToString"/> is the former and <see cref="Network"/> the latter.</para>
/// <para><b>Layout.</b> IPv4 is kept IPv4-mapped in <see cref="IpAddress128"/>, as everywhere in the switch, with the
/// family stored beside it (so that an IPv6 literal such as <c>::ffff:1.2.3.4/128</c> stays IPv6).
/// <see cref="PrefixLength128"/> is the length over 128 bits (IPv4 /n is 96 + n), which is what
/// <c>ClassifierRule.RemotePrefixLength</c> expects.</para>
/// <para><b>Parsing</b> is strict: IPv4 must be four decimal octets (no <c>inet_aton</c> shorthands such as
/// <c>10.1</c>), IPv6 must not carry a zone, and the length must be decimal digits within the family's range.</para>
/// </remarks>
public readonly record struct IpPrefix
{
    public IpPrefix(IpAddress128 address, int prefixLength, Ethertype family)
    {
        var max = family == Ethertype.IPv4 ? 32 : 128;
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, max);
        if (family == Ethertype.IPv4 && !address.IsIpv4Mapped)
        {
            throw new ArgumentException("an IPv4 prefix needs an IPv4-mapped address", nameof(address));
        }
        Address = address;
        PrefixLength = prefixLength;
        Family = family;
    }

    /// <summary>The address as given (host bits kept).</summary>
    public IpAddress128 Address { get; }

    /// <summary>The prefix length within the family (0-32 or 0-128).</summary>
    public int PrefixLength { get; }

    public Ethertype Family { get; }

    /// <summary>The prefix length over 128 bits: IPv4 /n is 96 + n.</summary>
    public int PrefixLength128 => Family == Ethertype.IPv4 ? 96 + PrefixLength : PrefixLength;

    /// <summary>True for a single address (/32 or /128).</summary>
    public bool IsHost => PrefixLength == (Family == Ethertype.IPv4 ? 32 : 128);

    /// <summary>True for 0.0.0.0/0 or ::/0.</summary>
    public bool IsAny => PrefixLength == 0;

    /// <summary>The network address with the same length (Neutron's <c>normalized_cidr</c>).</summary>
    public IpPrefix Network
    {
        get
        {
            var (high, low) = Mask(PrefixLength128);
            return new IpPrefix(new IpAddress128(Address.High & high, Address.Low & low), PrefixLength, Family);
        }
    }

    /// <summary>
    /// A single address: /32 when it is IPv4-mapped, else /128. The family is inferred, so an IPv4-mapped IPv6 address
    /// becomes IPv4: for addresses read off IPv4 packets; use <see cref="TryParseHost"/> for what users type.
    /// </summary>
    public static IpPrefix Host(IpAddress128 address) =>
        address.IsIpv4Mapped ? new IpPrefix(address, 32, Ethertype.IPv4) : new IpPrefix(address, 128, Ethertype.IPv6);

    /// <summary>True if the address is of this family and within the prefix (the family inferred from the address).</summary>
    public bool Contains(IpAddress128 address) => Contains(address, address.IsIpv4Mapped ? Ethertype.IPv4 : Ethertype.IPv6);

    /// <summary>True if <paramref name="address"/> of <paramref name="family"/> is within the prefix.</summary>
    public bool Contains(IpAddress128 address, Ethertype family)
    {
        if (family != Family || (family == Ethertype.IPv4 && !address.IsIpv4Mapped))
        {
            return false;
        }
        var (high, low) = Mask(PrefixLength128);
        return (address.High & high) == (Address.High & high) && (address.Low & low) == (Address.Low & low);
    }

    /// <summary>Parses <c>ADDRESS/LENGTH</c> or a plain address (a host prefix).</summary>
    public static bool TryParse(string? text, out IpPrefix prefix)
    {
        prefix = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (!TryParseAddress(addressText, out var address, out var family))
        {
            return false;
        }
        var max = family == Ethertype.IPv4 ? 32 : 128;
        var length = max;
        if (slash >= 0)
        {
            var lengthText = text[(slash + 1)..];
            if (lengthText.Length is < 1 or > 3 || !lengthText.All(char.IsAsciiDigit)
                || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max)
            {
                return false;
            }
        }
        prefix = new IpPrefix(address, length, family);
        return true;
    }

    /// <summary>Parses a plain address as a host prefix of its own family (/32 or /128; IPv4-mapped IPv6 stays IPv6).</summary>
    public static bool TryParseHost(string? text, out IpPrefix host)
    {
        host = default;
        if (!TryParseAddress(text, out var address, out var family))
        {
            return false;
        }
        host = new IpPrefix(address, family == Ethertype.IPv4 ? 32 : 128, family);
        return true;
    }

    /// <summary>Parses a plain IPv4 (four decimal octets) or IPv6 address (no zone).</summary>
    public static bool TryParseAddress(string? text, out IpAddress128 address, out Ethertype family)
    {
        address = default;
        family = Ethertype.IPv4;
        if (string.IsNullOrEmpty(text) || text.Length > 45)
        {
            return false;
        }
        if (text.Contains(':'))
        {
            if (text.Contains('%') || text.Contains('[') || !IPAddress.TryParse(text, out var ip)
                || ip.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }
            Span<byte> bytes = stackalloc byte[16];
            ip.TryWriteBytes(bytes, out _);
            address = IpAddress128.ReadIpv6(bytes);
            family = Ethertype.IPv6;
            return true;
        }
        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }
        uint value = 0;
        foreach (var part in parts)
        {
            if (part.Length is < 1 or > 3 || !part.All(char.IsAsciiDigit)
                || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var octet))
            {
                return false;
            }
            value = (value << 8) | octet;
        }
        address = IpAddress128.FromIpv4(value);
        return true;
    }

    /// <summary>The address in its family's text form (IPv6 compressed, lowercase).</summary>
    public string AddressText => FormatAddress(Address, Family);

    /// <summary><c>ADDRESS/LENGTH</c>, with the host bits as given (Neutron's <c>remote_ip_prefix</c>).</summary>
    public override string ToString() => $"{AddressText}/{PrefixLength}";

    internal static string FormatAddress(IpAddress128 address, Ethertype family)
    {
        if (family == Ethertype.IPv4)
        {
            return address.ToString();
        }
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, address.High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], address.Low);
        return new IPAddress(bytes).ToString();
    }

    private static (ulong High, ulong Low) Mask(int length128)
    {
        var high = length128 >= 64 ? ulong.MaxValue : length128 == 0 ? 0UL : ulong.MaxValue << (64 - length128);
        var low = length128 <= 64 ? 0UL : ulong.MaxValue << (128 - length128);
        return (high, low);
    }
}
