using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>Output marker: drop (already counted).</summary>
    private const int OutputDrop = -1;

    /// <summary>Output marker: flood to every other port of the network.</summary>
    private const int OutputFlood = -2;

    /// <summary>
    /// Runs one received batch through the pipeline, stage by stage over the whole batch (STYLE rule 1):
    /// parse every frame, make every L2 decision, then hand frames to per-port transmit batches and flush them.
    /// </summary>
    internal void ProcessBatch(DataplaneSnapshot snapshot, SwitchPort inPort, PacketBatch rx)
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
        counters.Add(inSlot, PortCounter.RxPackets, n);
        counters.Add(inSlot, PortCounter.RxBytes, bytes);
        counters.Add(WorkerCounter.Batches, 1);
        counters.Add(WorkerCounter.Packets, n);
        if (!inPort.AdminUp)
        {
            counters.Drop(inSlot, DropReason.PortDown, Direction.Egress, n);
            return;
        }

        ParseStage(rx, inSlot);
        SwitchStage(snapshot, inPort, n);
        OutputStage(snapshot, rx, inSlot);
        FlushAll(snapshot);
    }

    /// <summary>Stage 1: parse every frame; malformed frames are dropped and counted.</summary>
    private void ParseStage(PacketBatch rx, int inSlot)
    {
        var parsed = _parsed;
        var output = _output;
        for (var i = 0; i < rx.Count; i++)
        {
            if (PacketParser.Parse(rx[i].Span, out parsed[i]) == ParseError.None)
            {
                output[i] = 0;
            }
            else
            {
                output[i] = OutputDrop;
                Counters.Drop(inSlot, DropReason.Malformed, Direction.Egress);
            }
        }
    }

    /// <summary>Stage 2: learn every source MAC and look up every destination MAC in the port's network.</summary>
    private void SwitchStage(DataplaneSnapshot snapshot, SwitchPort inPort, int n)
    {
        var macs = _datapath.Macs;
        var network = inPort.Network;
        var now = _datapath.NowMs();
        var parsed = _parsed;
        var output = _output;
        for (var i = 0; i < n; i++)
        {
            if (output[i] == OutputDrop)
            {
                continue;
            }
            ref var p = ref parsed[i];
            if (!p.EthSource.IsMulticast)
            {
                macs.Learn(network, p.EthSource, inPort.Slot, now);
            }
            if (p.EthDestination.IsMulticast)
            {
                output[i] = OutputFlood;
                continue;
            }
            var slot = macs.Lookup(network, p.EthDestination, now);
            output[i] = slot < 0 ? OutputFlood : slot;
        }
    }

    /// <summary>Stage 3: put every frame on the transmit batch of each port it goes to.</summary>
    private void OutputStage(DataplaneSnapshot snapshot, PacketBatch rx, int inSlot)
    {
        var output = _output;
        var network = snapshot.Networks[snapshot.Ports[inSlot]!.Network];
        for (var i = 0; i < rx.Count; i++)
        {
            var target = output[i];
            if (target == OutputDrop)
            {
                continue;
            }
            ref var frame = ref rx[i];
            if (target == OutputFlood)
            {
                Counters.Add(WorkerCounter.Floods, 1);
                if (network is null)
                {
                    continue;
                }
                foreach (var member in network.Members)
                {
                    if (member != inSlot)
                    {
                        Enqueue(snapshot, member, in frame, flooded: true);
                    }
                }
            }
            else if (target != inSlot)
            {
                Enqueue(snapshot, target, in frame, flooded: false);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enqueue(DataplaneSnapshot snapshot, int slot, in Frame frame, bool flooded)
    {
        var port = snapshot.Ports[slot];
        if (port is null || !port.AdminUp || port.Port.Failure is not null || _deregistered[slot])
        {
            // A flood simply skips ports that are down; a frame addressed to one is a counted drop.
            if (!flooded && port is not null)
            {
                Counters.Drop(slot, DropReason.PortDown, Direction.Ingress);
            }
            return;
        }
        var tx = _tx[slot]!;
        if (tx.IsFull)
        {
            Flush(port, tx);
        }
        tx.Add(in frame);
        if (!_isDirty[slot])
        {
            _isDirty[slot] = true;
            _dirty[_dirtyCount++] = slot;
        }
    }

    private void FlushAll(DataplaneSnapshot snapshot)
    {
        for (var d = 0; d < _dirtyCount; d++)
        {
            var slot = _dirty[d];
            _isDirty[slot] = false;
            var tx = _tx[slot]!;
            if (tx.Count > 0)
            {
                Flush(snapshot.Ports[slot]!, tx);
            }
        }
        _dirtyCount = 0;
    }

    private void Flush(SwitchPort port, PacketBatch tx)
    {
        var errors = default(PortErrors);
        var sent = port.Port.Transmit(Id, tx, ref errors);
        long bytes = 0;
        for (var i = 0; i < sent; i++)
        {
            bytes += tx[i].Length;
        }
        Counters.Add(port.Slot, PortCounter.TxPackets, sent);
        Counters.Add(port.Slot, PortCounter.TxBytes, bytes);
        if (sent < tx.Count)
        {
            Counters.Drop(port.Slot, DropReason.TxFailed, Direction.Ingress, tx.Count - sent);
        }
        tx.Count = 0;
    }
}
