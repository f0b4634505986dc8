namespace VSwitch.Dataplane.Conntrack;

/// <summary>
/// What the policy decided for the first packet of a connection, stored in its entry by
/// <see cref="ConnTable.Commit(ReadOnlySpan{byte}, in VSwitch.Packets.ParsedPacket, int, long, in ConnAdmission, out ConnHandle)"/>
/// and returned with every later packet (<see cref="ConnLookup"/>).
/// </summary>
/// <param name="Generation">The policy generation that admitted the connection.</param>
/// <param name="InPort">The port slot the first packet entered on.</param>
/// <param name="OutPort">The port slot it left on (-1 when flooded or unknown).</param>
/// <param name="RuleSlot">The rule that admitted it (-1 when none, e.g. an implicit rule).</param>
public readonly record struct ConnAdmission(long Generation, int InPort, int OutPort, int RuleSlot)
{
    /// <summary>The most connections <see cref="InPort"/> may have (0: no limit); past it the commit is refused.</summary>
    public int InPortLimit { get; init; }

    /// <summary>The most connections <see cref="OutPort"/> may have (0: no limit).</summary>
    public int OutPortLimit { get; init; }
}
