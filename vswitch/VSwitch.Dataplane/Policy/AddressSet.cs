using System.Numerics;
using System.Runtime.CompilerServices;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Policy;

/// <summary>
/// The addresses a <c>remote_group_id</c> or <c>remote_address_group_id</c> rule matches, compiled once and shared by the
/// classifiers of every port whose rules name it (OVN's address sets, the ipsets of Neutron's iptables driver).
/// </summary>
/// <remarks>
/// What: prefixes of both families (IPv4 mapped into 128 bits, as <see cref="ClassifierRule"/>) in one open-addressing
/// table keyed by (masked address, family, length), probed once per distinct prefix length of the query's family
/// (one probe for a remote group, whose members are host addresses).
/// Why: a classifier holds the set's index (<see cref="ClassifierRule.AddressSet"/>), not its members, so a VM joining
/// or leaving a group rebuilds this one object (O(members)) and no classifier; the snapshot publishes the new set
/// (<c>DataplaneSnapshot.AddressSets</c>). The family is part of the key: an IPv4 rule never matches an IPv6 member
/// whose bits happen to be an IPv4-mapped address.
/// Thread-safety: immutable after <see cref="Build"/>; any number of workers read it.
/// </remarks>
public sealed class AddressSet
{
    public static readonly AddressSet Empty = Build([]);

    private readonly Entry[] _entries;
    private readonly int _mask;
    private readonly byte[] _ipv4Lengths;
    private readonly byte[] _ipv6Lengths;

    private struct Entry
    {
        public ulong High;
        public ulong Low;

        /// <summary>Family and length tag (see <see cref="Tag"/>); 0 marks an empty entry.</summary>
        public ulong Tag;
    }

    /// <summary>One member: a network address (IPv4 mapped) and its prefix length in 128-bit terms (IPv4 /n is 96 + n).</summary>
    public readonly record struct Member(IpAddress128 Network, int Length128, bool Ipv6);

    private AddressSet(Entry[] entries, byte[] ipv4Lengths, byte[] ipv6Lengths, int count)
    {
        _entries = entries;
        _mask = entries.Length - 1;
        _ipv4Lengths = ipv4Lengths;
        _ipv6Lengths = ipv6Lengths;
        Count = count;
    }

    /// <summary>Distinct members.</summary>
    public int Count { get; }

    /// <summary>Approximate bytes of the compiled form.</summary>
    public long MemorySize => ((long)_entries.Length * Unsafe.SizeOf<Entry>()) + _ipv4Lengths.Length + _ipv6Lengths.Length + 64;

    public static AddressSet Build(IEnumerable<Member> members)
    {
        var keys = new HashSet<(ulong High, ulong Low, ulong Tag)>();
        var ipv4 = new SortedSet<byte>();
        var ipv6 = new SortedSet<byte>();
        foreach (var m in members)
        {
            var length = (byte)Math.Clamp(m.Length128, 0, 128);
            var (high, low) = Masked(m.Network, length);
            keys.Add((high, low, Tag(m.Ipv6, length)));
            (m.Ipv6 ? ipv6 : ipv4).Add(length);
        }
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(8, keys.Count * 2));
        var entries = new Entry[size];
        foreach (var (high, low, tag) in keys)
        {
            var i = CompiledClassifier.Hash(high, low, tag) & (size - 1);
            while (entries[i].Tag != 0)
            {
                i = (i + 1) & (size - 1);
            }
            entries[i] = new Entry { High = high, Low = low, Tag = tag };
        }
        // Longest first: a host address (the common member) is found by the first probe.
        return new AddressSet(entries, [.. ipv4.Reverse()], [.. ipv6.Reverse()], keys.Count);
    }

    /// <summary>Whether <paramref name="address"/> of the given family is inside some member.</summary>
    public bool Contains(in IpAddress128 address, bool ipv6)
    {
        var lengths = ipv6 ? _ipv6Lengths : _ipv4Lengths;
        for (var l = 0; l < lengths.Length; l++)
        {
            var length = lengths[l];
            var (high, low) = Masked(address, length);
            var tag = Tag(ipv6, length);
            var entries = _entries;
            var i = CompiledClassifier.Hash(high, low, tag) & _mask;
            while (true)
            {
                ref var e = ref entries[i];
                if (e.Tag == 0)
                {
                    break;
                }
                if (e.Tag == tag && e.High == high && e.Low == low)
                {
                    return true;
                }
                i = (i + 1) & _mask;
            }
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Tag(bool ipv6, byte length) => (1UL << 63) | (ipv6 ? 1UL << 8 : 0) | length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong High, ulong Low) Masked(in IpAddress128 address, byte length) => length switch
    {
        0 => (0, 0),
        < 64 => (address.High & (ulong.MaxValue << (64 - length)), 0),
        64 => (address.High, 0),
        < 128 => (address.High, address.Low & (ulong.MaxValue << (128 - length))),
        _ => (address.High, address.Low),
    };
}
