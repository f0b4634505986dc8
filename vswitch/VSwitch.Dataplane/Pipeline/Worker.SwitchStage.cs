using VSwitch.Packets;


namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>
    /// Stage 3: learn every source MAC and look up every destination MAC in the port's network; on a network with a
    /// router interface, frames for the router are answered or routed instead (Worker.RoutingStage.cs).
    /// </summary>
    private void SwitchStage<TMode>(DataplaneSnapshot snapshot, SwitchPort inPort, PacketBatch rx, int n)
        where TMode : struct, IPipelineMode
    {
        var routerInterfaces = snapshot.Networks[inPort.Network]?.RouterInterfaces ?? [];
        var macs = _datapath.Macs;
        var network = inPort.Network;
        var now = _datapath.NowMs();
        var parsed = _parsed;
        var output = _output;
        if (routerInterfaces.Length != 0 && !TMode.IsTrace)
        {
            PrefetchSnatReplies(snapshot, routerInterfaces, n);
        }
        for (var i = 0; i < n; i++)
        {
            if (output[i] == OutputDrop)
            {
                continue;
            }
            ref var p = ref parsed[i];
            if (!TMode.IsTrace && !p.EthSource.IsMulticast)
            {
                macs.Learn(network, p.EthSource, inPort.Slot, now);
            }
            if (routerInterfaces.Length != 0 && RoutingStage<TMode>(snapshot, inPort, routerInterfaces, rx, i))
            {
                continue;
            }
            if (p.EthDestination.IsMulticast)
            {
                output[i] = OutputFlood;
                if (TMode.IsTrace)
                {
                    _trace!.Record(TraceEvent.Multicast, in p);
                }
                continue;
            }
            var slot = macs.Lookup(network, p.EthDestination, now);
            output[i] = slot < 0 ? OutputFlood : slot;
            if (TMode.IsTrace)
            {
                _trace!.Record(slot < 0 ? TraceEvent.UnknownDestination : TraceEvent.KnownDestination, in p, slot);
            }
        }
    }
}
