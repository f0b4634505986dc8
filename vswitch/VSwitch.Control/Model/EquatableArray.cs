using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace VSwitch.Control.Model;

/// <summary>
/// An immutable array that compares by content, for the list-valued members of the model's records.
/// </summary>
/// <remarks>
/// <para><b>Why.</b> The desired-state records (<see cref="PortSpec"/>, <see cref="SecurityGroup"/>, ...) are compared
/// with record equality by the reconciler, by tests and (later) by the rule compiler to find what changed.
/// <see cref="ImmutableArray{T}"/> compares by reference, so two ports with the same fixed IPs built separately (one
/// from the API, one read back from the store) would look different. This wrapper keeps ImmutableArray's storage and
/// adds sequence equality and a content hash.</para>
/// <para><b>Use.</b> <c>default</c> is the empty array (never a null reference), collection expressions build it
/// (<c>EquatableArray&lt;Guid&gt; ids = [a, b];</c>) and an <see cref="ImmutableArray{T}"/> converts implicitly.</para>
/// <para><b>Thread-safety.</b> Immutable.</para>
/// </remarks>
[CollectionBuilder(typeof(EquatableArray), nameof(EquatableArray.Create))]
public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
{
    private readonly ImmutableArray<T> _items;

    public EquatableArray(ImmutableArray<T> items) => _items = items;

    public static EquatableArray<T> Empty => new(ImmutableArray<T>.Empty);

    /// <summary>The content as an <see cref="ImmutableArray{T}"/> (never a default one).</summary>
    public ImmutableArray<T> Items => _items.IsDefault ? ImmutableArray<T>.Empty : _items;

    public int Count => _items.IsDefault ? 0 : _items.Length;

    public bool IsEmpty => Count == 0;

    public T this[int index] => Items[index];

    public ImmutableArray<T>.Enumerator GetEnumerator() => Items.GetEnumerator();

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)Items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable)Items).GetEnumerator();

    public bool Equals(EquatableArray<T> other) => Items.AsSpan().SequenceEqual(other.Items.AsSpan(), EqualityComparer<T>.Default);

    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in Items)
        {
            hash.Add(item);
        }
        return hash.ToHashCode();
    }

    public static bool operator ==(EquatableArray<T> a, EquatableArray<T> b) => a.Equals(b);

    public static bool operator !=(EquatableArray<T> a, EquatableArray<T> b) => !a.Equals(b);

    public static implicit operator EquatableArray<T>(ImmutableArray<T> items) => new(items);

    public override string ToString() => $"[{string.Join(", ", Items)}]";
}

/// <summary>Builders for <see cref="EquatableArray{T}"/> (the target of collection expressions).</summary>
public static class EquatableArray
{
    public static EquatableArray<T> Create<T>(ReadOnlySpan<T> items) => new(ImmutableArray.Create(items));

    public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items) => new(items.ToImmutableArray());
}
