// ConnTable: the connection-tracking table shared by all workers.
//
// What
//   A bounded table of connections (ConnEntry, 128 bytes each), split into ShardCount shards by the hash of the
//   connection's canonical key (ConnKey). Per packet a worker calls Track: it finds the packet's connection in either
//   direction with one probe, runs the protocol's tracker (TcpTracker, UdpTracker, IcmpTracker; ICMP errors are
//   matched against the connection they quote, IcmpQuote) and updates the counters and the last-seen time. When
//   Track answers New and the policy admits the packet, the worker calls Commit, which creates the entry and stores
//   the admission (policy generation, ports, rule). The policy's re-check of cached flows calls Revalidated or
//   Remove. The control thread calls Sweep (ConnTable.Sweep.cs) for incremental expiry and List / RemoveWhere
//   (ConnTable.Control.cs). Conntrack/README.md holds the design and the numbers; this comment is the summary.
//
// Why
//   ARCHITECTURE.md §1-2: stateful security groups need one table that both directions of a connection reach,
//   whichever worker handles them, with bounded memory, zones per network, TCP/UDP/ICMP semantics, RELATED ICMP
//   errors, timeouts and early drop of unconfirmed entries. The model is OVS's lib/conntrack (a shared table with
//   locked buckets, protocol trackers behind a small interface, a canonical key) and VPP's ACL sessions (policy
//   epoch stored per session, deterministic behaviour when full); Linux's nf_conntrack supplies the timeouts and the
//   TCP window-tracking rules.
//   Per packet there is no allocation, no exception, no logging (STYLE rule 2) and exactly one lock: the shard's
//   spin lock, held for the lookup and the tracker's update only. Expired entries read as absent the moment they
//   expire, so correctness never waits for the sweeper; Sweep only gives their memory back.
//
// Thread-safety
//   Track, Commit, Revalidated and Remove: any number of threads, concurrently. Sweep, List and RemoveWhere: any
//   thread, concurrently with the workers (they lock one shard for at most ConnShard.SweepChunk entries at a time;
//   concurrent Sweep calls serialise on their own lock). Timeouts may be replaced at any time. Dispose only after
//   the workers have stopped calling in.
//
// Measured
//   perf/VSwitch.Benchmarks/Conntrack/ConnTableBenchmarks.cs, 1M live entries, 2-core VM (Conntrack/README.md):
//   152 bytes reserved per entry (MaxEntries 1M = 152 MiB, committed as used); Track of a hot flow 26 ns, of a
//   random one of 1M 208 ns (UDP) to ~360 ns (TCP), dominated by two cache misses, which the pipeline overlaps
//   across a batch (ConnTable.Prefetch.cs); Commit + Remove 253 ns; 0 bytes allocated by any data-path call.

using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Memory;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>
/// The connection-tracking table: sharded, bounded, shared by all workers. See Conntrack/README.md.
/// </summary>
public sealed partial class ConnTable : IDisposable
{
    /// <summary>Bytes of one entry's hot record.</summary>
    public const int EntrySize = ConnEntry.Size;

    /// <summary>
    /// Bytes the table reserves per entry of capacity: the 128-byte entry, 16 bytes of cold data (creation time,
    /// early-drop links) and two 4-byte hash buckets.
    /// </summary>
    public const int BytesPerEntry = ConnEntry.Size + 16 + (2 * sizeof(int));

    private readonly ConnShard[] _shards;
    private readonly HugePageMemory _entryMemory;
    private readonly HugePageMemory _bucketMemory;
    private readonly int _shardMask;
    private readonly int _shardCapacity;
    private readonly ulong _seed;
    private readonly PortConnectionCounts _ports;
    private ConnTimeouts _timeouts;
    private long[] _timeoutsMs;
    private bool _disposed;

    /// <summary>How conntrack sees a packet before any lookup.</summary>
    internal enum PacketKind : byte
    {
        Untracked,
        Tcp,

        /// <summary>UDP or SCTP.</summary>
        Ports,

        /// <summary>Another IP protocol, tracked by addresses.</summary>
        Other,
        IcmpEchoRequest,
        IcmpEchoReply,
        IcmpError,
    }

