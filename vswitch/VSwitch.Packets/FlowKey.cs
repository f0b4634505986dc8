using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VSwitch.Packets;

/// <summary>
/// The 48-byte key that identifies a flow for the flow cache and the classifier.
/// </summary>
/// <remarks>
/// What: source and destination address (IPv4-mapped into 128 bits), L4 ports (ICMP: type and code), protocol,
/// flags, ICMP echo identifier, then the port (and its direction) the lookup is for and the zone (network).
/// Why: a fixed, blittable layout compared and hashed as six <see cref="ulong"/> words (VPP <c>fa_5tuple_t</c>);
/// no strings, tuples or records on the hot path. The first five words are the packet's, the sixth the lookup's
/// (<see cref="InPort"/>, <see cref="Zone"/>): a frame's key is built and its packet words hashed once
/// (<see cref="PacketHash"/>), and each policy lookup for it (the sender's egress, each receiver's ingress) sets the
/// last word and finishes the hash with one mixing step (<see cref="HashFrom"/>). The layout is asserted by a test.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct FlowKey : IEquatable<FlowKey>
{
    /// <summary>Bytes in a key.</summary>
    public const int Size = 48;

    [FieldOffset(0)] public IpAddress128 Source;
    [FieldOffset(16)] public IpAddress128 Destination;

    /// <summary>L4 source port, or ICMP type.</summary>
    [FieldOffset(32)] public ushort SourcePort;

    /// <summary>L4 destination port, or ICMP code.</summary>
    [FieldOffset(34)] public ushort DestinationPort;

    [FieldOffset(36)] public byte Protocol;

    /// <summary>See <see cref="FlowKeyFlags"/>.</summary>
    [FieldOffset(37)] public FlowKeyFlags Flags;

    /// <summary>ICMP echo identifier; zero otherwise.</summary>
    [FieldOffset(38)] public ushort IcmpIdentifier;

    /// <summary>The switch port slot the lookup is for (the pipeline adds a flag bit for its ingress lookups).</summary>
    [FieldOffset(40)] public int InPort;

    /// <summary>The network (conntrack zone) the packet travels in.</summary>
    [FieldOffset(44)] public ushort Zone;

    [FieldOffset(46)] private readonly ushort _reserved;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FlowKey FromPacket(in ParsedPacket packet, ushort zone, int inPort)
    {
        Unsafe.SkipInit(out FlowKey key);
        Unsafe.InitBlockUnaligned(ref Unsafe.As<FlowKey, byte>(ref key), 0, Size);
        key.Source = packet.IpSource;
        key.Destination = packet.IpDestination;
        key.SourcePort = packet.SourcePort;
        key.DestinationPort = packet.DestinationPort;
        key.Protocol = packet.IpProtocol;
        key.Flags = (packet.IsIpv6 ? FlowKeyFlags.Ipv6 : 0)
            | ((packet.Flags & PacketFlags.LaterFragment) != 0 ? FlowKeyFlags.LaterFragment : 0)
            | (packet.IsIp ? FlowKeyFlags.Ip : 0);
        key.Zone = zone;
        key.InPort = inPort;
        key.IcmpIdentifier = packet.IcmpIdentifier;
        return key;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly ReadOnlySpan<ulong> Words() =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<FlowKey, ulong>(ref Unsafe.AsRef(in this)), Size / sizeof(ulong));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool Equals(FlowKey other)
    {
        var a = Words();
        var b = other.Words();
        return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) | (a[5] ^ b[5])) == 0;
    }

    /// <summary>A 64-bit hash of all six words (a multiply-xorshift mix; not symmetric).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ulong Hash() => HashFrom(PacketHash());

    /// <summary>The hash state after the packet's five words; <see cref="HashFrom"/> finishes it with the lookup's word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ulong PacketHash()
    {
        var w = Words();
        ulong h = 0x9E37_79B9_7F4A_7C15UL;
        for (var i = 0; i < 5; i++)
        {
            h = Mix(h, w[i]);
        }
        return h;
    }

    /// <summary>
    /// <see cref="Hash"/> from the <see cref="PacketHash"/> of a key with the same first five words: mixes in only the
    /// lookup's word (<see cref="InPort"/>, <see cref="Zone"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ulong HashFrom(ulong packetHash) => Mix(packetHash, Words()[5]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, ulong word)
    {
        h = (h ^ word) * 0xBF58_476D_1CE4_E5B9UL;
        return h ^ (h >> 31);
    }

    public override readonly bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    public override readonly int GetHashCode() => (int)Hash();

    public static bool operator ==(FlowKey a, FlowKey b) => a.Equals(b);

    public static bool operator !=(FlowKey a, FlowKey b) => !a.Equals(b);

    public override readonly string ToString() =>
        $"zone={Zone} in={InPort} proto={Protocol} {Source}:{SourcePort} -> {Destination}:{DestinationPort} flags={Flags}";
}

/// <summary>Flags in <see cref="FlowKey.Flags"/>.</summary>
[Flags]
public enum FlowKeyFlags : byte
{
    None = 0,

    /// <summary>The packet is IPv4 or IPv6 (otherwise only the zone and in-port are meaningful).</summary>
    Ip = 1 << 0,

    /// <summary>IPv6 (else IPv4).</summary>
    Ipv6 = 1 << 1,

    /// <summary>A non-first fragment: ports are zero and cannot be matched.</summary>
    LaterFragment = 1 << 2,
}
