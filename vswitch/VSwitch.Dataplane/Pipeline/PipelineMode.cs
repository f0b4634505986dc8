namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// Selects, at JIT time, whether a pipeline run forwards packets or traces one (STYLE rule 9, VPP's <c>do_trace</c>):
/// the stages are generic over this, so the forwarding specialisation carries no trace code at all.
/// </summary>
internal interface IPipelineMode
{
    /// <summary>True: record every decision, change no shared state (no learning, no conntrack updates, no transmit).</summary>
    static abstract bool IsTrace { get; }
}

/// <summary>The data path's mode: forward and count.</summary>
internal readonly struct Forwarding : IPipelineMode
{
    public static bool IsTrace => false;
}

/// <summary>The trace mode: the same stages, recording into a <see cref="TraceLog"/>.</summary>
internal readonly struct Tracing : IPipelineMode
{
    public static bool IsTrace => true;
}
