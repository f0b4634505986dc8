using System.Numerics;

namespace VSwitch.Dataplane.Policy;

/// <summary>Builds a <see cref="CompiledClassifier"/> from rules, off the data path.</summary>
public static class ClassifierCompiler
{
    public static CompiledClassifier Compile(IReadOnlyList<ClassifierRule> rules)
    {
        var maskIds = new Dictionary<(bool, byte, bool, byte), MaskType>();
        var keys = new Dictionary<(ulong, ulong, ulong), int>();
        foreach (var rule in rules)
        {
            var matchProtocol = rule.Protocol >= 0;
            var addressLength = (byte)(rule.RemotePrefixLength is > 0 and <= 128 ? rule.RemotePrefixLength : 0);
            foreach (var (port, portLength) in PortKeys(rule))
            {
                var shape = (rule.Ipv6, addressLength, matchProtocol, portLength);
                if (!maskIds.TryGetValue(shape, out var mt))
                {
                    mt = new MaskType((ushort)maskIds.Count, rule.Ipv6, addressLength, matchProtocol, portLength);
                    maskIds[shape] = mt;
                }
                var high = rule.RemoteAddress.High & mt.AddressMaskHigh;
                var low = rule.RemoteAddress.Low & mt.AddressMaskLow;
                var rest = CompiledClassifier.MakeRest(mt, matchProtocol ? rule.Protocol : 0, (ushort)(port & mt.PortMask));
                if (!keys.TryGetValue((high, low, rest), out var existing) || rule.Index < existing)
                {
                    keys[(high, low, rest)] = rule.Index;
                }
            }
        }

        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, keys.Count * 2));
        var entries = new CompiledClassifier.Entry[size];
        foreach (var ((high, low, rest), index) in keys)
        {
            var i = CompiledClassifier.Hash(high, low, rest) & (size - 1);
            while (entries[i].Value != 0)
            {
                i = (i + 1) & (size - 1);
            }
            entries[i] = new CompiledClassifier.Entry { High = high, Low = low, Rest = rest, Value = index + 1 };
        }
        // Cheap mask types first; order does not change the result, only how soon the common case is found.
        var ordered = maskIds.Values.OrderBy(m => m.Id).ToArray();
        return new CompiledClassifier(
            ordered.Where(m => !m.Ipv6).ToArray(),
            ordered.Where(m => m.Ipv6).ToArray(),
            entries,
            rules.Count,
            keys.Count);
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
