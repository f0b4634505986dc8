using System.Buffers.Binary;
using VSwitch.Packets.Offloads;

namespace VSwitch.Packets.Ndp;

/// <summary>
/// What the switch advertises to a port in answer to its router solicitations (built by the control plane from the
/// IPv6 subnets of the port's network that have an <c>ipv6_ra_mode</c>).
/// </summary>
/// <param name="RouterMac">The advertisement's source MAC (and its source link-layer address option).</param>
/// <param name="Prefixes">Prefix information: each a /64 network (high 64 bits) and whether hosts may autoconfigure
/// addresses in it (SLAAC, dhcpv6-stateless) or not (dhcpv6-stateful).</param>
/// <param name="Managed">The M flag: addresses come from DHCPv6 (a dhcpv6-stateful subnet).</param>
/// <param name="OtherConfig">The O flag: other settings come from DHCPv6 (a dhcpv6-stateless subnet).</param>
/// <param name="DefaultRouter">True when a subnet has a gateway: the router lifetime is 1,800 s, else 0 (not a default router).</param>
/// <param name="Mtu">The MTU option, or 0 to leave it out.</param>
public sealed record RouterAdvertisementSettings(MacAddress RouterMac, (ulong Network, bool Autonomous)[] Prefixes, bool Managed, bool OtherConfig,
    bool DefaultRouter, int Mtu)
{
    /// <summary>The router's link-local address, fe80::/64 with the EUI-64 of <see cref="RouterMac"/>.</summary>
    public IpAddress128 LinkLocal => RouterAdvertisement.LinkLocal(RouterMac);
}

/// <summary>
/// Router solicitations read and router advertisements written (RFC 4861 §4.1, §4.2, §4.6), allocation-free on spans:
/// the switch answers a port's solicitations itself, so a VM's kernel autoconfigures its SLAAC address.
/// </summary>
public static class RouterAdvertisement
{
    public const byte SolicitationType = 133;
    public const byte AdvertisementType = 134;

    /// <summary>The largest advertisement <see cref="Write"/> writes.</summary>
    public const int MaxSize = 14 + 40 + 16 + 8 + 8 + (32 * 8);

    /// <summary>True for an ICMPv6 router solicitation.</summary>
    public static bool IsSolicitation(in ParsedPacket p) =>
        p.IsIpv6 && p.IpProtocol == IpProtocol.Icmpv6 && p.HasL4 && p.SourcePort == SolicitationType;

    /// <summary>The link-local address fe80::/64 with the EUI-64 of <paramref name="mac"/>.</summary>
    public static IpAddress128 LinkLocal(MacAddress mac) => new(0xFE80_0000_0000_0000UL, InterfaceId(mac));

    /// <summary>The modified EUI-64 interface identifier of <paramref name="mac"/> (RFC 4291 appendix A).</summary>
    public static ulong InterfaceId(MacAddress mac)
    {
        var m = mac.Value;
        return (((m >> 24) << 40) | (0xFFFEUL << 24) | (m & 0xFF_FFFF)) ^ 0x0200_0000_0000_0000UL;
    }

    /// <summary>
    /// Writes an advertisement answering a solicitation from <paramref name="host"/> (its MAC and source address): to
    /// the host's link-local address when it gave one, else to all nodes (ff02::1). Returns the frame's length.
    /// </summary>
    public static int Write(Span<byte> buffer, MacAddress host, IpAddress128 hostAddress, RouterAdvertisementSettings settings)
    {
        var prefixes = Math.Min(settings.Prefixes.Length, 32);
        var icmpLength = 16 + 8 + (settings.Mtu > 0 ? 8 : 0) + (32 * prefixes);
        buffer[..(14 + 40 + icmpLength)].Clear();
        var unspecified = hostAddress.High == 0 && hostAddress.Low == 0;
        var destination = unspecified ? new IpAddress128(0xFF02_0000_0000_0000UL, 1) : hostAddress;
        (unspecified ? new MacAddress(0x3333_0000_0001UL) : host).Write(buffer);
        settings.RouterMac.Write(buffer[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[12..], EtherType.Ipv6);
        var ip = buffer[14..];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)icmpLength);
        ip[6] = IpProtocol.Icmpv6;
        ip[7] = 255;
        var source = settings.LinkLocal;
        BinaryPrimitives.WriteUInt64BigEndian(ip[8..], source.High);
        BinaryPrimitives.WriteUInt64BigEndian(ip[16..], source.Low);
        BinaryPrimitives.WriteUInt64BigEndian(ip[24..], destination.High);
        BinaryPrimitives.WriteUInt64BigEndian(ip[32..], destination.Low);
        var icmp = ip[40..];
        icmp[0] = AdvertisementType;
        icmp[4] = 64;
        icmp[5] = (byte)((settings.Managed ? 0x80 : 0) | (settings.OtherConfig ? 0x40 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], (ushort)(settings.DefaultRouter ? 1800 : 0));
        var o = 16;
        icmp[o] = 1; // source link-layer address
        icmp[o + 1] = 1;
        settings.RouterMac.Write(icmp[(o + 2)..]);
        o += 8;
        if (settings.Mtu > 0)
        {
            icmp[o] = 5;
            icmp[o + 1] = 1;
            BinaryPrimitives.WriteUInt32BigEndian(icmp[(o + 4)..], (uint)settings.Mtu);
            o += 8;
        }
        for (var i = 0; i < prefixes; i++)
        {
            var (network, autonomous) = settings.Prefixes[i];
            icmp[o] = 3;
            icmp[o + 1] = 4;
            icmp[o + 2] = 64;
            icmp[o + 3] = (byte)(0x80 | (autonomous ? 0x40 : 0)); // on-link, autonomous
            BinaryPrimitives.WriteUInt32BigEndian(icmp[(o + 4)..], 2_592_000);
            BinaryPrimitives.WriteUInt32BigEndian(icmp[(o + 8)..], 604_800);
            BinaryPrimitives.WriteUInt64BigEndian(icmp[(o + 16)..], network);
            o += 32;
        }
        // The ICMPv6 checksum covers the pseudo-header: both addresses, the message length and the next header.
        var pseudo = InternetChecksum.Add(ip[8..40], (ulong)icmpLength + IpProtocol.Icmpv6);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Finish(InternetChecksum.Add(icmp[..icmpLength], pseudo)));
        return 14 + 40 + icmpLength;
    }
}
