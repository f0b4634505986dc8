namespace VSwitch.Dataplane.Conntrack;

/// <summary>
/// How long an idle connection entry lives in each state. The defaults are Linux's (<c>nf_conntrack-sysctl.rst</c>:
/// <c>nf_conntrack_tcp_timeout_*</c>, <c>nf_conntrack_udp_timeout</c> 30 s and <c>_stream</c> 120 s,
/// <c>nf_conntrack_icmp_timeout</c> and <c>icmpv6</c> 30 s, <c>nf_conntrack_generic_timeout</c> 600 s); the table
/// in <c>Conntrack/README.md</c> lists them.
/// </summary>
/// <remarks>
/// An entry expires when <c>now - lastSeen</c> reaches the timeout of its current state. The timeout is looked up
/// when the entry is checked, not stored in it, so a new set of timeouts (<see cref="ConnTable.Timeouts"/>) applies
/// to every entry at once.
/// </remarks>
public sealed record ConnTimeouts
{
    /// <summary>Linux's defaults.</summary>
    public static ConnTimeouts Default { get; } = new();

    /// <summary>TCP after the initiator's SYN (Linux <c>tcp_timeout_syn_sent</c>, 120 s).</summary>
    public TimeSpan TcpSynSent { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TCP after the SYN-ACK (<c>tcp_timeout_syn_recv</c>, 60 s).</summary>
    public TimeSpan TcpSynRecv { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>TCP established (<c>tcp_timeout_established</c>, 432,000 s = 5 days).</summary>
    public TimeSpan TcpEstablished { get; init; } = TimeSpan.FromSeconds(432_000);

    /// <summary>TCP after the first FIN (<c>tcp_timeout_fin_wait</c>, 120 s).</summary>
    public TimeSpan TcpFinWait { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TCP half-closed (<c>tcp_timeout_close_wait</c>, 60 s).</summary>
    public TimeSpan TcpCloseWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>TCP after both FINs (<c>tcp_timeout_last_ack</c>, 30 s).</summary>
    public TimeSpan TcpLastAck { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>TCP after both FINs were acknowledged (<c>tcp_timeout_time_wait</c>, 120 s).</summary>
    public TimeSpan TcpTimeWait { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TCP after an RST (<c>tcp_timeout_close</c>, 10 s).</summary>
    public TimeSpan TcpClose { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>UDP (and SCTP) with no reply yet (<c>udp_timeout</c>, 30 s).</summary>
    public TimeSpan UdpUnreplied { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>UDP (and SCTP) after a reply (<c>udp_timeout_stream</c>, 120 s).</summary>
    public TimeSpan UdpReplied { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>ICMP and ICMPv6 echo, replied or not (<c>icmp_timeout</c>, <c>icmpv6_timeout</c>, 30 s).</summary>
    public TimeSpan Icmp { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Other IP protocols, replied or not (<c>generic_timeout</c>, 600 s).</summary>
    public TimeSpan Other { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>The timeout of <paramref name="state"/>.</summary>
    public TimeSpan For(ConnState state) => state switch
    {
        ConnState.TcpSynSent => TcpSynSent,
        ConnState.TcpSynRecv => TcpSynRecv,
        ConnState.TcpEstablished => TcpEstablished,
        ConnState.TcpFinWait => TcpFinWait,
        ConnState.TcpCloseWait => TcpCloseWait,
        ConnState.TcpLastAck => TcpLastAck,
        ConnState.TcpTimeWait => TcpTimeWait,
        ConnState.TcpClose => TcpClose,
        ConnState.UdpUnreplied => UdpUnreplied,
        ConnState.UdpReplied => UdpReplied,
        ConnState.IcmpUnreplied or ConnState.IcmpReplied => Icmp,
        ConnState.OtherUnreplied or ConnState.OtherReplied => Other,
        _ => TimeSpan.Zero,
    };

    /// <summary>Checks that every timeout is positive and fits the millisecond clock.</summary>
    public void Validate()
    {
        for (var s = 1; s < ConnStates.Count; s++)
        {
            var t = For((ConnState)s);
            if (t <= TimeSpan.Zero || t.TotalMilliseconds >= long.MaxValue / 4)
            {
                throw new ArgumentOutOfRangeException(nameof(ConnTimeouts), t, $"The timeout of {(ConnState)s} must be positive.");
            }
        }
    }

    /// <summary>Milliseconds per state, indexed by <see cref="ConnState"/> (the form the data path reads).</summary>
    internal long[] ToMilliseconds()
    {
        Validate();
        var table = new long[ConnStates.Count];
        for (var s = 1; s < table.Length; s++)
        {
            table[s] = (long)For((ConnState)s).TotalMilliseconds;
        }
        // A free slot is always "expired"; nothing reads it, but a zero keeps the table total.
        table[0] = 0;
        return table;
    }
}
