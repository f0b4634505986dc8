using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>
    /// Stage 1: parse every frame; malformed frames, tagged frames on a network that is not VLAN-transparent and frames
    /// over the network's MTU (not GSO) are dropped and counted. Returns true when the batch holds an IP fragment.
    /// </summary>
    private bool ParseStage<TMode>(PacketBatch rx, int inSlot, NetworkSegment? network)
        where TMode : struct, IPipelineMode
    {
        var parsed = _parsed;
        var output = _output;
        var mtu = network?.Mtu ?? 0;
        var vlanTransparent = network?.VlanTransparent ?? true;
        var fragments = false;
        for (var i = 0; i < rx.Count; i++)
        {
            ref var frame = ref rx[i];
            var error = PacketParser.Parse(frame.Span, out parsed[i]);
            if (error == ParseError.None)
            {
                ref var p = ref parsed[i];
                output[i] = 0;
                if (TMode.IsTrace)
                {
                    _trace!.Record(TraceEvent.Parsed, in p);
                }
                // An access port carries untagged frames and priority tags (VLAN 0) only, as Open vSwitch's.
                if (p.VlanCount != 0 && !vlanTransparent && (p.VlanCount > 1 || (p.OuterVlanTci & 0x0FFF) != 0))
                {
                    output[i] = OutputDrop;
                    DropFrame(inSlot, DropReason.Vlan, Direction.Egress, in frame);
                    if (TMode.IsTrace)
                    {
                        _trace!.Drop(TraceEvent.VlanTagged, DropReason.Vlan, in p, inSlot);
                    }
                    continue;
                }
                if (mtu != 0 && frame.Length - p.L3Offset > mtu && !frame.Vnet.IsGso)
                {
                    output[i] = OutputDrop;
                    DropFrame(inSlot, DropReason.Mtu, Direction.Egress, in frame);
                    if (TMode.IsTrace)
                    {
                        _trace!.Drop(TraceEvent.OverMtu, DropReason.Mtu, inSlot, frame.Length - p.L3Offset, mtu);
                    }
                    continue;
                }
                fragments |= (p.Flags & PacketFlags.Fragment) != 0;
            }
            else
            {
                output[i] = OutputDrop;
                DropFrame(inSlot, DropReason.Malformed, Direction.Egress, in frame);
                if (TMode.IsTrace)
                {
                    _trace!.Drop(TraceEvent.Malformed, DropReason.Malformed, inSlot, c: (int)error);
                }
            }
        }
        return fragments;
    }
}
