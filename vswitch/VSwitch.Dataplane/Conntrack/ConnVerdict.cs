namespace VSwitch.Dataplane.Conntrack;

/// <summary>What connection tracking says about one packet (the answer of <see cref="ConnTable.Track"/>).</summary>
public enum ConnVerdict : byte
{
    /// <summary>
    /// No live entry, and the packet may start a connection (a TCP SYN, a UDP datagram, an ICMP echo request, another
    /// IP protocol). The policy decides; when it admits the packet the pipeline calls <see cref="ConnTable.Commit(ReadOnlySpan{byte}, in VSwitch.Packets.ParsedPacket, int, long, in ConnAdmission, out ConnHandle)"/>.
    /// </summary>
    New,

    /// <summary>The packet belongs to a tracked connection (either direction) and passed its protocol's checks.</summary>
    Established,

    /// <summary>An ICMP or ICMPv6 error (unreachable, packet too big, time exceeded, parameter problem) about a tracked connection.</summary>
    Related,

    /// <summary>
    /// The packet cannot belong to a connection: a TCP segment other than a SYN without an entry, an out-of-window
    /// segment, an ICMP echo reply or error that matches nothing, impossible TCP flags. Stateful policy drops it.
    /// </summary>
    Invalid,

    /// <summary>
    /// Not tracked: not IP, a later fragment (no L4 header), or an ICMP message that is neither echo nor error (ND,
    /// router advertisements, MLD). The pipeline matches it statelessly.
    /// </summary>
    Untracked,
}
