using VSwitch.Packets.Ndp;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>Neutron's <c>min_rtr_adv_interval</c> (30 s) and <c>max_rtr_adv_interval</c> (100 s), in milliseconds.</summary>
    internal const int MinAdvertisementIntervalMs = 30_000;

    internal const int MaxAdvertisementIntervalMs = 100_000;

    private long _nextAdvertisementMs = long.MinValue;

    /// <summary>
    /// Unsolicited router advertisements (RFC 4861 §6.2.4), as radvd sends them for Neutron: every port the switch
    /// advertises to (<see cref="SwitchPort.RouterAdvertisement"/>) gets one to all nodes at a random interval between
    /// 30 and 100 s, so hosts renew their prefixes and default route (1,800 s) without soliciting again, and a port
    /// that missed its answer to a solicitation still learns. Worker 0 sends them for every port; nothing is allocated.
    /// </summary>
    private void AdvertisePeriodically()
    {
        if (Id != 0)
        {
            return;
        }
        var now = _datapath.NowMs();
        if (_nextAdvertisementMs == long.MinValue)
        {
            // Hosts solicit when their link comes up: the first unsolicited round waits a whole interval.
            _nextAdvertisementMs = now + NextAdvertisementInterval();
            return;
        }
        if (now < _nextAdvertisementMs)
        {
            return;
        }
        _nextAdvertisementMs = now + NextAdvertisementInterval();
        var snapshot = _snapshot;
        foreach (var port in snapshot.Ports)
        {
            if (port is not { RouterAdvertisement: { } settings, AdminUp: true } || port.Port.Failure is not null || _deregistered[port.Slot])
            {
                continue;
            }
            if (!NextReply(out var k))
            {
                FlushAll(snapshot);
                NextReply(out k);
            }
            // No host address: to all nodes (ff02::1).
            Send(port, k, RouterAdvertisement.Write(_replies.Buffer(k), default, default, settings));
            Counters.Add(WorkerCounter.RouterAdvertisements, 1);
        }
        FlushAll(snapshot);
    }

    private static long NextAdvertisementInterval() => Random.Shared.NextInt64(MinAdvertisementIntervalMs, MaxAdvertisementIntervalMs + 1);
}
