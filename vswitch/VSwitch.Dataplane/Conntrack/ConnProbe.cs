namespace VSwitch.Dataplane.Conntrack;

/// <summary>
/// A packet's connection key and hash, computed by <see cref="ConnTable.Prepare"/> ahead of its lookup so that a
/// worker can request the memory of a whole batch's connections before it looks at the first one.
/// </summary>
public struct ConnProbe
{
    internal ConnKey Key;
    internal ulong Hash;
    internal int Zone;
    internal ConnTable.PacketKind Kind;
    internal bool Swapped;
}
