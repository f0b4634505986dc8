namespace VSwitch.Dataplane.Conntrack;

/// <summary>The outcome of <see cref="ConnTable.Snat"/>.</summary>
public enum SnatResult : byte
{
    /// <summary>The packet's binding was found or created: it leaves from the outside address and the port given.</summary>
    Translated,

    /// <summary>No binding, and the packet cannot start one (a TCP segment other than a SYN, an echo reply, an unrelated error).</summary>
    Invalid,

    /// <summary>Every candidate port toward this remote endpoint is held by another inside endpoint (counted as <c>nat_exhausted</c>).</summary>
    Exhausted,

    /// <summary>The table is full of assured connections; no binding could be created (counted as <c>conntrack_full</c>).</summary>
    Full,
}
