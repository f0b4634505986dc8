namespace VSwitch.Dataplane.Pipeline;

/// <summary>What connection tracking decided for a packet of the batch, and so what the policy stages must still do.</summary>
internal enum TrackMode : byte
{
    /// <summary>Not tracked (no stateful port in the network, not IP, a later fragment, ND): rules decide every packet.</summary>
    Stateless,

    /// <summary>Part of (or RELATED to) a connection admitted under the current policy: stateful ports skip their rules.</summary>
    Established,

    /// <summary>The first packet of a connection: rules decide, and if they allow it the connection is committed.</summary>
    New,

    /// <summary>Invalid for its connection: stateful ports drop it as <c>conntrack_invalid</c>.</summary>
    Invalid,
}
