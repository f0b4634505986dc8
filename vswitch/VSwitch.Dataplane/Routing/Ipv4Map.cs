using System.Numerics;
using System.Runtime.CompilerServices;

namespace VSwitch.Dataplane.Routing;

/// <summary>
/// An immutable map from IPv4 addresses (host order) for a router's per-packet lookups (floating IPs, neighbours):
/// open addressing with linear probing, at most half full, looked up without a virtual call.
/// </summary>
/// <remarks>
/// Why not a <c>FrozenDictionary</c>: its lookup is an abstract call the JIT cannot inline, on every routed packet.
/// 0.0.0.0 marks an empty slot (it is never a floating IP, fixed IP or neighbour).
/// </remarks>
public sealed class Ipv4Map<TValue>
{
    public static readonly Ipv4Map<TValue> Empty = new([]);

    private readonly uint[] _keys;
    private readonly TValue[] _values;
    private readonly int _shift;

    public Ipv4Map(IEnumerable<KeyValuePair<uint, TValue>> pairs)
    {
        var list = pairs.Where(kv => kv.Key != 0).ToList();
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, list.Count * 2));
        _keys = new uint[size];
        _values = new TValue[size];
        _shift = 32 - BitOperations.Log2((uint)size);
        foreach (var (key, value) in list)
        {
            var i = Home(key);
            while (_keys[i] != 0 && _keys[i] != key)
            {
                i = (i + 1) & (size - 1);
            }
            Count += _keys[i] == 0 ? 1 : 0;
            _keys[i] = key;
            _values[i] = value;
        }
    }

    /// <summary>Addresses in the map.</summary>
    public int Count { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(uint key) => (int)((key * 0x9E3779B1u) >> _shift);

    /// <summary>The value of <paramref name="key"/>; false (and the default) when absent or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(uint key, out TValue value)
    {
        var keys = _keys;
        var i = Home(key);
        while (key != 0)
        {
            var k = keys[i];
            if (k == key)
            {
                value = _values[i];
                return true;
            }
            if (k == 0)
            {
                break;
            }
            i = (i + 1) & (keys.Length - 1);
        }
        value = default!;
        return false;
    }
}
