// ConnTable.Nat.cs: source-NAT bindings, the port a router's gateway address lends to an inside connection.
//
// What
//   A router with SNAT sends its inside networks' connections out from one address, its gateway's. Each connection
//   needs a port on that address unique toward its remote endpoint, and each reply must find the inside endpoint the
//   port stands for. A binding is an ordinary entry of this table in the router's NAT zone (NatZone: above every
//   network's zone), keyed by the translated tuple (gateway address and port, remote address and port) and holding
//   the inside endpoint (ConnEntry.NatInside, where a connection keeps its admitting generation). A reply is then an
//   ordinary Track in the NAT zone: one probe finds the binding, its tracker runs, and the lookup carries the inside
//   endpoint back (ConnLookup.NatInsideAddress, NatInsidePort); an ICMP error about the translated packet finds it
//   through its quote as RELATED, as any error does.
//   The outward direction (Snat) must find the binding from the inside tuple. The port is not stored anywhere else:
//   it is searched along a short sequence of candidates the inside tuple determines. The first is the inside port
//   itself (port preservation, as Linux's NAT tries first), the others are spread over 1024-65535 by a seeded hash;
//   a candidate is the packet's binding when its entry holds the packet's inside endpoint. A new connection (its
//   stateful inside zone has no entry for it) takes its own port when free (or its own stale binding, renewed as
//   Track renews a closed TCP connection); otherwise, and for every packet of a connection under way, all candidates
//   are searched for its binding, and only when none holds it is one created at the first free candidate, if the
//   packet may start a connection (a port without stateful groups, or a binding that expired before its connection).
//   So a connection's port never changes while its binding lives, even when an earlier candidate frees up. Protocols without ports translate the address only: one candidate, port 0; SCTP keeps its port (one candidate).
//   An ICMP error the inside endpoint sends about a packet it received through a binding finds that binding from its
//   quote, by the same candidates, without changing it (SnatError).
//   A connection opened from outside to an inside address (routed in untranslated) is answered untranslated. A stateful
//   receiver's zone tells its replies apart; for a port without stateful groups, TrackUntranslated records the
//   connection in the NAT zone by its own tuple (UntranslatedMarker instead of an endpoint).
//
// Why
//   Linux and OVS store a NATed connection under two tuples (original and reply) in one entry. Here the canonical
//   key already serves both directions of one tuple, and the entry has no room for a second key; a second entry
//   costs one more probe per translated packet and 152 bytes per connection, and keeps the lock discipline (one
//   shard lock at a time, held for a probe) and the expiry rules of every other entry: a binding lives as long as its
//   packets keep its tracker's state alive, so a closed TCP connection gives its port back after TIME_WAIT, not after
//   the five-day established timeout. Candidate search instead of a stored port: the common case (the inside port is
//   free toward that remote) is one probe, as a stored mapping would be.
//
// Thread-safety
//   As Track: any number of workers. Two workers racing to create the same connection's binding both probe the same
//   first candidate under its shard's lock: the second finds the first's binding, holding its own endpoint, and uses it.

using System.Numerics;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

public sealed partial class ConnTable
{
    /// <summary>
    /// The first NAT zone: the bindings of the routers whose gateway is on external network <c>n</c> live in
    /// <c>NatZoneBase | n</c>, above every network's zone (a network's index is stable while it exists; each router's
    /// gateway address is part of its bindings' keys).
    /// </summary>
    public const int NatZoneBase = 1 << (ConnKey.ZoneBits - 1);

    /// <summary>Candidate ports tried per packet before <see cref="SnatResult.Exhausted"/>.</summary>
    public const int SnatCandidates = 16;

    private const int FirstDynamicPort = 1024;

    /// <summary>The zone of the SNAT bindings of routers with their gateway on network <paramref name="externalNetwork"/>.</summary>
    public static int NatZone(int externalNetwork) => NatZoneBase | (externalNetwork & (NatZoneBase - 1));

    /// <summary>True for a zone that holds SNAT bindings rather than connections.</summary>
    public static bool IsNatZone(int zone) => (zone & NatZoneBase) != 0;

