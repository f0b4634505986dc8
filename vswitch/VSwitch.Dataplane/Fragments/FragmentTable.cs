// FragmentTable: the first fragment of every fragmented datagram in flight, so that its later fragments can be
// judged as it was.
//
// What
//   A fixed, set-associative table of FragmentRecord (64 bytes each; sets of Ways records), keyed by the port a
//   datagram arrives on, its family, protocol, addresses and identification. The fragment stage of a worker calls
//   RecordFirst for a first fragment with more to follow (offset 0, MF) and Inherit for a later one (offset > 0): a
//   later fragment whose record is live takes the first fragment's ports, ICMP type, code and identifier and TCP
//   flags, so policy, conntrack and the trace see it as its first fragment. A record lives TimeoutMs after it was
//   last matched; a full set gives its least recently used way to a new datagram (counted as an eviction).
//
// Why
//   Later fragments carry no L4 header. Judged on their own they either pass rules that should not apply to them or
//   fail every rule with a port, which is what dropped allowed large UDP datagrams and ping replies (issue 15). Linux
//   (nf_defrag) and Open vSwitch (ipf) reassemble the datagram before tracking it; VPP's shallow reassembly instead
//   remembers the first fragment's L4 fields and hands them to the later ones without copying data. This is the
//   latter: no buffers, no reassembly, a bounded table, and the frames the VM sent are the frames the receiver gets.
//   Safety does not depend on the order fragments arrive in:
//     - a first fragment too short for its L4 header is malformed (the parser refuses it), so it never makes a record;
//     - a later fragment must start at or beyond the end of its first fragment's data, so no overlap can rewrite the
//       L4 header the rules judged (RFC 1858's and RFC 3128's overlapping-fragment evasions); one that does is dropped;
//     - a later fragment without a live record is held briefly by its worker (FragmentHold) and dropped if its first
//       fragment does not come: it is never judged without ports;
//     - the key holds the port the fragments come from, so a VM can only make or overwrite records of its own
//       datagrams (port security has checked the source address of each fragment by the time it is forwarded).
//
// Thread-safety
//   Any number of workers call in concurrently. Sets are grouped into Stripes; a stripe's spin lock (its own cache
//   line, with the stripe's counters) guards its sets. Only fragments reach this table, never the path of an
//   unfragmented packet. Readers of the counters sum the stripes with volatile reads.
//
// Measured
//   perf/VSwitch.Benchmarks FragmentBenchmarks (Fragments/README.md).

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Fragments;

/// <summary>What <see cref="FragmentTable.Inherit"/> found for a later fragment.</summary>
public enum FragmentMatch : byte
{
    /// <summary>Its first fragment's record is live: the L4 fields were copied.</summary>
    Inherited,

    /// <summary>No live record: its first fragment was not seen (yet), was refused as malformed, or expired.</summary>
    NoFirstFragment,

    /// <summary>It starts inside its first fragment's data: an overlap that could rewrite the judged L4 header.</summary>
    Overlap,
}

/// <summary>
/// The first fragments of datagrams in flight, shared by all workers (see the file's header and Fragments/README.md).
/// </summary>
public sealed class FragmentTable
{
    /// <summary>Records per set.</summary>
    public const int Ways = 4;

    /// <summary>Lock stripes (a power of two).</summary>
    private const int Stripes = 64;

    private readonly FragmentRecord[] _records;
    private readonly Stripe[] _stripes = new Stripe[Stripes];
    private readonly int _setMask;
    private readonly ulong _seed;

    /// <summary>A lock with the counters its holders update, alone on its cache lines.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Stripe
    {
        [FieldOffset(64)] public int Lock;
        [FieldOffset(72)] public long Recorded;
        [FieldOffset(80)] public long Evicted;
    }

