namespace VSwitch.Dataplane.Conntrack;

/// <summary>The outcome of <see cref="ConnTable.Commit(ReadOnlySpan{byte}, in VSwitch.Packets.ParsedPacket, int, long, in ConnAdmission, out ConnHandle)"/>.</summary>
public enum ConnCommitResult : byte
{
    /// <summary>A new entry was created for the packet's connection.</summary>
    Created,

    /// <summary>A live entry already existed (another worker committed the same connection first); it is unchanged.</summary>
    Exists,

    /// <summary>The shard is full of assured connections; nothing could be evicted. The pipeline drops the packet (conntrack_full).</summary>
    Full,

    /// <summary>The port the connection enters on has <see cref="ConnAdmission.InPortLimit"/> connections already; nothing was created (conntrack_full, the sender's egress).</summary>
    InPortLimit,

    /// <summary>The port the connection leaves on has <see cref="ConnAdmission.OutPortLimit"/> connections already; nothing was created (conntrack_full, the receiver's ingress).</summary>
    OutPortLimit,

    /// <summary>The packet cannot start a connection (not a pure TCP SYN, an ICMP echo reply or error, untracked); nothing was created.</summary>
    Invalid,
}