    /// <summary>The external network index of a NAT zone (<see cref="NatZone"/>'s inverse).</summary>
    public static int NetworkOfNatZone(int zone) => zone & (NatZoneBase - 1);

    /// <summary>
    /// The port an IPv4 <paramref name="packet"/> from an inside endpoint leaves from when its source becomes
    /// <paramref name="outside"/> (host order): its binding is found, or created, and its tracker updated with the
    /// packet. <paramref name="newConnection"/> tells that the inside zone has no live connection for the packet (a
    /// stateful sender's egress lookup answered New), so its own port may be taken at once when free. An ICMP error the inside endpoint
    /// sends about a packet it received through a binding gets that binding's port (see <see cref="SnatError"/>).
    /// </summary>
    /// <param name="frame">The frame (a SYN's window scale, an error's quote).</param>
    /// <param name="packet">The packet as it left the VM (inside source).</param>
    /// <param name="natZone">The router's NAT zone (<see cref="NatZone"/>).</param>
    /// <param name="outside">The router's gateway address.</param>
    /// <param name="nowMs">The caller's clock in milliseconds.</param>
    /// <param name="newConnection">No live inside connection holds the packet.</param>
    /// <param name="port">The translated source port (or echo identifier; for an error, the quoted destination's); the packet's own when unchanged.</param>
    public SnatResult Snat(ReadOnlySpan<byte> frame, in ParsedPacket packet, int natZone, uint outside, long nowMs, bool newConnection, out ushort port)
    {
        PrepareSnat(in packet, natZone, outside, out var probe);
        return SnatPrepared(frame, in packet, natZone, outside, nowMs, newConnection, in probe, out port, out _);
    }

    /// <summary>
    /// The key and hash of a packet's first candidate binding (its own port), and its bucket requested from memory, as
    /// <see cref="Prepare"/> does for a lookup: a batch's bindings are then fetched together (<see cref="Prefetch"/>)
    /// before <see cref="SnatPrepared"/> probes them.
    /// </summary>
    public void PrepareSnat(in ParsedPacket packet, int natZone, uint outside, out ConnProbe probe)
    {
        probe = default;
        probe.Zone = natZone;
        var kind = Classify(in packet, out var sourcePort, out var destinationPort);
        probe.Kind = kind;
        if (kind is PacketKind.Untracked or PacketKind.IcmpError || !packet.IsIpv4)
        {
            return;
        }
        var binding = new Binding(natZone, packet.IpProtocol, kind, outside, packet.IpDestination.Ipv4, destinationPort, 0);
        probe.Key = binding.Key(sourcePort, out probe.Swapped);
        probe.Hash = probe.Key.Hash(_seed);
        _shards[ShardOf(probe.Hash)].PrefetchBucket(probe.Hash);
    }

