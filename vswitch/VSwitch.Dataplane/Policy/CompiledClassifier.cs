using System.Numerics;
using System.Runtime.CompilerServices;

namespace VSwitch.Dataplane.Policy;

/// <summary>
/// The allow rules of one port and direction, compiled into one hash table probed once per distinct mask type
/// (tuple-space search, as VPP's ACL plugin <c>hash_lookup.c</c>).
/// </summary>
/// <remarks>
/// What: every rule becomes one or more entries keyed by (masked remote address, protocol, masked port key, mask
/// type); a port range becomes the aligned port prefixes that cover it, so ranges cost a few entries, not thousands.
/// A lookup builds the query's key under each mask type of its family and probes the table.
/// Why: lookup cost grows with the number of distinct mask types (a handful in real rule sets: /0, /24, /32 ×
/// any-port, one port), never with the number of rules; a linear scan of 10,000 rules costs tens of microseconds.
/// The value of an entry is the lowest rule index among the rules that produced the same key, and a lookup returns the
/// lowest over all mask types, so the attributed rule equals a linear first-match scan's (checked by the differential
/// tests against <c>ReferenceClassifier</c>).
/// Address sets: a rule whose remote is a group or an address group compiles to one entry per (protocol, port prefix)
/// under a mask type that compares no address; the entry lists (rule index, set index) pairs in rule order, and the
/// lookup asks the snapshot's sets whether they hold the address. The classifier never holds members, so a membership
/// change rebuilds a set, not the classifiers of the ports that use it.
/// Thread-safety: immutable after <see cref="ClassifierCompiler.Compile"/>; any number of workers read it.
/// </remarks>
public sealed class CompiledClassifier
{
    public static readonly CompiledClassifier Empty = ClassifierCompiler.Compile([]);

    private readonly MaskType[] _ipv4;
    private readonly MaskType[] _ipv6;
    private readonly Entry[] _entries;
    private readonly SetRef[] _setRefs;
    private readonly int _mask;

    internal struct Entry
    {
        public ulong High;
        public ulong Low;
        public ulong Rest;

        /// <summary>Rule index + 1 (for an address-set entry: the first <see cref="SetRef"/> + 1); 0 marks an empty entry.</summary>
        public int Value;

        /// <summary>Address-set entries: how many <see cref="SetRef"/>s follow <see cref="Value"/> - 1.</summary>
        public int SetCount;
    }

    /// <summary>A rule whose remote is an address set, as listed by an address-set entry.</summary>
    internal readonly record struct SetRef(int Rule, int Set);

    internal CompiledClassifier(MaskType[] ipv4, MaskType[] ipv6, Entry[] entries, SetRef[] setRefs, int ruleCount, int entryCount)
    {
        _ipv4 = ipv4;
        _ipv6 = ipv6;
        _entries = entries;
        _setRefs = setRefs;
        _mask = entries.Length - 1;
        RuleCount = ruleCount;
        EntryCount = entryCount;
    }

    /// <summary>Rules compiled in.</summary>
    public int RuleCount { get; }

    /// <summary>Hash entries (a rule with a port range makes several).</summary>
    public int EntryCount { get; }

    /// <summary>Mask types, i.e. probes per lookup, for IPv4 and IPv6 queries.</summary>
    public (int Ipv4, int Ipv6) MaskTypeCount => (_ipv4.Length, _ipv6.Length);

    /// <summary>Approximate bytes of the compiled form.</summary>
    public long MemorySize => ((long)_entries.Length * Unsafe.SizeOf<Entry>()) + ((long)_setRefs.Length * Unsafe.SizeOf<SetRef>())
        + ((_ipv4.Length + _ipv6.Length) * 8L);

    /// <summary>The lowest index of a rule that allows <paramref name="query"/>, or -1 when none does (rules naming an
    /// address set match nothing).</summary>
    public int Lookup(in ClassifierQuery query) => Lookup(in query, []);

    /// <summary>
    /// The lowest index of a rule that allows <paramref name="query"/>, or -1 when none does; rules naming an address
    /// set look the remote address up in <paramref name="sets"/> (a missing or null entry holds nothing).
    /// </summary>
    public int Lookup(in ClassifierQuery query, AddressSet?[] sets)
    {
        var masks = query.Ipv6 ? _ipv6 : _ipv4;
        var best = int.MaxValue;
        for (var m = 0; m < masks.Length; m++)
        {
            ref readonly var mt = ref masks[m];
            if (query.LaterFragment && mt.PortLength != 0)
            {
                continue;
            }
            var high = query.RemoteAddress.High & mt.AddressMaskHigh;
            var low = query.RemoteAddress.Low & mt.AddressMaskLow;
            var rest = MakeRest(mt, mt.MatchProtocol ? query.Protocol : 0, (ushort)(query.PortKey & mt.PortMask));
            var found = Find(high, low, rest);
            if (found < 0)
            {
                continue;
            }
            ref readonly var e = ref _entries[found];
            if (!mt.AddressSet)
            {
                best = Math.Min(best, e.Value - 1);
                continue;
            }
            var refs = _setRefs;
            for (int r = e.Value - 1, end = r + e.SetCount; r < end && (uint)r < (uint)refs.Length; r++)
            {
                var setRef = refs[r];
                if (setRef.Rule >= best)
                {
                    break;
                }
                if ((uint)setRef.Set < (uint)sets.Length && sets[setRef.Set] is { } set && set.Contains(in query.RemoteAddress, query.Ipv6))
                {
                    best = setRef.Rule;
                    break;
                }
            }
        }
        return best == int.MaxValue ? -1 : best;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong MakeRest(in MaskType mt, int protocol, ushort port) =>
        (1UL << 63) | ((ulong)mt.Id << 32) | ((ulong)(byte)protocol << 16) | port;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Hash(ulong high, ulong low, ulong rest)
    {
        var h = (high * 0x9E37_79B9_7F4A_7C15UL) ^ BitOperations.RotateLeft(low * 0xC2B2_AE3D_27D4_EB4FUL, 21) ^ (rest * 0x1656_67B1_9E37_79F9UL);
        return (int)(h ^ (h >> 29));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Find(ulong high, ulong low, ulong rest)
    {
        var entries = _entries;
        var i = Hash(high, low, rest) & _mask;
        while (true)
        {
            ref var e = ref entries[i];
            if (e.Value == 0)
            {
                return -1;
            }
            if (e.Rest == rest && e.High == high && e.Low == low)
            {
                return i;
            }
            i = (i + 1) & _mask;
        }
    }
}
