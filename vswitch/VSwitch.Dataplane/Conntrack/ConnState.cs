namespace VSwitch.Dataplane.Conntrack;

/// <summary>
/// The protocol state of a connection entry. Each state has its own timeout (<see cref="ConnTimeouts"/>), so the
/// state alone selects how long an idle entry lives; UDP, ICMP and other protocols have their own pair of states
/// for that reason. The TCP states follow Linux's <c>nf_conntrack_proto_tcp</c> names.
/// </summary>
public enum ConnState : byte
{
    /// <summary>A free slot (never the state of a live entry).</summary>
    None = 0,

    /// <summary>TCP: the initiator's SYN was seen.</summary>
    TcpSynSent,

    /// <summary>TCP: the responder's SYN-ACK was seen.</summary>
    TcpSynRecv,

    /// <summary>TCP: the initiator acknowledged the SYN-ACK; the connection is assured.</summary>
    TcpEstablished,

    /// <summary>TCP: a FIN was seen from one side.</summary>
    TcpFinWait,

    /// <summary>TCP: that FIN was acknowledged by the other side (half-closed).</summary>
    TcpCloseWait,

    /// <summary>TCP: FINs were seen from both sides; the last one is not yet acknowledged.</summary>
    TcpLastAck,

    /// <summary>TCP: both FINs were acknowledged.</summary>
    TcpTimeWait,

    /// <summary>TCP: an RST was seen (or the SYN was refused).</summary>
    TcpClose,

    /// <summary>UDP (and SCTP): packets seen in the original direction only.</summary>
    UdpUnreplied,

    /// <summary>UDP (and SCTP): a reply was seen; the connection is assured.</summary>
    UdpReplied,

    /// <summary>ICMP/ICMPv6 echo: request seen, no reply yet.</summary>
    IcmpUnreplied,

    /// <summary>ICMP/ICMPv6 echo: a reply was seen; assured.</summary>
    IcmpReplied,

    /// <summary>Another IP protocol (tracked by address pair): original direction only.</summary>
    OtherUnreplied,

    /// <summary>Another IP protocol: a reply was seen; assured.</summary>
    OtherReplied,
}

/// <summary>Names and classes of <see cref="ConnState"/> values.</summary>
public static class ConnStates
{
    /// <summary>The number of <see cref="ConnState"/> values (the length of per-state tables).</summary>
    public const int Count = (int)ConnState.OtherReplied + 1;

    /// <summary>The name <c>flow list</c> shows, as <c>conntrack -L</c> does.</summary>
    public static string Name(ConnState state) => state switch
    {
        ConnState.TcpSynSent => "SYN_SENT",
        ConnState.TcpSynRecv => "SYN_RECV",
        ConnState.TcpEstablished => "ESTABLISHED",
        ConnState.TcpFinWait => "FIN_WAIT",
        ConnState.TcpCloseWait => "CLOSE_WAIT",
        ConnState.TcpLastAck => "LAST_ACK",
        ConnState.TcpTimeWait => "TIME_WAIT",
        ConnState.TcpClose => "CLOSE",
        ConnState.UdpUnreplied or ConnState.IcmpUnreplied or ConnState.OtherUnreplied => "UNREPLIED",
        ConnState.UdpReplied or ConnState.IcmpReplied or ConnState.OtherReplied => "REPLIED",
        _ => "NONE",
    };

    /// <summary>
    /// True for the states of an assured connection: one that saw traffic both ways (TCP: completed its handshake).
    /// Assured entries are never evicted early; unassured ones are the early-drop victims when a shard is full.
    /// </summary>
    public static bool IsAssured(ConnState state) => state is ConnState.TcpEstablished
        or ConnState.TcpFinWait
        or ConnState.TcpCloseWait
        or ConnState.TcpLastAck
        or ConnState.TcpTimeWait
        or ConnState.UdpReplied
        or ConnState.IcmpReplied
        or ConnState.OtherReplied;
}