    /// <summary><see cref="Snat"/> for a packet whose first candidate <see cref="PrepareSnat"/> computed.</summary>
    /// <param name="frame">The frame (a SYN's window scale, an error's quote).</param>
    /// <param name="packet">The packet as it left the VM (inside source).</param>
    /// <param name="natZone">The router's NAT zone (<see cref="NatZone"/>).</param>
    /// <param name="outside">The router's gateway address.</param>
    /// <param name="nowMs">The caller's clock in milliseconds.</param>
    /// <param name="newConnection">No live inside connection holds the packet.</param>
    /// <param name="probe">From <see cref="PrepareSnat"/> with the same packet, zone and address.</param>
    /// <param name="port">The translated source port, as <see cref="Snat"/> gives it.</param>
    /// <param name="created">The binding, when this packet created it (for <see cref="Remove"/> if the packet is dropped
    /// before its connection is committed); invalid when it existed.</param>
    public SnatResult SnatPrepared(ReadOnlySpan<byte> frame, in ParsedPacket packet, int natZone, uint outside, long nowMs, bool newConnection,
        in ConnProbe probe, out ushort port, out ConnHandle created)
    {
        port = 0;
        created = default;
        var kind = Classify(in packet, out var sourcePort, out var destinationPort);
        if (kind == PacketKind.IcmpError && packet.IsIpv4)
        {
            return SnatError(frame, in packet, natZone, outside, nowMs, out port);
        }
        if (kind == PacketKind.Untracked || !packet.IsIpv4)
        {
            return SnatResult.Invalid;
        }
        var binding = new Binding(natZone, packet.IpProtocol, kind, outside, packet.IpDestination.Ipv4, destinationPort,
            NatEndpoint(packet.IpSource.Ipv4, sourcePort));
        var mayStart = ProtocolTrackers.FirstPacket(kind, packet.TcpFlags).Verdict == ConnVerdict.New && !packet.IsLaterFragment;
        // An SCTP port cannot change without recomputing its CRC32c: its own port or nothing, like an address-only protocol.
        var candidates = kind == PacketKind.Other || packet.IpProtocol == IpProtocol.Sctp ? 1 : SnatCandidates;
        var firstFree = -1;
        var full = false;
        for (var k = 0; k < candidates; k++)
        {
            var candidate = Candidate(in binding, sourcePort, k);
            var outcome = k == 0
                ? ProbeBinding(frame, in packet, in binding, in probe.Key, probe.Hash, probe.Swapped, create: newConnection && mayStart, nowMs, out created)
                : ProbeBinding(frame, in packet, in binding, candidate, create: false, nowMs, out created);
            switch (outcome)
            {
                case BindingProbe.Bound:
                    port = candidate;
                    return SnatResult.Translated;
                case BindingProbe.Free when firstFree < 0:
                    firstFree = k;
                    break;
                case BindingProbe.Full:
                    full = true;
                    break;
            }
        }
        if (firstFree >= 0 && mayStart)
        {
            var candidate = Candidate(in binding, sourcePort, firstFree);
            switch (ProbeBinding(frame, in packet, in binding, candidate, create: true, nowMs, out created))
            {
                case BindingProbe.Bound:
                    port = candidate;
                    return SnatResult.Translated;
                case BindingProbe.Full:
                    return SnatResult.Full;
            }
        }
        return full ? SnatResult.Full : firstFree >= 0 && !mayStart ? SnatResult.Invalid : SnatResult.Exhausted;
    }

    /// <summary>
    /// An ICMP error from an inside endpoint about a packet it received through a binding (the quote: remote → inside):
    /// the binding's port, so that the error leaves quoting the packet as the remote sent it. Nothing is created or
    /// updated; no binding is <see cref="SnatResult.Invalid"/>.
    /// </summary>
    private SnatResult SnatError(ReadOnlySpan<byte> frame, in ParsedPacket packet, int natZone, uint outside, long nowMs, out ushort port)
    {
        port = 0;
        if (!IcmpQuote.TryRead(frame, in packet, out var quoted) || quoted.Destination != packet.IpSource || !quoted.Source.IsIpv4Mapped)
        {
            return SnatResult.Invalid;
        }
        var kind = quoted.Protocol switch
        {
            IpProtocol.Tcp => PacketKind.Tcp,
            IpProtocol.Udp or IpProtocol.Sctp => PacketKind.Ports,
            IpProtocol.Icmp => PacketKind.IcmpEchoReply,
            _ => PacketKind.Other,
        };
        var binding = new Binding(natZone, quoted.Protocol, kind, outside, quoted.Source.Ipv4, quoted.SourcePort,
            NatEndpoint(quoted.Destination.Ipv4, quoted.DestinationPort));
        var candidates = kind == PacketKind.Other || quoted.Protocol == IpProtocol.Sctp ? 1 : SnatCandidates;
        var timeouts = Volatile.Read(ref _timeoutsMs);
        for (var k = 0; k < candidates; k++)
        {
            var candidate = Candidate(in binding, quoted.DestinationPort, k);
            var key = binding.Key(candidate, out _);
            var hash = key.Hash(_seed);
            var shard = _shards[ShardOf(hash)];
            shard.Enter();
            try
            {
                var index = shard.Find(in key, hash);
                if (index >= 0 && !ConnShard.IsExpired(ref shard.At(index), nowMs, timeouts) && shard.At(index).NatInside == binding.Inside)
                {
                    port = candidate;
                    return SnatResult.Translated;
                }
            }
            finally
            {
                shard.Exit();
            }
        }
        return SnatResult.Invalid;
    }