    public ConnTable(ConnTableOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _shardCapacity = options.MaxEntries / options.ShardCount;
        if ((long)_shardCapacity * ConnEntry.Size > int.MaxValue / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "MaxEntries / ShardCount must stay below 8,388,608; use more shards.");
        }
        _seed = options.HashSeed ?? (ulong)Random.Shared.NextInt64();
        _shards = new ConnShard[options.ShardCount];
        _ports = new PortConnectionCounts(options.MaxPorts);
        var bucketBytes = (long)ConnShard.BucketCountFor(_shardCapacity) * sizeof(int);
        _entryMemory = new HugePageMemory((long)_shardCapacity * ConnEntry.Size * options.ShardCount);
        _bucketMemory = new HugePageMemory(bucketBytes * options.ShardCount);
        HugePagesAdvised = _entryMemory.HugePagesAdvised && _bucketMemory.HugePagesAdvised;
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new ConnShard(_shardCapacity, _seed, _entryMemory, (long)i * _shardCapacity * ConnEntry.Size, _bucketMemory, i * bucketBytes, _ports);
        }
        _shardMask = options.ShardCount - 1;
        _timeouts = options.Timeouts;
        _timeoutsMs = options.Timeouts.ToMilliseconds();
    }

    /// <summary>Entries the table can hold (ShardCount × MaxEntries / ShardCount).</summary>
    public long Capacity => (long)_shardCapacity * _shards.Length;

    /// <summary>True when the kernel took the advice to back entries and buckets with transparent huge pages.</summary>
    public bool HugePagesAdvised { get; }

    /// <summary>Shards (locks).</summary>
    public int ShardCount => _shards.Length;

    /// <summary>Bytes reserved for entries, cold data and buckets.</summary>
    public long MemorySize
    {
        get
        {
            long total = 0;
            foreach (var shard in _shards)
            {
                total += shard.MemorySize;
            }
            return total;
        }
    }

    /// <summary>
    /// Live connections whose original direction entered or left on port <paramref name="slot"/> (a connection
    /// between two ports counts on both); 0 for a slot beyond <see cref="ConnTableOptions.MaxPorts"/>.
    /// </summary>
    public int PortConnections(int slot) => _ports.Count(slot);

    /// <summary>The idle timeouts; a new value applies to every entry at once.</summary>
    public ConnTimeouts Timeouts
    {
        get => Volatile.Read(ref _timeouts);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var table = value.ToMilliseconds();
            Volatile.Write(ref _timeoutsMs, table);
            Volatile.Write(ref _timeouts, value);
        }
    }

    /// <summary>Live entries (including expired ones the sweeper has not reclaimed yet).</summary>
    public long Count => Sum(static s => s.Count);

    /// <summary>Entries ever created.</summary>
    public long CreatedTotal => Sum(static s => s.Created);

    /// <summary>Unassured entries evicted to make room for a new connection.</summary>
    public long EarlyDropTotal => Sum(static s => s.EarlyDrops);

    /// <summary>Entries removed because they expired (by the sweeper, a lookup, or reuse of their slot).</summary>
    public long ExpiredTotal => Sum(static s => s.Expired);

    /// <summary>Commits refused because a shard was full of assured connections.</summary>
    public long FullTotal => Sum(static s => s.Full);

    private long Sum(Func<ConnShard, long> read)
    {
        long total = 0;
        foreach (var shard in _shards)
        {
            total += read(shard);
        }
        return total;
    }

    /// <summary>
    /// Finds the connection of <paramref name="packet"/> (either direction), runs its protocol tracker, and updates
    /// its counters and last-seen time. Allocation-free and lock-free except for the shard's spin lock.
    /// </summary>
    /// <param name="frame">The frame the packet was parsed from (TCP options of SYNs, the quote of ICMP errors).</param>
    /// <param name="packet">The parsed packet.</param>
    /// <param name="zone">The conntrack zone: the network index (23 bits are kept).</param>
    /// <param name="nowMs">The caller's clock in milliseconds (monotonic).</param>
    public ConnLookup Track(ReadOnlySpan<byte> frame, in ParsedPacket packet, int zone, long nowMs)
    {
        Prepare(in packet, zone, out var probe);
        return TrackPrepared(frame, in packet, in probe, nowMs);
    }

    /// <summary>
    /// <see cref="Track"/> for a packet whose key <see cref="Prepare"/> computed (and whose memory
    /// <see cref="Prefetch"/> may have requested).
    /// </summary>
    public ConnLookup TrackPrepared(ReadOnlySpan<byte> frame, in ParsedPacket packet, in ConnProbe probe, long nowMs)
    {
        var kind = probe.Kind;
        if (kind == PacketKind.Untracked)
        {
            return ConnLookup.Untracked;
        }
        if (kind == PacketKind.IcmpError)
        {
            return TrackRelated(frame, in packet, probe.Zone, nowMs);
        }
        var hash = probe.Hash;
        var shardIndex = ShardOf(hash);
        var shard = _shards[shardIndex];
        var timeouts = Volatile.Read(ref _timeoutsMs);
        shard.Enter();
        try
        {
            shard.Observe(nowMs);
            var index = shard.Find(in probe.Key, hash);
            if (index >= 0)
            {
                ref var e = ref shard.At(index);
                if (!ConnShard.IsExpired(ref e, nowMs, timeouts))
                {
                    return Update(shard, Location(shardIndex, index), index, ref e, frame, in packet, kind, probe.Swapped, hash, nowMs);
                }
                shard.RemoveExpired(index);
            }
        }
        finally
        {
            shard.Exit();
        }
        return ProtocolTrackers.FirstPacket(kind, packet.TcpFlags);
    }

    /// <summary>Creates the entry for an admitted first packet (see the full overload). TCP window scaling is then assumed.</summary>
    public ConnCommitResult Commit(in ParsedPacket packet, int zone, long nowMs, in ConnAdmission admission) =>
        Commit(default, in packet, zone, nowMs, in admission, out _);

    /// <summary>
    /// Creates the entry for <paramref name="packet"/>, the first packet of a connection the policy admitted after
    /// <see cref="Track"/> answered <see cref="ConnVerdict.New"/>. Idempotent: when another worker created the entry
    /// meanwhile the answer is <see cref="ConnCommitResult.Exists"/> and <paramref name="handle"/> refers to it.
    /// When the shard is full, the oldest unassured entry is evicted (<see cref="EarlyDropTotal"/>); with none,
    /// the answer is <see cref="ConnCommitResult.Full"/>. A port already at its limit of connections
    /// (<see cref="ConnAdmission.InPortLimit"/>, <see cref="ConnAdmission.OutPortLimit"/>; counted on both ends, see
    /// <see cref="PortConnections"/>) refuses the entry: <see cref="ConnCommitResult.InPortLimit"/> or
    /// <see cref="ConnCommitResult.OutPortLimit"/>.
    /// </summary>
    /// <param name="frame">The frame (for a SYN's window-scale option); may be empty.</param>
    /// <param name="packet">The admitted first packet.</param>
    /// <param name="zone">The conntrack zone, as given to <see cref="Track"/>.</param>
    /// <param name="nowMs">The caller's clock in milliseconds.</param>
    /// <param name="admission">Policy generation, ports and rule to store in the entry.</param>
    /// <param name="handle">The created (or existing) entry; invalid for the other answers.</param>
    public ConnCommitResult Commit(ReadOnlySpan<byte> frame, in ParsedPacket packet, int zone, long nowMs,
        in ConnAdmission admission, out ConnHandle handle)
    {
        handle = default;
        var kind = Classify(in packet, out var sourcePort, out var destinationPort);
        if (ProtocolTrackers.FirstPacket(kind, packet.TcpFlags).Verdict != ConnVerdict.New || packet.IsLaterFragment)
        {
            return ConnCommitResult.Invalid;
        }
        var key = ConnKey.Create(zone, packet.IpProtocol, packet.IsIpv6, packet.IpSource, sourcePort,
            packet.IpDestination, destinationPort, out var swapped);
        var hash = key.Hash(_seed);
        var shardIndex = ShardOf(hash);
        var shard = _shards[shardIndex];
        var timeouts = Volatile.Read(ref _timeoutsMs);
        var scale = kind == PacketKind.Tcp ? TcpTracker.ReadWindowScale(frame, in packet) : (byte)0;
        shard.Enter();
        try
        {
            shard.Observe(nowMs);
            var index = shard.Find(in key, hash);
            if (index >= 0)
            {
                ref var existing = ref shard.At(index);
                if (ConnShard.IsExpired(ref existing, nowMs, timeouts))
                {
                    shard.RemoveExpired(index);
                }
                else if (kind == PacketKind.Tcp && existing.State is ConnState.TcpTimeWait or ConnState.TcpClose)
                {
                    shard.Remove(index);
                }
                else
                {
                    handle = new ConnHandle(Location(shardIndex, index), (uint)hash);
                    return ConnCommitResult.Exists;
                }
            }
            if (!_ports.TryReserve(admission.InPort, admission.InPortLimit))
            {
                return ConnCommitResult.InPortLimit;
            }
            if (admission.OutPort != admission.InPort && !_ports.TryReserve(admission.OutPort, admission.OutPortLimit))
            {
                _ports.Release(admission.InPort);
                return ConnCommitResult.OutPortLimit;
            }
            index = shard.Allocate(nowMs, timeouts);
            if (index < 0)
            {
                _ports.Release(admission.InPort, admission.OutPort);
                return ConnCommitResult.Full;
            }
            ref var e = ref shard.At(index);
            e.Key = key;
            e.LastSeenMs = nowMs;
            e.AdmittedGeneration = admission.Generation;
            e.Packets[0] = 1;
            e.Packets[1] = 0;
            e.Bytes[0] = packet.IpLength;
            e.Bytes[1] = 0;
            e.RuleSlot = admission.RuleSlot;
            e.OrigInPortPlusOne = ConnEntry.PackPort(admission.InPort);
            e.OrigOutPortPlusOne = ConnEntry.PackPort(admission.OutPort);
            e.Flags = swapped ? ConnEntryFlags.OriginalSwapped : ConnEntryFlags.None;
            e.Scale = default;
            e.Tcp = default;
            ProtocolTrackers.Start(ref e, kind, in packet, scale);
            shard.Insert(index, hash, nowMs);
            handle = new ConnHandle(Location(shardIndex, index), (uint)hash);
            return ConnCommitResult.Created;
        }
        finally
        {
            shard.Exit();
        }
    }

    /// <summary>Records that the policy of <paramref name="generation"/> still admits the connection.</summary>
    public void Revalidated(ConnHandle handle, long generation)
    {
        if (!TryLocate(handle, out var shard, out var index))
        {
            return;
        }
        shard.Enter();
        try
        {
            ref var e = ref shard.At(index);
            if (Matches(ref e, handle))
            {
                e.AdmittedGeneration = generation;
            }
        }
        finally
        {
            shard.Exit();
        }
    }

    /// <summary>Removes the connection (the policy no longer admits it). False when the handle is stale.</summary>
    public bool Remove(ConnHandle handle)
    {
        if (!TryLocate(handle, out var shard, out var index))
        {
            return false;
        }
        shard.Enter();
        try
        {
            ref var e = ref shard.At(index);
            if (!Matches(ref e, handle))
            {
                return false;
            }
            shard.Remove(index);
            return true;
        }
        finally
        {
            shard.Exit();
        }
    }

    /// <summary>
    /// Commits the memory the first connections will touch: every hash bucket and the first huge page of each shard's
    /// entries (slots are handed out from the start of a shard). Otherwise the first packet of a fresh table's first
    /// connection in a shard waits while the kernel zeroes a 2 MiB page in the fault (8-9 ms on this project's VM).
    /// Costs the resident memory those pages would take as the first connections arrive anyway (at most 2 MiB per
    /// shard, plus 8 bytes per entry of capacity for the buckets). Call before the workers start.
    /// </summary>
    public void Prefault()
    {
        ThrowIfDisposed();
        _bucketMemory.Populate(0, _bucketMemory.Length);
        var shardBytes = (long)_shardCapacity * ConnEntry.Size;
        for (var i = 0; i < _shards.Length; i++)
        {
            _entryMemory.Populate(i * shardBytes, Math.Min(shardBytes, HugePageMemory.HugePageSize));
        }
    }

    public void Dispose()
    {
        // The pages go back to the kernel now; the mapping stays until the finalizer, so a stale caller after
        // Dispose touches zeros (no live entry), never unmapped memory. The flag makes control-plane calls fail loudly.
        if (!_disposed)
        {
            _disposed = true;
            _entryMemory.Release();
            _bucketMemory.Release();
        }
    }

    /// <summary>A tracked packet on a live entry: tracker, counters, assured flag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ConnLookup Update(ConnShard shard, int location, int index, ref ConnEntry e, ReadOnlySpan<byte> frame,
        in ParsedPacket packet, PacketKind kind, bool swapped, ulong hash, long nowMs)
    {
        var dir = swapped != e.OriginalSwapped ? 1 : 0;
        var verdict = ProtocolTrackers.Update(ref e, kind, dir, frame, in packet);
        if (verdict == ConnVerdict.New)
        {
            // A SYN on a closed connection: forget it; the policy decides about the new one.
            shard.Remove(index);
            return ConnLookup.New;
        }
        var handle = new ConnHandle(location, (uint)hash);
        if (verdict == ConnVerdict.Established)
        {
            e.Packets[dir]++;
            e.Bytes[dir] += packet.IpLength;
            if (nowMs > e.LastSeenMs)
            {
                e.LastSeenMs = nowMs;
            }
            if (!e.IsAssured && ConnStates.IsAssured(e.State))
            {
                shard.MarkAssured(index);
            }
        }
        return new ConnLookup(verdict, dir == 1, handle, ref e);
    }

    /// <summary>An ICMP error: Related when its quote belongs to a live connection, otherwise Invalid.</summary>
    private ConnLookup TrackRelated(ReadOnlySpan<byte> frame, in ParsedPacket packet, int zone, long nowMs)
    {
        // The error must travel back to the quoted packet's sender.
        if (!IcmpQuote.TryRead(frame, in packet, out var quoted) || quoted.Source != packet.IpDestination)
        {
            return ConnLookup.Invalid;
        }
        var key = ConnKey.Create(zone, quoted.Protocol, packet.IsIpv6, quoted.Source, quoted.SourcePort,
            quoted.Destination, quoted.DestinationPort, out var swapped);
        var hash = key.Hash(_seed);
        var shardIndex = ShardOf(hash);
        var shard = _shards[shardIndex];
        var timeouts = Volatile.Read(ref _timeoutsMs);
        shard.Enter();
        try
        {
            shard.Observe(nowMs);
            var index = shard.Find(in key, hash);
            if (index >= 0)
            {
                ref var e = ref shard.At(index);
                if (!ConnShard.IsExpired(ref e, nowMs, timeouts))
                {
                    // The error travels against the quoted packet: a quote of the original direction is a reply.
                    var quotedDir = swapped != e.OriginalSwapped ? 1 : 0;
                    return new ConnLookup(ConnVerdict.Related, quotedDir == 0, new ConnHandle(Location(shardIndex, index), (uint)hash), ref e);
                }
            }
        }
        finally
        {
            shard.Exit();
        }
        return ConnLookup.Invalid;
    }

    /// <summary>Sorts a packet into what conntrack does with it and picks the key's ports.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PacketKind Classify(in ParsedPacket packet, out ushort sourcePort, out ushort destinationPort)
    {
        sourcePort = 0;
        destinationPort = 0;
        var flags = packet.Flags;
        var hasL4 = (flags & PacketFlags.HasL4) != 0;
        if ((flags & (PacketFlags.Ipv4 | PacketFlags.Ipv6)) == 0 || ((flags & PacketFlags.LaterFragment) != 0 && !hasL4))
        {
            // A later fragment is tracked only with the L4 fields of its first fragment (Fragments/FragmentTable.cs).
            return PacketKind.Untracked;
        }
        var protocol = packet.IpProtocol;
        if (protocol == IpProtocol.Tcp || UdpTracker.HasPorts(protocol))
        {
            if (!hasL4)
            {
                return PacketKind.Untracked;
            }
            sourcePort = packet.SourcePort;
            destinationPort = packet.DestinationPort;
            return protocol == IpProtocol.Tcp ? PacketKind.Tcp : PacketKind.Ports;
        }
        var ipv6 = (flags & PacketFlags.Ipv6) != 0;
        if (hasL4 && IcmpTracker.IsIcmp(protocol, ipv6))
        {
            switch (IcmpTracker.Classify(ipv6, (byte)packet.SourcePort))
            {
                case IcmpKind.EchoRequest:
                    sourcePort = destinationPort = packet.IcmpIdentifier;
                    return PacketKind.IcmpEchoRequest;
                case IcmpKind.EchoReply:
                    sourcePort = destinationPort = packet.IcmpIdentifier;
                    return PacketKind.IcmpEchoReply;
                case IcmpKind.Error:
                    // A later fragment of an error does not hold the quote that relates it to a connection.
                    return (flags & PacketFlags.LaterFragment) != 0 ? PacketKind.Untracked : PacketKind.IcmpError;
                default:
                    return PacketKind.Untracked;
            }
        }
        return PacketKind.Other;
    }

    /// <summary>The shard of a key hash: bits 40 and up (buckets use the low 24 bits at most, so the two never overlap).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int ShardOf(ulong hash) => (int)(hash >> 40) & _shardMask;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Location(int shardIndex, int index) => (shardIndex * _shardCapacity) + index;

    private bool TryLocate(ConnHandle handle, out ConnShard shard, out int index)
    {
        var location = handle.Location;
        if (!handle.IsValid || (uint)location >= (uint)(_shardCapacity * _shards.Length))
        {
            shard = null!;
            index = -1;
            return false;
        }
        shard = _shards[location / _shardCapacity];
        index = location % _shardCapacity;
        return true;
    }

    private bool Matches(ref ConnEntry e, ConnHandle handle) => e.IsLive && (uint)e.Key.Hash(_seed) == handle.Check;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
