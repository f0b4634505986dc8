using VSwitch.Dataplane.Fragments;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

// The fragment stage: between parsing and the sender's policy, later IP fragments take the L4 fields of their
// datagram's first fragment (Fragments/FragmentTable.cs), so every later stage judges them as it judged the first.
// It runs only for batches that hold a fragment, on networks where some port filters.
public sealed partial class Worker
{
    /// <summary>How often a worker with held fragments wakes to replay or expire them, at most.</summary>
    private const int HoldPollMs = 5;

    private readonly FragmentHold _hold = new();
    private readonly PacketBatch _replay = new();

    /// <summary>
    /// Stage 1b: records every first fragment with more to follow, then gives each later fragment its first
    /// fragment's L4 fields. First fragments go first, so a batch that holds a datagram out of order needs no hold.
    /// A later fragment that overlaps its first fragment's data is dropped; one whose first fragment is unknown is held
    /// for it (<see cref="FragmentHold"/>), or dropped when it is a replay or the hold is full (<c>fragment</c>).
    /// </summary>
    private void FragmentStage<TMode>(SwitchPort inPort, PacketBatch rx, int n, bool replay)
        where TMode : struct, IPipelineMode
    {
        var table = _datapath.Fragments;
        var now = _datapath.NowMs();
        var parsed = _parsed;
        var output = _output;
        var inSlot = inPort.Slot;
        for (var i = 0; i < n; i++)
        {
            ref var p = ref parsed[i];
            if (output[i] != OutputDrop && (p.Flags & (PacketFlags.MoreFragments | PacketFlags.LaterFragment)) == PacketFlags.MoreFragments)
            {
                if (TMode.IsTrace)
                {
                    _trace!.Record(TraceEvent.FirstFragment, in p);
                    continue;
                }
                table.RecordFirst(in p, inSlot, now);
            }
        }
        for (var i = 0; i < n; i++)
        {
            ref var p = ref parsed[i];
            if (output[i] == OutputDrop || !p.IsLaterFragment)
            {
                continue;
            }
            switch (table.Inherit(ref p, inSlot, now, touch: !TMode.IsTrace))
            {
                case FragmentMatch.Inherited:
                    Counters.Add(WorkerCounter.FragmentsMatched, 1);
                    if (TMode.IsTrace)
                    {
                        _trace!.Record(TraceEvent.LaterFragmentMatched, in p);
                    }
                    break;
                case FragmentMatch.Overlap:
                    output[i] = OutputDrop;
                    DropFrame(inSlot, DropReason.Fragment, Direction.Egress, in rx[i]);
                    if (TMode.IsTrace)
                    {
                        _trace!.Drop(TraceEvent.FragmentOverlap, DropReason.Fragment, in p, inSlot);
                    }
                    break;
                default:
                    output[i] = OutputDrop;
                    if (TMode.IsTrace)
                    {
                        _trace!.Drop(TraceEvent.FragmentHeld, DropReason.Fragment, in p, inSlot);
                    }
                    else if (!replay && _hold.TryHold(in rx[i], in p, inSlot, inPort.Port, now + FragmentHold.HoldMs))
                    {
                        Counters.Add(WorkerCounter.FragmentsHeld, 1);
                    }
                    else
                    {
                        DropFrame(inSlot, DropReason.Fragment, Direction.Egress, in rx[i]);
                    }
                    break;
            }
        }
    }

    /// <summary>
    /// Runs the held fragments that may go now (their first fragment arrived, or their time is up) through the pipeline
    /// again, a port's worth at a time, in the order they arrived.
    /// </summary>
    internal void ReplayHeld()
    {
        var now = _datapath.NowMs();
        while (true)
        {
            var slot = _hold.TakeReady(_datapath.Fragments, now, _replay, out var port);
            if (slot < 0)
            {
                return;
            }
            var snapshot = _snapshot;
            if ((uint)slot < (uint)snapshot.Ports.Length && snapshot.Ports[slot] is { } inPort && ReferenceEquals(inPort.Port, port))
            {
                ProcessBatch<Forwarding>(snapshot, inPort, _replay, replay: true);
            }
            _hold.Release();
        }
    }
}
