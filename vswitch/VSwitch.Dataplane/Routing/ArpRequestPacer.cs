namespace VSwitch.Dataplane.Routing;

/// <summary>
/// One worker's pace of ARP requests: at most one a second for each (network, address) it resolves, however many packets
/// wait for the answer (Linux's <c>mcast_solicit</c> and <c>retrans_time</c> do the same for a neighbour being resolved).
/// </summary>
/// <remarks>A small direct-mapped table: addresses that collide share a pace, which only delays one request. Owned by one worker.</remarks>
public sealed class ArpRequestPacer
{
    /// <summary>The least time between two requests for one address.</summary>
    public const long IntervalMs = 1000;

    private const int Size = 64;
    private readonly long[] _keys = new long[Size];
    private readonly long[] _sentMs = new long[Size];

    /// <summary>True (and noted) when a request for <paramref name="address"/> on <paramref name="network"/> may go now.</summary>
    public bool TryTake(int network, uint address, long nowMs)
    {
        var key = ((long)(network + 1) << 32) | address;
        var i = (int)(((ulong)key * 0x9E37_79B9_7F4A_7C15UL) >> 58);
        if (_keys[i] == key && nowMs - _sentMs[i] < IntervalMs)
        {
            return false;
        }
        _keys[i] = key;
        _sentMs[i] = nowMs;
        return true;
    }
}
