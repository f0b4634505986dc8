using VSwitch.Dataplane.Policy;

namespace VSwitch.Dataplane.Tests.Policy;

/// <summary>
/// The trivial oracle: a linear first-match scan that reads each rule's fields literally (ranges compared as ranges,
/// prefixes as prefixes). Deliberately simple so that it is obviously right (OVS <c>tests/test-classifier.c</c>).
/// </summary>
/// <remarks>A rule naming an address set (<see cref="ClassifierRule.AddressSet"/>) matches when some member of that set
/// (given as (network, 128-bit length, family) lists) holds the address, read the same literal way.</remarks>
internal sealed class ReferenceClassifier(IReadOnlyList<ClassifierRule> rules, IReadOnlyList<IReadOnlyList<AddressSet.Member>>? sets = null)
{
    public int Lookup(in ClassifierQuery q)
    {
        var best = -1;
        foreach (var r in rules)
        {
            if (Matches(r, q) && (best < 0 || r.Index < best))
            {
                best = r.Index;
            }
        }
        return best;
    }

    private bool Matches(ClassifierRule r, in ClassifierQuery q)
    {
        if (r.Ipv6 != q.Ipv6)
        {
            return false;
        }
        if (r.Protocol >= 0 && r.Protocol != q.Protocol)
        {
            return false;
        }
        if (r.AddressSet >= 0)
        {
            var address = q.RemoteAddress;
            var ipv6 = q.Ipv6;
            if (sets is null || r.AddressSet >= sets.Count || !sets[r.AddressSet].Any(m => m.Ipv6 == ipv6 && InPrefix(address, m.Network, m.Length128)))
            {
                return false;
            }
        }
        else if (r.RemotePrefixLength > 0 && !InPrefix(q.RemoteAddress, r.RemoteAddress, r.RemotePrefixLength))
        {
            return false;
        }
        if (ClassifierRule.HasPorts(r.Protocol) && r.PortMin >= 0)
        {
            var max = r.PortMax < 0 ? r.PortMin : r.PortMax;
            return !q.LaterFragment && q.PortKey >= r.PortMin && q.PortKey <= max;
        }
        if (ClassifierRule.IsIcmp(r.Protocol) && r.IcmpType >= 0)
        {
            return !q.LaterFragment && (q.PortKey >> 8) == r.IcmpType && (r.IcmpCode < 0 || (q.PortKey & 0xFF) == r.IcmpCode);
        }
        return true;
    }

    private static bool InPrefix(VSwitch.Packets.IpAddress128 a, VSwitch.Packets.IpAddress128 prefix, int length)
    {
        for (var bit = 0; bit < length; bit++)
        {
            var word = bit < 64 ? 0 : 1;
            var shift = 63 - (bit % 64);
            var x = ((word == 0 ? a.High : a.Low) >> shift) & 1;
            var y = ((word == 0 ? prefix.High : prefix.Low) >> shift) & 1;
            if (x != y)
            {
                return false;
            }
        }
        return true;
    }
}
