using VSwitch.Packets;
using VSwitch.Packets.Dhcp;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>
    /// DHCPv4 for a port the switch serves (<see cref="SwitchPort.Dhcp"/>): each client message is answered here from the
    /// port's own settings (OFFER, ACK or NAK onto the port's transmit batch) and never forwarded, so a VM only ever
    /// learns its own address and no other VM sees its requests. The reply is built in the worker's reply buffers,
    /// which live until the batch is flushed; nothing is allocated.
    /// </summary>
    private void DhcpStage<TMode>(SwitchPort inPort, DhcpV4Server server, PacketBatch rx, int n)
        where TMode : struct, IPipelineMode
    {
        var output = _output;
        for (var i = 0; i < n; i++)
        {
            if (output[i] == OutputDrop || !DhcpV4.IsClientMessage(in _parsed[i]))
            {
                continue;
            }
            output[i] = OutputDrop;
            ref var p = ref _parsed[i];
            var answer = DhcpMessageType.None;
            if (DhcpV4.TryReadRequest(rx[i].Span, in p, out var request)
                && (inPort.Mac is not { } mac || (request.ClientMac == mac && p.EthSource == mac)))
            {
                answer = DhcpV4.Answer(in request, server);
            }
            if (answer == DhcpMessageType.None || (!TMode.IsTrace && _dhcpReplyCount == PacketBatch.MaxSize))
            {
                Counters.Add(WorkerCounter.DhcpIgnored, 1);
                if (TMode.IsTrace)
                {
                    _trace!.Record(TraceEvent.DhcpIgnored, inPort.Slot);
                }
                continue;
            }
            if (TMode.IsTrace)
            {
                _trace!.Record(TraceEvent.DhcpAnswered, inPort.Slot, a: server.ClientAddress, c: (int)answer);
                continue;
            }
            var k = _dhcpReplyCount++;
            ref var reply = ref _dhcpReplies[k];
            reply.Length = DhcpV4.WriteReply(_dhcpReplies.Buffer(k), in request, answer, server);
            reply.InPort = inPort.Slot;
            Enqueue(inPort, inPort.Slot, in reply);
            Counters.Add(WorkerCounter.DhcpReplies, 1);
        }
    }
}
