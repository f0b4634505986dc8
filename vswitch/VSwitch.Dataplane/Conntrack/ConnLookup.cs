using System.Runtime.CompilerServices;

namespace VSwitch.Dataplane.Conntrack;

/// <summary>
/// The answer of <see cref="ConnTable.Track"/> for one packet: the verdict and, when the packet belongs to (or is
/// related to) a tracked connection, that connection's handle and admission data.
/// </summary>
/// <remarks>
/// <see cref="IsReply"/> is the packet's direction: false when it travels as the connection's first packet did
/// (initiator to responder), true for the reverse. <see cref="OrigInPort"/> and <see cref="OrigOutPort"/> always
/// describe the original direction, whatever the packet's: a reply is expected to enter on <see cref="OrigOutPort"/>
/// and leave on <see cref="OrigInPort"/>. For <see cref="ConnVerdict.Related"/> they describe the connection the
/// ICMP error quotes, and <see cref="IsReply"/> is the error's direction relative to that connection.
/// For <see cref="ConnVerdict.New"/> and <see cref="ConnVerdict.Untracked"/> the handle is invalid and the ports
/// and rule are -1; an <see cref="ConnVerdict.Invalid"/> packet that matched an entry carries that entry's data
/// (for traces), otherwise none.
/// </remarks>
public readonly struct ConnLookup
{
    /// <summary>What the packet is.</summary>
    public readonly ConnVerdict Verdict;

    /// <summary>The connection's state after this packet (None when no entry matched).</summary>
    public readonly ConnState State;

    /// <summary>True when the packet travels in the connection's reply direction.</summary>
    public readonly bool IsReply;

    /// <summary>The matched connection (invalid when none).</summary>
    public readonly ConnHandle Handle;

    /// <summary>The policy generation that admitted (or last revalidated) the connection.</summary>
    public readonly long AdmittedGeneration;

    /// <summary>The port slot the original direction entered on (-1 when none).</summary>
    public readonly int OrigInPort;

    /// <summary>The port slot the original direction left on (-1 when none).</summary>
    public readonly int OrigOutPort;

    /// <summary>The rule slot that admitted the connection (-1 when none).</summary>
    public readonly int RuleSlot;

    /// <summary>For a lookup in a NAT zone (ConnTable.Nat.cs): the inside address (IPv4, host order) the binding translates to.</summary>
    public uint NatInsideAddress => (uint)((ulong)AdmittedGeneration >> 16);

    /// <summary>For a lookup in a NAT zone: the inside port (or echo identifier) the binding translates to.</summary>
    public ushort NatInsidePort => (ushort)AdmittedGeneration;

    private ConnLookup(ConnVerdict verdict)
    {
        Verdict = verdict;
        OrigInPort = -1;
        OrigOutPort = -1;
        RuleSlot = -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ConnLookup(ConnVerdict verdict, bool isReply, ConnHandle handle, ref readonly ConnEntry entry)
    {
        Verdict = verdict;
        State = entry.State;
        IsReply = isReply;
        Handle = handle;
        AdmittedGeneration = entry.AdmittedGeneration;
        OrigInPort = entry.OrigInPort;
        OrigOutPort = entry.OrigOutPort;
        RuleSlot = entry.RuleSlot;
    }

    /// <summary>A packet that may start a connection; no entry.</summary>
    public static ConnLookup New => new(ConnVerdict.New);

    /// <summary>An invalid packet that matched no entry.</summary>
    public static ConnLookup Invalid => new(ConnVerdict.Invalid);

    /// <summary>A packet conntrack does not track.</summary>
    public static ConnLookup Untracked => new(ConnVerdict.Untracked);

    public override string ToString() =>
        $"{Verdict}{(IsReply ? " reply" : "")} {ConnStates.Name(State)} {Handle} gen {AdmittedGeneration} in {OrigInPort} out {OrigOutPort} rule {RuleSlot}";
}