    /// <summary>
    /// Records a connection from outside to an inside address that a SNAT router routed in untranslated, toward a port
    /// without stateful groups (whose own zone keeps no entry): an entry in the NAT zone by the packet's own tuple,
    /// marked <see cref="UntranslatedMarker"/>, so that its replies leave untranslated, as Neutron's SNAT applies only to
    /// connections opened from inside (<see cref="IsUntranslatedReply"/>).
    /// </summary>
    public void TrackUntranslated(ReadOnlySpan<byte> frame, in ParsedPacket packet, int natZone, long nowMs)
    {
        if (Track(frame, in packet, natZone, nowMs).Verdict == ConnVerdict.New)
        {
            Commit(frame, in packet, natZone, nowMs, new ConnAdmission(UntranslatedMarker, -1, -1, -1), out _);
        }
    }

    /// <summary>True when <paramref name="packet"/>, leaving from inside, answers a connection <see cref="TrackUntranslated"/> recorded.</summary>
    /// <param name="frame">The frame (an error's quote).</param>
    /// <param name="packet">The packet leaving by the gateway.</param>
    /// <param name="natZone">The router's NAT zone.</param>
    /// <param name="nowMs">The caller's clock in milliseconds.</param>
    /// <param name="peek">Change nothing (a trace).</param>
    public bool IsUntranslatedReply(ReadOnlySpan<byte> frame, in ParsedPacket packet, int natZone, long nowMs, bool peek = false)
    {
        var lookup = peek ? Peek(frame, in packet, natZone, nowMs) : Track(frame, in packet, natZone, nowMs);
        return lookup.Verdict is ConnVerdict.Established or ConnVerdict.Related && lookup.IsReply && lookup.AdmittedGeneration == UntranslatedMarker;
    }

    /// <summary>What an untranslated connection's entry in a NAT zone holds where a binding holds its inside endpoint.</summary>
    public const long UntranslatedMarker = -1;

    /// <summary>The inside endpoint as a binding stores it.</summary>
    private static long NatEndpoint(uint address, ushort port) => ((long)address << 16) | port;

    /// <summary>What identifies a binding but its port: the zone, protocol, both addresses, the remote port and the inside endpoint.</summary>
    private readonly record struct Binding(int Zone, byte Protocol, PacketKind Kind, uint Outside, uint Remote, ushort RemotePort, long Inside)
    {
        /// <summary>The binding's key with <paramref name="candidate"/> as the outside port (an echo's identifier is both ports).</summary>
        public ConnKey Key(ushort candidate, out bool swapped)
        {
            var echo = Kind is PacketKind.IcmpEchoRequest or PacketKind.IcmpEchoReply;
            return ConnKey.Create(Zone, Protocol, false, IpAddress128.FromIpv4(Outside), candidate, IpAddress128.FromIpv4(Remote),
                echo ? candidate : Kind == PacketKind.Other ? (ushort)0 : RemotePort, out swapped);
        }
    }

    /// <summary>Candidate <paramref name="k"/> of a binding's outside port: the inside port first, then seeded hashes of the tuple.</summary>
    private ushort Candidate(in Binding binding, ushort insidePort, int k)
    {
        if (k == 0)
        {
            return insidePort;
        }
        var mix = ((ulong)binding.Inside << 16 | binding.RemotePort) ^ _seed;
        mix ^= ((ulong)binding.Remote << 29) + (ulong)k;
        mix *= 0x9E3779B97F4A7C15UL;
        mix = BitOperations.RotateLeft(mix, 31) * 0xBF58476D1CE4E5B9UL;
        return (ushort)(FirstDynamicPort + (int)((mix >> 32) % (ushort.MaxValue + 1 - FirstDynamicPort)));
    }

