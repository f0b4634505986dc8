using VSwitch.Packets;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>
/// A readable snapshot of one connection for the control plane (<c>flow list</c>, the console's top flows, the
/// REST conntrack listing). Addresses and ports are those of the original direction; for ICMP echo the ports hold
/// the identifier.
/// </summary>
public sealed record ConnInfo
{
    /// <summary>The entry, for <see cref="ConnTable.Remove"/>.</summary>
    public required ConnHandle Handle { get; init; }

    /// <summary>The zone (network index).</summary>
    public required int Zone { get; init; }

    /// <summary>The IP protocol.</summary>
    public required byte Protocol { get; init; }

    /// <summary>The initiator's address.</summary>
    public required IpAddress128 Source { get; init; }

    /// <summary>The responder's address.</summary>
    public required IpAddress128 Destination { get; init; }

    /// <summary>The initiator's port (ICMP echo: identifier; other protocols: 0).</summary>
    public required ushort SourcePort { get; init; }

    /// <summary>The responder's port (ICMP echo: identifier; other protocols: 0).</summary>
    public required ushort DestinationPort { get; init; }

    public required ConnState State { get; init; }

    /// <summary>The state as <c>conntrack -L</c> names it (ESTABLISHED, UNREPLIED, ...).</summary>
    public string StateName => ConnStates.Name(State);

    /// <summary>True when traffic was seen both ways (never evicted early).</summary>
    public required bool Assured { get; init; }

    public required long CreatedMs { get; init; }

    public required long LastSeenMs { get; init; }

    /// <summary>When the entry expires unless another packet arrives.</summary>
    public required long ExpiresMs { get; init; }

    public required long PacketsOriginal { get; init; }

    public required long PacketsReply { get; init; }

    public required long BytesOriginal { get; init; }

    public required long BytesReply { get; init; }

    public required long AdmittedGeneration { get; init; }

    /// <summary>The port slot the original direction entered on (-1 when none).</summary>
    public required int OrigInPort { get; init; }

    /// <summary>The port slot the original direction left on (-1 when none).</summary>
    public required int OrigOutPort { get; init; }

    /// <summary>The rule slot that admitted the connection (-1 when none).</summary>
    public required int RuleSlot { get; init; }

    /// <summary>True for a router's SNAT binding (ConnTable.Nat.cs) rather than a connection: its tuple is the translated one.</summary>
    public bool IsSnatBinding => ConnTable.IsNatZone(Zone) && AdmittedGeneration != ConnTable.UntranslatedMarker;

    /// <summary>
    /// True for a connection from outside to a fixed IP that a router with SNAT remembers so that its replies leave
    /// untranslated (ConnTable.TrackUntranslated): in a NAT zone, but no binding.
    /// </summary>
    public bool IsUntranslated => ConnTable.IsNatZone(Zone) && AdmittedGeneration == ConnTable.UntranslatedMarker;

    /// <summary>The network index of the zone: a NAT zone's external network, a connection's zone as is.</summary>
    public int NetworkIndex => ConnTable.IsNatZone(Zone) ? ConnTable.NetworkOfNatZone(Zone) : Zone;

    /// <summary>A binding's inside endpoint (the VM's address and port the translated tuple stands for); null for a connection.</summary>
    public (IpAddress128 Address, ushort Port)? SnatInside => IsSnatBinding
        ? (IpAddress128.FromIpv4((uint)((ulong)AdmittedGeneration >> 16)), (ushort)AdmittedGeneration)
        : null;

    public override string ToString() =>
        $"zone={Zone} proto={Protocol} src={Source} dst={Destination} sport={SourcePort} dport={DestinationPort} {StateName}"
        + $"{(Assured ? " [ASSURED]" : "")} packets={PacketsOriginal}/{PacketsReply} bytes={BytesOriginal}/{BytesReply}"
        + $" in={OrigInPort} out={OrigOutPort} rule={RuleSlot} gen={AdmittedGeneration}";
}
