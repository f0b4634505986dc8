using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>Which security-group decisions of a port are logged (Neutron network log <c>event</c>s, unioned over the logs covering the port).</summary>
[Flags]
public enum SecurityGroupLogging : byte
{
    /// <summary>Nothing is logged (the common case: the data path pays one flag test).</summary>
    None = 0,

    /// <summary>The first packet of each new allowed connection.</summary>
    Accept = 1,

    /// <summary>Every packet the security groups drop.</summary>
    Drop = 2,
}

/// <summary>What a log event records: an allowed new connection or a dropped packet (Neutron's log <c>action</c>).</summary>
public enum SecurityGroupLogAction : byte
{
    Accept,
    Drop,
}

/// <summary>
/// One security-group decision as the data path records it: a fixed-size blittable value copied into a
/// <see cref="SecurityGroupLogRing"/>; the log writer turns it into a line off the data path.
/// </summary>
/// <remarks>
/// Only numbers: ports and rules are slots, resolved to Neutron ids by the writer, so that recording an event is a
/// 64-byte copy. Addresses are IPv4-mapped for IPv4, as everywhere in the data path; for ICMP and ICMPv6
/// <see cref="SourcePort"/> is the type and <see cref="DestinationPort"/> the code (as <see cref="ParsedPacket"/>).
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = Size)]
public struct SecurityGroupLogEvent
{
    /// <summary>Bytes per event (asserted by a test).</summary>
    public const int Size = 64;

    /// <summary>Wall-clock time, milliseconds since the Unix epoch.</summary>
    public long UnixTimeMs;

    public IpAddress128 Source;

    public IpAddress128 Destination;

    /// <summary>The counter slot of the rule that allowed the connection (ACCEPT), or -1.</summary>
    public int RuleSlot;

    /// <summary>The data-path slot of the port whose decision this is.</summary>
    public int PortSlot;

    public ushort SourcePort;

    public ushort DestinationPort;

    /// <summary>0x0800, 0x86DD or 0x0806, or another EtherType.</summary>
    public ushort EtherType;

    /// <summary>The IP protocol (0 for non-IP frames).</summary>
    public byte Protocol;

    public SecurityGroupLogAction Action;

    // The two enums are int-sized; stored as bytes so that the event stays 64 bytes.
    private byte _direction;
    private byte _reason;

    /// <summary>The floating IP the packet came in or goes out by (0: none); the addresses above are the VM's own.</summary>
    public uint FloatingIpv4;

    /// <summary>From the VM's view: ingress toward it, egress from it.</summary>
    public Direction Direction
    {
        readonly get => (Direction)_direction;
        set => _direction = (byte)value;
    }

    /// <summary>Why it was dropped (DROP only): <see cref="DropReason.SecurityGroup"/> or <see cref="DropReason.ConntrackInvalid"/>.</summary>
    public DropReason Reason
    {
        readonly get => (DropReason)_reason;
        set => _reason = (byte)value;
    }

    /// <summary>The event of a decision on <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SecurityGroupLogEvent Of(in ParsedPacket p, long unixTimeMs, SecurityGroupLogAction action, int portSlot, Direction direction,
        DropReason reason, int ruleSlot, uint floatingIpv4) => new()
    {
        UnixTimeMs = unixTimeMs,
        Source = p.IpSource,
        Destination = p.IpDestination,
        RuleSlot = ruleSlot,
        PortSlot = portSlot,
        SourcePort = p.HasL4 ? p.SourcePort : (ushort)0,
        DestinationPort = p.HasL4 ? p.DestinationPort : (ushort)0,
        EtherType = p.EtherType,
        Protocol = p.IsIp ? p.IpProtocol : (byte)0,
        Action = action,
        Direction = direction,
        Reason = reason,
        FloatingIpv4 = floatingIpv4,
    };
}

/// <summary>
/// A bounded single-producer, single-consumer ring of <see cref="SecurityGroupLogEvent"/>s: how log events leave a
/// worker.
/// </summary>
/// <remarks>
/// <para><b>What.</b> A power-of-two array with two monotonic 64-bit cursors: the worker (the only producer) writes an
/// event and then publishes <c>head + 1</c> with a release store; the log writer (the only consumer) reads events up
/// to the head it acquired and then publishes its <c>tail</c>. No lock, no CAS, no allocation (snabb's
/// <c>link.h</c>, Linux's <c>kfifo</c>).</para>
/// <para><b>Full.</b> <see cref="TryWrite"/> returns false when the consumer has not made room; the worker then drops
/// the event and counts it (<see cref="WorkerCounter.SecurityGroupLogDropped"/>): a slow disk or a stalled writer
/// never blocks forwarding. The log is lossy by design, as Neutron's rate-limited log is.</para>
/// <para><b>Thread-safety.</b> Exactly one producer thread and one consumer thread. The cursors sit 128 bytes apart
/// so that the two threads never write one cache line.</para>
/// </remarks>
public sealed class SecurityGroupLogRing
{
    /// <summary>Default events per worker: at 64 bytes each, 256 KiB, a few seconds of a denied flood at Neutron's rates.</summary>
    public const int DefaultCapacity = 4096;

    private readonly SecurityGroupLogEvent[] _events;
    private readonly int _mask;
    private PaddedCursor _head;
    private PaddedCursor _tail;

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedCursor
    {
        [FieldOffset(64)] public long Value;
    }

    /// <param name="capacity">Events the ring holds; rounded up to a power of two (at least 2).</param>
    public SecurityGroupLogRing(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 24);
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        _events = new SecurityGroupLogEvent[size];
        _mask = size - 1;
    }

    /// <summary>Events the ring holds.</summary>
    public int Capacity => _events.Length;

    /// <summary>Events written and not yet read (a snapshot; exact only on the producer or consumer thread).</summary>
    public int Count => (int)(Volatile.Read(ref _head.Value) - Volatile.Read(ref _tail.Value));

    /// <summary>Producer only: appends <paramref name="item"/>, or returns false (and writes nothing) when the ring is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(in SecurityGroupLogEvent item)
    {
        var head = _head.Value;
        if (head - Volatile.Read(ref _tail.Value) >= _events.Length)
        {
            return false;
        }
        _events[(int)head & _mask] = item;
        // Release: the event is written before the consumer can see the new head.
        Volatile.Write(ref _head.Value, head + 1);
        return true;
    }

    /// <summary>Consumer only: moves up to <paramref name="destination"/>'s length of the oldest events out; returns how many.</summary>
    public int Drain(Span<SecurityGroupLogEvent> destination)
    {
        var tail = _tail.Value;
        var available = Volatile.Read(ref _head.Value) - tail;
        var n = (int)Math.Min(available, destination.Length);
        for (var i = 0; i < n; i++)
        {
            destination[i] = _events[(int)(tail + i) & _mask];
        }
        // Release: the slots are read before the producer may overwrite them.
        Volatile.Write(ref _tail.Value, tail + n);
        return n;
    }
}
