using System.Runtime.InteropServices;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>
/// A reference to one connection entry, cheap to cache (in the per-worker flow cache, for example): the entry's
/// location in the table and a check word from its key's hash.
/// </summary>
/// <remarks>
/// Entries are recycled, so a cached handle may outlive its connection. Every operation that takes a handle
/// (<see cref="ConnTable.Revalidated"/>, <see cref="ConnTable.Remove"/>) re-reads the entry under its shard's lock
/// and acts only when the slot is live and its key hashes to the same check word; a handle to a recycled slot
/// then does nothing (a false match needs a 32-bit hash collision). The default handle refers to nothing.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
public readonly struct ConnHandle : IEquatable<ConnHandle>
{
    /// <summary>Global entry index + 1 (shard * per-shard capacity + index); 0 = none.</summary>
    private readonly int _locationPlusOne;

    /// <summary>The low 32 bits of the key's hash when the handle was made.</summary>
    private readonly uint _check;

    internal ConnHandle(int location, uint check)
    {
        _locationPlusOne = location + 1;
        _check = check;
    }

    /// <summary>True when the handle refers to an entry (it may since have been removed).</summary>
    public bool IsValid => _locationPlusOne != 0;

    internal int Location => _locationPlusOne - 1;

    internal uint Check => _check;

    /// <summary>The handle as one 64-bit value (for logs and traces).</summary>
    public long Value => ((long)_locationPlusOne << 32) | _check;

    public bool Equals(ConnHandle other) => _locationPlusOne == other._locationPlusOne && _check == other._check;

    public override bool Equals(object? obj) => obj is ConnHandle other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_locationPlusOne, _check);

    public static bool operator ==(ConnHandle a, ConnHandle b) => a.Equals(b);

    public static bool operator !=(ConnHandle a, ConnHandle b) => !a.Equals(b);

    public override string ToString() => IsValid ? $"conn#{Location}/{_check:x8}" : "conn#none";
}
