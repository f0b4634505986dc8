using System.Collections.Immutable;

namespace VSwitch.Control.Model;

/// <summary>What differs between two versions of one of the model's collections.</summary>
/// <remarks>
/// The model is immutable and an operation replaces only the objects it changes, so an object that is the same
/// reference in both versions is unchanged: a diff is one ordered walk of both collections with no deep comparison,
/// and what follows it (the store's commit, the policy compiler) costs what the change touched.
/// </remarks>
public static class ModelDiff
{
    /// <summary>
    /// Calls <paramref name="changed"/> with (key, before or null, after or null) for every key whose value was added,
    /// removed or replaced by another object, in key order.
    /// </summary>
    public static void ByReference<TKey, TValue>(ImmutableSortedDictionary<TKey, TValue> before, ImmutableSortedDictionary<TKey, TValue> after,
        Action<TKey, TValue?, TValue?> changed)
        where TKey : notnull
        where TValue : class
    {
        if (ReferenceEquals(before, after))
        {
            return;
        }
        var comparer = after.KeyComparer;
        using var a = before.GetEnumerator();
        using var b = after.GetEnumerator();
        var hasA = a.MoveNext();
        var hasB = b.MoveNext();
        while (hasA || hasB)
        {
            var order = !hasA ? 1 : !hasB ? -1 : comparer.Compare(a.Current.Key, b.Current.Key);
            if (order < 0)
            {
                changed(a.Current.Key, a.Current.Value, null);
                hasA = a.MoveNext();
            }
            else if (order > 0)
            {
                changed(b.Current.Key, null, b.Current.Value);
                hasB = b.MoveNext();
            }
            else
            {
                if (!ReferenceEquals(a.Current.Value, b.Current.Value))
                {
                    changed(a.Current.Key, a.Current.Value, b.Current.Value);
                }
                hasA = a.MoveNext();
                hasB = b.MoveNext();
            }
        }
    }
}
