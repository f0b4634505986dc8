namespace VSwitch.Dataplane.Routing;

/// <summary>
/// One worker's pace of ARP requests: at most one a second for each (network, address) it resolves, however many packets
/// wait for the answer (Linux's <c>retrans_time</c>), and at most <see cref="PerSecond"/> a second in all (burst
/// <see cref="Burst"/>), so that packets sprayed at many unresolved addresses cannot turn the router into a broadcast
/// amplifier on the uplink.
/// </summary>
/// <remarks>
/// A small direct-mapped table: an address whose slot another address used less than <see cref="IntervalMs"/> ago waits
/// for it (one more second to resolve, never one more request). Owned by one worker.
/// </remarks>
public sealed class ArpRequestPacer
{
    /// <summary>The least time between two requests for one address (or two addresses sharing a slot).</summary>
    public const long IntervalMs = 1000;

    /// <summary>Requests a worker may send a second, in all.</summary>
    public const int PerSecond = 100;

    /// <summary>Requests a worker may send at once after a quiet while.</summary>
    public const int Burst = 20;

    private const int Size = 64;
    private readonly long[] _keys = new long[Size];
    private readonly long[] _sentMs = new long[Size];
    private double _tokens = Burst;
    private long _lastMs;

    /// <summary>True (and noted) when a request for <paramref name="address"/> on <paramref name="network"/> may go now.</summary>
    public bool TryTake(int network, uint address, long nowMs)
    {
        var key = ((long)(network + 1) << 32) | address;
        var i = (int)(((ulong)key * 0x9E37_79B9_7F4A_7C15UL) >> 58);
        if (_keys[i] != 0 && nowMs - _sentMs[i] < IntervalMs)
        {
            return false;
        }
        _tokens = Math.Min(Burst, _tokens + ((nowMs - _lastMs) * PerSecond / 1000.0));
        _lastMs = nowMs;
        if (_tokens < 1)
        {
            return false;
        }
        _tokens--;
        _keys[i] = key;
        _sentMs[i] = nowMs;
        return true;
    }
}
