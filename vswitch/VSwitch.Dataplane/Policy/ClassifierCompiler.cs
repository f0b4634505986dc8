using System.Numerics;

namespace VSwitch.Dataplane.Policy;

/// <summary>Builds a <see cref="CompiledClassifier"/> from rules, off the data path.</summary>
public static class ClassifierCompiler
{
    public static CompiledClassifier Compile(IReadOnlyList<ClassifierRule> rules)
    {
        var maskIds = new Dictionary<(bool, byte, bool, byte, bool), MaskType>();
        var keys = new Dictionary<(ulong, ulong, ulong), int>();
        var setKeys = new Dictionary<(ulong, ulong, ulong), Dictionary<int, int>>();
        foreach (var rule in rules)
        {
            var matchProtocol = rule.Protocol >= 0;
            var usesSet = rule.AddressSet >= 0;
            var addressLength = (byte)(!usesSet && rule.RemotePrefixLength is > 0 and <= 128 ? rule.RemotePrefixLength : 0);
            foreach (var (port, portLength) in PortKeys(rule))
            {
                var shape = (rule.Ipv6, addressLength, matchProtocol, portLength, usesSet);
                if (!maskIds.TryGetValue(shape, out var mt))
                {
                    mt = new MaskType((ushort)maskIds.Count, rule.Ipv6, addressLength, matchProtocol, portLength, usesSet);
                    maskIds[shape] = mt;
                }
                var high = rule.RemoteAddress.High & mt.AddressMaskHigh;
                var low = rule.RemoteAddress.Low & mt.AddressMaskLow;
                var rest = CompiledClassifier.MakeRest(mt, matchProtocol ? rule.Protocol : 0, (ushort)(port & mt.PortMask));
                if (usesSet)
                {
                    // Per key, each set once with the lowest rule index that names it.
                    if (!setKeys.TryGetValue((0, 0, rest), out var sets))
                    {
                        setKeys[(0, 0, rest)] = sets = [];
                    }
                    if (!sets.TryGetValue(rule.AddressSet, out var existingIndex) || rule.Index < existingIndex)
                    {
                        sets[rule.AddressSet] = rule.Index;
                    }
                }
                else if (!keys.TryGetValue((high, low, rest), out var existing) || rule.Index < existing)
                {
                    keys[(high, low, rest)] = rule.Index;
                }
            }
        }

        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, (keys.Count + setKeys.Count) * 2));
        var entries = new CompiledClassifier.Entry[size];
        foreach (var ((high, low, rest), index) in keys)
        {
            Place(entries, new CompiledClassifier.Entry { High = high, Low = low, Rest = rest, Value = index + 1 });
        }
        var setRefs = new List<CompiledClassifier.SetRef>();
        foreach (var ((high, low, rest), sets) in setKeys)
        {
            // In rule order, so a lookup stops at the first set that holds the address.
            var start = setRefs.Count;
            setRefs.AddRange(sets.OrderBy(s => s.Value).ThenBy(s => s.Key).Select(s => new CompiledClassifier.SetRef(s.Value, s.Key)));
            Place(entries, new CompiledClassifier.Entry { High = high, Low = low, Rest = rest, Value = start + 1, SetCount = setRefs.Count - start });
        }
        // Cheap mask types first; order does not change the result, only how soon the common case is found.
        var ordered = maskIds.Values.OrderBy(m => m.Id).ToArray();
        return new CompiledClassifier(
            ordered.Where(m => !m.Ipv6).ToArray(),
            ordered.Where(m => m.Ipv6).ToArray(),
            entries,
            [.. setRefs],
            rules.Count,
            keys.Count + setKeys.Count);
    }

    private static void Place(CompiledClassifier.Entry[] entries, CompiledClassifier.Entry entry)
    {
        var mask = entries.Length - 1;
        var i = CompiledClassifier.Hash(entry.High, entry.Low, entry.Rest) & mask;
        while (entries[i].Value != 0)
        {
            i = (i + 1) & mask;
        }
        entries[i] = entry;
    }

    private static List<(ushort Port, byte Length)> PortKeys(ClassifierRule rule)
    {
        if (ClassifierRule.HasPorts(rule.Protocol) && rule.PortMin >= 0)
        {
            return PortPrefixes.Cover(rule.PortMin, rule.PortMax < 0 ? rule.PortMin : rule.PortMax);
        }
        if (ClassifierRule.IsIcmp(rule.Protocol) && rule.IcmpType >= 0)
        {
            return rule.IcmpCode >= 0
                ? [((ushort)((rule.IcmpType << 8) | rule.IcmpCode), 16)]
                : [((ushort)(rule.IcmpType << 8), 8)];
        }
        return [(0, 0)];
    }
}
