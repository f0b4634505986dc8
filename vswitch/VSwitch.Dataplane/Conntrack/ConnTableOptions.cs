namespace VSwitch.Dataplane.Conntrack;

/// <summary>Sizes of a <see cref="ConnTable"/>, fixed when it is created.</summary>
public sealed record ConnTableOptions
{
    /// <summary>
    /// The most entries the table holds. Memory for all of them is reserved up front
    /// (<see cref="ConnTable.BytesPerEntry"/> each; pages are committed as entries are first used). Each shard holds
    /// <c>MaxEntries / ShardCount</c>, so the total never exceeds this. Default 1,048,576 (Linux sizes
    /// <c>nf_conntrack_max</c> from memory, up to 262,144 buckets; a switch for many VMs wants more).
    /// </summary>
    public int MaxEntries { get; init; } = 1 << 20;

    /// <summary>Shards (a power of two). Each has its own lock, entries and free list. Default 64.</summary>
    public int ShardCount { get; init; } = 64;

    /// <summary>
    /// Port slots whose connections are counted (<see cref="ConnTable.PortConnections"/>) and may be limited
    /// (<see cref="ConnAdmission.InPortLimit"/>); at most 65,535 (entries store slots as ushort). Default 4,096.
    /// </summary>
    public int MaxPorts { get; init; } = 4096;

    /// <summary>Idle timeouts per state; Linux's defaults unless set.</summary>
    public ConnTimeouts Timeouts { get; init; } = ConnTimeouts.Default;

    /// <summary>
    /// Seed of the key hash. Null (the default) picks a random one, so an outsider cannot choose tuples that all land
    /// in one hash chain; tests may fix it.
    /// </summary>
    public ulong? HashSeed { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (ShardCount < 1 || ShardCount > 4096 || (ShardCount & (ShardCount - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(ShardCount), ShardCount, "ShardCount must be a power of two from 1 to 4096.");
        }
        if (MaxEntries < ShardCount || MaxEntries > (1 << 28))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEntries), MaxEntries, "MaxEntries must be at least ShardCount and at most 268,435,456.");
        }
        if (MaxPorts is < 0 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPorts), MaxPorts, "MaxPorts must be from 0 to 65,535.");
        }
        ArgumentNullException.ThrowIfNull(Timeouts);
        Timeouts.Validate();
    }
}
