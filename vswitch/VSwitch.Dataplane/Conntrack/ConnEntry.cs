// ConnEntry: one tracked connection, exactly two cache lines.
//
// What
//   The hot record of a connection: its canonical key, the time it was last seen, the policy generation that
//   admitted it, packets and bytes each way, where its original direction entered and left the switch and which
//   rule admitted it, the hash-chain link, the protocol state and flags, and the TCP window-tracking state of each
//   direction. Index 0 of every pair is the original direction (the initiator's), index 1 the reply direction.
//
//   offset  size  field
//        0    40  Key (ConnKey, canonical)
//       40     8  LastSeenMs
//       48     8  AdmittedGeneration (a NAT binding: NatInside, the inside endpoint; ConnTable.Nat.cs)
//       56    16  Packets[2]
//       72    16  Bytes[2]
//       88     4  RuleSlot
//       92     4  Next (hash-chain or free-list link: index + 1, 0 ends)
//       96     4  OrigInPort, OrigOutPort (ushort each: port slot + 1, 0 = none)
//      100     4  State, Flags, Scale[2]
//      104    24  Tcp[2] (End, MaxEnd, MaxWin per direction)
//      128        total
//
// Why
//   Track touches one entry per packet, so everything a packet reads or writes lives in these 128 bytes, aligned
//   to 64 bytes by ConnShard: two adjacent cache lines, which the adjacent-line prefetcher fetches together. The
//   expiry time is not stored: it is LastSeenMs plus the timeout of the current state, so a timeout change applies
//   at once. Data that only the control plane reads (creation time) and the early-drop list links live in a cold
//   side array (ConnShard.ColdEntry). Port slots are ushort because the switch has at most a few thousand ports
//   (DatapathOptions.MaxPorts); a larger slot is stored as "none" rather than truncated.
//
// Thread-safety
//   Read and written only under its shard's lock.
//
// Measured
//   Size 128 bytes (asserted by LayoutTests); with the cold array and two bucket slots per entry the table
//   costs 152 bytes per connection (see ConnTable.BytesPerEntry and Conntrack/README.md).

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>Bits of <see cref="ConnEntry.Flags"/>.</summary>
[Flags]
internal enum ConnEntryFlags : byte
{
    None = 0,

    /// <summary>The original direction's source is the key's endpoint B.</summary>
    OriginalSwapped = 1 << 0,

    /// <summary>The connection saw traffic both ways (TCP: completed its handshake); never evicted early.</summary>
    Assured = 1 << 1,

    /// <summary>TCP: a FIN was seen in the original direction.</summary>
    FinOriginal = 1 << 2,

    /// <summary>TCP: a FIN was seen in the reply direction.</summary>
    FinReply = 1 << 3,
}

/// <summary>TCP window-tracking state of one direction (the sender's view, as Linux's <c>ip_ct_tcp_state</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TcpPeer
{
    /// <summary>The highest sequence number this side has sent, plus its length (the next sequence it will use).</summary>
    public uint End;

    /// <summary>The highest sequence number this side may send: the peer's acknowledgement plus the peer's window.</summary>
    public uint MaxEnd;

    /// <summary>The largest window (scaled) this side has advertised.</summary>
    public uint MaxWin;
}

/// <summary>A value per direction (0 original, 1 reply).</summary>
[InlineArray(2)]
internal struct DirectionPair<T>
    where T : unmanaged
{
    private T _element0;
}

/// <summary>One tracked connection: 128 bytes, two cache lines.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct ConnEntry
{
    /// <summary>Bytes in an entry.</summary>
    public const int Size = 128;

    /// <summary>The connection's canonical key.</summary>
    [FieldOffset(0)] public ConnKey Key;

    /// <summary>The time of the last valid packet (the caller's clock, milliseconds).</summary>
    [FieldOffset(40)] public long LastSeenMs;

    /// <summary>The policy generation that admitted (or last revalidated) the connection.</summary>
    [FieldOffset(48)] public long AdmittedGeneration;

    /// <summary>
    /// In a SNAT binding (an entry of a NAT zone, ConnTable.Nat.cs), instead of a generation: the inside endpoint the
    /// binding's port stands for, IPv4 address (host order) &lt;&lt; 16 | port.
    /// </summary>
    [FieldOffset(48)] public long NatInside;

    /// <summary>Packets per direction.</summary>
    [FieldOffset(56)] public DirectionPair<long> Packets;

    /// <summary>IP bytes per direction (IP total length, so a GSO super-frame counts all of its bytes).</summary>
    [FieldOffset(72)] public DirectionPair<long> Bytes;

    /// <summary>The rule slot that admitted the connection.</summary>
    [FieldOffset(88)] public int RuleSlot;

    /// <summary>Next entry in the hash chain (or the free list): index + 1, 0 at the end.</summary>
    [FieldOffset(92)] public int Next;

    /// <summary>The port slot the original direction entered on, + 1 (0 = none).</summary>
    [FieldOffset(96)] public ushort OrigInPortPlusOne;

    /// <summary>The port slot the original direction left on, + 1 (0 = none or flooded).</summary>
    [FieldOffset(98)] public ushort OrigOutPortPlusOne;

    /// <summary>The protocol state; <see cref="ConnState.None"/> marks a free slot.</summary>
    [FieldOffset(100)] public ConnState State;

    [FieldOffset(101)] public ConnEntryFlags Flags;

    /// <summary>TCP window scale per direction (<see cref="TcpTracker.ScaleNone"/>, <see cref="TcpTracker.ScaleUnknown"/> or 0-14).</summary>
    [FieldOffset(102)] public DirectionPair<byte> Scale;

    /// <summary>TCP window tracking per direction.</summary>
    [FieldOffset(104)] public DirectionPair<TcpPeer> Tcp;

    public readonly bool IsLive => State != ConnState.None;

    public readonly bool IsAssured => (Flags & ConnEntryFlags.Assured) != 0;

    /// <summary>True when the original direction's source is endpoint B of the key.</summary>
    public readonly bool OriginalSwapped => (Flags & ConnEntryFlags.OriginalSwapped) != 0;

    public readonly int OrigInPort => OrigInPortPlusOne - 1;

    public readonly int OrigOutPort => OrigOutPortPlusOne - 1;

    /// <summary>A port slot as stored: slot + 1, or 0 for a negative or too large slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort PackPort(int slot) => (uint)slot < ushort.MaxValue ? (ushort)(slot + 1) : (ushort)0;
}