    private enum BindingProbe : byte
    {
        /// <summary>The packet's binding (found and updated, or created).</summary>
        Bound,

        /// <summary>No live binding at this candidate, and none was created.</summary>
        Free,

        /// <summary>Another inside endpoint holds this candidate.</summary>
        Taken,

        /// <summary>Free, but the shard had no room.</summary>
        Full,
    }

    private BindingProbe ProbeBinding(ReadOnlySpan<byte> frame, in ParsedPacket packet, in Binding binding, ushort candidate, bool create, long nowMs,
        out ConnHandle created)
    {
        var key = binding.Key(candidate, out var swapped);
        return ProbeBinding(frame, in packet, in binding, in key, key.Hash(_seed), swapped, create, nowMs, out created);
    }

    /// <summary>One candidate under its shard's lock: the packet's binding is updated; a free slot is taken when <paramref name="create"/>.</summary>
    private BindingProbe ProbeBinding(ReadOnlySpan<byte> frame, in ParsedPacket packet, in Binding binding, in ConnKey key, ulong hash, bool swapped,
        bool create, long nowMs, out ConnHandle created)
    {
        created = default;
        var kind = binding.Kind;
        var shardIndex = ShardOf(hash);
        var shard = _shards[shardIndex];
        var timeouts = Volatile.Read(ref _timeoutsMs);
        var scale = create && kind == PacketKind.Tcp ? TcpTracker.ReadWindowScale(frame, in packet) : (byte)0;
        shard.Enter();
        try
        {
            shard.Observe(nowMs);
            var index = shard.Find(in key, hash);
            if (index >= 0 && ConnShard.IsExpired(ref shard.At(index), nowMs, timeouts))
            {
                shard.RemoveExpired(index);
                index = -1;
            }
            if (index >= 0)
            {
                ref var e = ref shard.At(index);
                if (e.NatInside != binding.Inside)
                {
                    return BindingProbe.Taken;
                }
                var dir = swapped != e.OriginalSwapped ? 1 : 0;
                var verdict = ProtocolTrackers.Update(ref e, kind, dir, frame, in packet);
                if (verdict != ConnVerdict.New)
                {
                    if (verdict == ConnVerdict.Established)
                    {
                        e.Packets[dir]++;
                        e.Bytes[dir] += packet.IpLength;
                        e.LastSeenMs = Math.Max(e.LastSeenMs, nowMs);
                        if (!e.IsAssured && ConnStates.IsAssured(e.State))
                        {
                            shard.MarkAssured(index);
                        }
                    }
                    // An odd segment of a known connection is still its own: the inside zone's tracker has judged it.
                    return BindingProbe.Bound;
                }
                // A SYN on the binding of a closed connection: the new connection takes it over.
                shard.Remove(index);
            }
            if (!create)
            {
                return BindingProbe.Free;
            }
            index = shard.Allocate(nowMs, timeouts);
            if (index < 0)
            {
                return BindingProbe.Full;
            }
            ref var entry = ref shard.At(index);
            entry.Key = key;
            entry.LastSeenMs = nowMs;
            entry.NatInside = binding.Inside;
            entry.Packets[0] = 1;
            entry.Packets[1] = 0;
            entry.Bytes[0] = packet.IpLength;
            entry.Bytes[1] = 0;
            entry.RuleSlot = -1;
            entry.OrigInPortPlusOne = 0;
            entry.OrigOutPortPlusOne = 0;
            entry.Flags = swapped ? ConnEntryFlags.OriginalSwapped : ConnEntryFlags.None;
            entry.Scale = default;
            entry.Tcp = default;
            ProtocolTrackers.Start(ref entry, kind, in packet, scale);
            shard.Insert(index, hash, nowMs);
            created = new ConnHandle(Location(shardIndex, index), (uint)hash);
            return BindingProbe.Bound;
        }
        finally
        {
            shard.Exit();
        }
    }
}
