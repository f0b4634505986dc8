namespace VSwitch.Dataplane.Policy;

/// <summary>Splits a port range into the fewest aligned prefixes that cover it exactly (at most 30 for 16 bits).</summary>
public static class PortPrefixes
{
    /// <summary>The prefixes (value, length in bits) whose union is [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static List<(ushort Value, byte Length)> Cover(int min, int max)
    {
        var result = new List<(ushort, byte)>();
        var lo = min;
        while (lo <= max)
        {
            // The largest aligned block starting at lo that stays within [lo, max].
            var size = lo == 0 ? 1 << 16 : lo & -lo;
            while (lo + size - 1 > max)
            {
                size >>= 1;
            }
            var length = 16 - System.Numerics.BitOperations.Log2((uint)size);
            result.Add(((ushort)lo, (byte)length));
            lo += size;
        }
        return result;
    }
}