    /// <param name="maxDatagrams">Records (rounded up to whole sets of <see cref="Ways"/>, a power of two of sets).</param>
    /// <param name="timeoutMs">How long a record lives after its datagram's last fragment was seen.</param>
    /// <param name="seed">Hash seed (random when null).</param>
    public FragmentTable(int maxDatagrams, long timeoutMs, ulong? seed = null)
    {
        if (maxDatagrams < Ways || maxDatagrams > 1 << 24)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDatagrams), $"must be {Ways}..{1 << 24}, not {maxDatagrams}");
        }
        if (timeoutMs < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(timeoutMs), $"must be at least 1 ms, not {timeoutMs}");
        }
        var sets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)((maxDatagrams + Ways - 1) / Ways));
        _records = new FragmentRecord[sets * Ways];
        _setMask = sets - 1;
        TimeoutMs = timeoutMs;
        _seed = seed ?? (ulong)Random.Shared.NextInt64();
    }

    /// <summary>Datagrams the table can remember at once.</summary>
    public int Capacity => _records.Length;

    /// <summary>Milliseconds a record lives after its datagram's last fragment.</summary>
    public long TimeoutMs { get; }

    /// <summary>First fragments recorded.</summary>
    public long RecordedTotal => Sum(static (ref Stripe s) => Volatile.Read(ref s.Recorded));

    /// <summary>Live records given to another datagram because their set was full.</summary>
    public long EvictedTotal => Sum(static (ref Stripe s) => Volatile.Read(ref s.Evicted));

    /// <summary>
    /// Remembers the L4 fields of <paramref name="first"/>, a first fragment with more to follow (offset 0, MF), that
    /// arrived on port slot <paramref name="inPort"/>. A record of the same datagram is replaced (a retransmission, or
    /// a new datagram that reuses the identification).
    /// </summary>
    public void RecordFirst(in ParsedPacket first, int inPort, long nowMs)
    {
        var hash = Hash(in first, inPort);
        ref var stripe = ref Enter(hash);
        try
        {
            var set = SetOf(hash);
            ref var target = ref Unsafe.NullRef<FragmentRecord>();
            ref var oldest = ref _records[set];
            for (var w = 0; w < Ways; w++)
            {
                ref var r = ref _records[set + w];
                if (r.InPortPlusOne != 0 && r.Matches(in first, inPort))
                {
                    target = ref r;
                    break;
                }
                if (Unsafe.IsNullRef(ref target) && (r.InPortPlusOne == 0 || nowMs - r.LastSeenMs > TimeoutMs))
                {
                    target = ref r;
                }
                if (r.LastSeenMs < oldest.LastSeenMs)
                {
                    oldest = ref r;
                }
            }
            if (Unsafe.IsNullRef(ref target))
            {
                target = ref oldest;
                stripe.Evicted++;
            }
            target.Source = first.IpSource;
            target.Destination = first.IpDestination;
            target.Id = first.FragmentId;
            target.Protocol = first.IpProtocol;
            target.Ipv6 = first.IsIpv6 ? (byte)1 : (byte)0;
            target.InPortPlusOne = inPort + 1;
            target.SourcePort = first.SourcePort;
            target.DestinationPort = first.DestinationPort;
            target.IcmpIdentifier = first.IcmpIdentifier;
            target.TcpFlags = first.TcpFlags;
            target.FirstDataLength = (ushort)Math.Clamp(first.FragmentDataLength, 0, ushort.MaxValue);
            target.LastSeenMs = nowMs;
            stripe.Recorded++;
        }
        finally
        {
            Volatile.Write(ref stripe.Lock, 0);
        }
    }

    /// <summary>
    /// Gives <paramref name="later"/>, a later fragment (offset &gt; 0) that arrived on port slot <paramref name="inPort"/>,
    /// the L4 fields of its datagram's first fragment: ports (ICMP type and code), ICMP identifier and TCP flags, with
    /// <see cref="PacketFlags.HasL4"/> and <see cref="PacketFlags.L4FromFirstFragment"/> set. Changes nothing else
    /// when the answer is not <see cref="FragmentMatch.Inherited"/>.
    /// </summary>
    /// <param name="later">The later fragment; its L4 fields are filled in when its record is found.</param>
    /// <param name="inPort">The port slot it arrived on.</param>
    /// <param name="nowMs">The data path's clock.</param>
    /// <param name="touch">Restart the record's timeout (false for a trace, which changes nothing).</param>
    public FragmentMatch Inherit(ref ParsedPacket later, int inPort, long nowMs, bool touch = true)
    {
        var hash = Hash(in later, inPort);
        ref var stripe = ref Enter(hash);
        try
        {
            var set = SetOf(hash);
            for (var w = 0; w < Ways; w++)
            {
                ref var r = ref _records[set + w];
                if (r.InPortPlusOne == 0 || !r.Matches(in later, inPort))
                {
                    continue;
                }
                if (nowMs - r.LastSeenMs > TimeoutMs)
                {
                    return FragmentMatch.NoFirstFragment;
                }
                if (later.FragmentOffset < r.FirstDataLength)
                {
                    return FragmentMatch.Overlap;
                }
                later.SourcePort = r.SourcePort;
                later.DestinationPort = r.DestinationPort;
                later.IcmpIdentifier = r.IcmpIdentifier;
                later.TcpFlags = r.TcpFlags;
                later.Flags |= PacketFlags.HasL4 | PacketFlags.L4FromFirstFragment;
                if (touch && nowMs > r.LastSeenMs)
                {
                    r.LastSeenMs = nowMs;
                }
                return FragmentMatch.Inherited;
            }
            return FragmentMatch.NoFirstFragment;
        }
        finally
        {
            Volatile.Write(ref stripe.Lock, 0);
        }
    }

    /// <summary>True when a live record of <paramref name="later"/>'s datagram exists (a held fragment may go).</summary>
    public bool HasFirst(in ParsedPacket later, int inPort, long nowMs)
    {
        var copy = later;
        return Inherit(ref copy, inPort, nowMs, touch: false) != FragmentMatch.NoFirstFragment;
    }

    /// <summary>Forgets every record of port slot <paramref name="inPort"/> (the port was removed; its slot may be reused).</summary>
    public void ForgetPort(int inPort)
    {
        for (var set = 0; set <= _setMask; set++)
        {
            ref var stripe = ref Enter((ulong)set);
            try
            {
                for (var w = 0; w < Ways; w++)
                {
                    ref var r = ref _records[(set * Ways) + w];
                    if (r.InPortPlusOne == inPort + 1)
                    {
                        r = default;
                    }
                }
            }
            finally
            {
                Volatile.Write(ref stripe.Lock, 0);
            }
        }
    }

    /// <summary>The hash of a fragment's datagram key: the port, the addresses, protocol, family and identification.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong Hash(in ParsedPacket p, int inPort)
    {
        var h = _seed;
        h = Mix(h, p.IpSource.High);
        h = Mix(h, p.IpSource.Low);
        h = Mix(h, p.IpDestination.High);
        h = Mix(h, p.IpDestination.Low);
        h = Mix(h, ((ulong)p.FragmentId << 32) | ((ulong)(uint)inPort << 9) | ((ulong)p.IpProtocol << 1) | (p.IsIpv6 ? 1UL : 0));
        return h ^ (h >> 29);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, ulong word)
    {
        h = (h ^ word) * 0xBF58_476D_1CE4_E5B9UL;
        return h ^ (h >> 31);
    }

    /// <summary>The first record of the hash's set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SetOf(ulong hash) => (int)(hash & (ulong)_setMask) * Ways;

    /// <summary>Takes the spin lock of the stripe that guards the hash's set (sets map to stripes by their low bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Stripe Enter(ulong hash)
    {
        ref var stripe = ref _stripes[(int)(hash & (ulong)_setMask) & (Stripes - 1)];
        if (Interlocked.CompareExchange(ref stripe.Lock, 1, 0) != 0)
        {
            EnterContended(ref stripe);
        }
        return ref stripe;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EnterContended(ref Stripe stripe)
    {
        var spin = default(SpinWait);
        do
        {
            while (Volatile.Read(ref stripe.Lock) != 0)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }
        while (Interlocked.CompareExchange(ref stripe.Lock, 1, 0) != 0);
    }

    private delegate long StripeReader(ref Stripe stripe);

    private long Sum(StripeReader read)
    {
        long total = 0;
        for (var i = 0; i < Stripes; i++)
        {
            total += read(ref _stripes[i]);
        }
        return total;
    }
}
