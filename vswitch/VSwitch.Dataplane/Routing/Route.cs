using VSwitch.Packets;

namespace VSwitch.Dataplane.Routing;

/// <summary>
/// One entry of a router's table: packets to <see cref="Network"/>/<see cref="PrefixLength128"/> leave by interface
/// <see cref="Interface"/>, to their own destination (a connected subnet) or to <see cref="NextHop"/> (an extra route).
/// </summary>
/// <param name="Network">The destination prefix, host bits clear; IPv4 prefixes IPv4-mapped.</param>
/// <param name="PrefixLength128">The prefix length in 128-bit terms (an IPv4 /24 is 120).</param>
/// <param name="Interface">Index into <see cref="LogicalRouter.Interfaces"/>.</param>
/// <param name="NextHop">The gateway to send to; the zero address for a connected subnet (the destination itself).</param>
public readonly record struct Route(IpAddress128 Network, int PrefixLength128, int Interface, IpAddress128 NextHop)
{
    /// <summary>Get-only: the mask below is computed from it once, so <c>with</c> must not change it.</summary>
    public int PrefixLength128 { get; } = PrefixLength128;

    // The mask, computed once: Contains runs for every routed packet.
    private readonly ulong _maskHigh = Mask(PrefixLength128).High;
    private readonly ulong _maskLow = Mask(PrefixLength128).Low;

    public bool IsConnected => NextHop.High == 0 && NextHop.Low == 0;

    public bool Contains(IpAddress128 address)
    {
        // An IPv6 ::/0 must not take IPv4 (IPv4-mapped) destinations, nor an IPv4 route IPv6 ones.
        if (address.IsIpv4Mapped != Network.IsIpv4Mapped)
        {
            return false;
        }
        return (address.High & _maskHigh) == Network.High && (address.Low & _maskLow) == Network.Low;
    }

    /// <summary>The 128-bit mask of a prefix length, as its two halves.</summary>
    public static (ulong High, ulong Low) Mask(int length) => length switch
    {
        <= 0 => (0, 0),
        < 64 => (~0UL << (64 - length), 0),
        64 => (~0UL, 0),
        < 128 => (~0UL, ~0UL << (128 - length)),
        _ => (~0UL, ~0UL),
    };
}
