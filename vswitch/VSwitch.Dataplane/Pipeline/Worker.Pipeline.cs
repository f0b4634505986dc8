using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

// The forwarding pipeline of one worker, one batch at a time and stage by stage over the whole batch (STYLE rule 1),
// one file per stage:
//
//   Worker.Pipeline.cs        ProcessBatch: the order of the stages below, the batch's counters, the port-down check
//   Worker.ParseStage.cs      1. parse; malformed, VLAN and MTU drops                         11.4 ns/packet
//   Worker.AddressingStage.cs    DHCPv4, DHCPv6 and router solicitations of a port the switch serves: answered, never forwarded
//   Worker.Fragments.cs          later IP fragments get their first fragment's L4 fields (only when the batch has one)
//   Worker.EgressStage.cs     2. the sender's port security                                    4.5 ns
//                                conntrack: key, hash and two prefetch passes                 14.5 ns
//                                conntrack: lookup and protocol update under the shard lock   30 ns
//                                the sender's egress rules (new connections and stateless)
//   Worker.Revalidation.cs       a connection admitted before its ports' policy changed is re-checked on its next packet
//   Worker.RuleVerdict.cs        a port's rules for one direction: the flow cache, then the compiled classifier (a
//                                frame's cache key is built and hashed once, at its first lookup; later lookups finish it)
//   Worker.SwitchStage.cs     3. L2: learn every source MAC, look up every destination         4-5 ns
//   Worker.RoutingStage.cs       L3 on networks with a router interface: frames to the router answered (ARP, ND,
//                                echo) or routed (next hop's MAC, TTL - 1, ICMP errors, floating IPs); frames routed
//                                inward from a gateway are then looked up in the inside zone as a prefetched batch,
//                                frames leaving by a gateway get their SNAT bindings as a prefetched batch
//   Worker.OutputStage.cs     4. each receiver's ingress rules, the commit of new connections,
//                                the per-port transmit batches, then one flush per port        6-10 ns + 2 ns
//   Worker.SecurityGroupLog.cs   ACCEPT/DROP events of ports covered by a network log (off the common path)
//   Worker.Trace.cs              trace steps that take more than one line (TMode = Tracing only); every step is a
//                                coded TraceEvent with its numbers, put into words by TraceText.cs when read
//
// The costs are those of an established UDP packet with 4,096 active flows (perf/RESULTS.md, "By stage", commit
// acf244c): 70-76 ns in all. A new connection adds the classifier lookups on a flow-cache miss and the commit.
// TMode specialises the whole pipeline twice: forwarding, where every TMode.IsTrace branch is removed by the JIT, and
// tracing (vswitchctl trace), where nothing is committed, learned or sent and each decision is recorded.

public sealed partial class Worker
{
    /// <summary>Output marker: drop (already counted).</summary>
    private const int OutputDrop = -1;

    /// <summary>Output marker: flood to every other port of the network.</summary>
    private const int OutputFlood = -2;

    /// <summary>Set in a flow-cache key's in-port to tell an ingress verdict (for the receiving port) from an egress one.</summary>
    private const int IngressKeyFlag = 1 << 30;

    /// <summary>Flow-cache verdict for "no rule allows it".</summary>
    private const int Denied = -1;

    /// <summary>
    /// Runs one received batch through the pipeline, stage by stage over the whole batch (STYLE rule 1): parse every
    /// frame, apply the sender's port security and egress policy, make every L2 decision, then apply each receiver's
    /// ingress policy as frames are put on per-port transmit batches, and flush them.
    /// </summary>
    internal void ProcessBatch(DataplaneSnapshot snapshot, SwitchPort inPort, PacketBatch rx) =>
        ProcessBatch<Forwarding>(snapshot, inPort, rx, replay: false);

    /// <summary>
    /// The pipeline, specialised for forwarding or for tracing (<typeparamref name="TMode"/>). A <paramref name="replay"/>
    /// batch holds fragments that were held for their first fragment: already counted as received, and never held again.
    /// </summary>
    private void ProcessBatch<TMode>(DataplaneSnapshot snapshot, SwitchPort inPort, PacketBatch rx, bool replay)
        where TMode : struct, IPipelineMode
    {
        var n = rx.Count;
        var inSlot = inPort.Slot;
        var counters = Counters;
        long bytes = 0;
        for (var i = 0; i < n; i++)
        {
            ref var f = ref rx[i];
            f.InPort = inSlot;
            bytes += f.Length;
        }
        if (!replay)
        {
            counters.Add(inSlot, PortCounter.RxPackets, n);
            counters.Add(inSlot, PortCounter.RxBytes, bytes);
            counters.Add(WorkerCounter.Packets, n);
            if (!TMode.IsTrace)
            {
                CaptureReceived(inSlot, rx, n);
            }
        }
        counters.Add(WorkerCounter.Batches, 1);
        if (!inPort.AdminUp)
        {
            DropFrames(inSlot, DropReason.PortDown, Direction.Egress, rx, 0, n);
            if (TMode.IsTrace)
            {
                _trace!.Drop(TraceEvent.SenderDown, DropReason.PortDown, inSlot);
            }
            return;
        }

        // Each frame's flow-cache key is built at its first policy lookup (Worker.RuleVerdict.cs).
        _flowKeyBuilt.AsSpan(0, n).Clear();
        var network = snapshot.Networks[inPort.Network];
        _ctZone.AsSpan(0, n).Fill(network?.Zone ?? inPort.Network);
        _natted.AsSpan(0, n).Clear();
        _viaFloating.AsSpan(0, n).Clear();
        var fragments = ParseStage<TMode>(rx, inSlot, network);
        if (inPort.Dhcp is not null || inPort.DhcpV6 is not null || inPort.RouterAdvertisement is not null)
        {
            AddressingStage<TMode>(inPort, rx, n);
        }
        if (fragments && snapshot.Filtered[inPort.Network])
        {
            FragmentStage<TMode>(inPort, rx, n, replay);
        }
        if (inPort.Policy is not null || network is { Stateful: true })
        {
            EgressPolicyStage<TMode>(snapshot, inPort, rx, n);
        }
        else
        {
            _trackMode.AsSpan(0, n).Clear();
            if (TMode.IsTrace)
            {
                _trace!.Record(TraceEvent.SenderUnfiltered, inSlot);
            }
        }
        SwitchStage<TMode>(snapshot, inPort, rx, n);
        if (_snatPending > 0)
        {
            SnatStage(snapshot, rx, n);
        }
        if (_insideLookups > 0)
        {
            InsideLookupStage<TMode>(snapshot, rx, n);
        }
        OutputStage<TMode>(snapshot, rx, inSlot);
        if (!TMode.IsTrace)
        {
            FlushAll(snapshot);
        }
    }
}
