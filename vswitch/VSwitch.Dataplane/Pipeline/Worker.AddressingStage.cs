using VSwitch.Packets;
using VSwitch.Packets.Dhcp;
using VSwitch.Packets.Ndp;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>
    /// Address configuration for a port the switch serves: its DHCPv4 client messages (<see cref="SwitchPort.Dhcp"/>) are
    /// answered from the port's own settings (OFFER, ACK or NAK), its DHCPv6 ones (<see cref="SwitchPort.DhcpV6"/>) with
    /// its own stateful address or the network's DNS servers, and its router solicitations
    /// (<see cref="SwitchPort.RouterAdvertisement"/>) with a router advertisement, onto the port's transmit batch; neither
    /// is forwarded, so a VM only ever learns its own settings and no other VM sees its requests. Replies are built in
    /// the worker's reply buffers, which live until the batch is flushed; nothing is allocated.
    /// </summary>
    private void AddressingStage<TMode>(SwitchPort inPort, PacketBatch rx, int n)
        where TMode : struct, IPipelineMode
    {
        var output = _output;
        for (var i = 0; i < n; i++)
        {
            if (output[i] == OutputDrop)
            {
                continue;
            }
            ref var p = ref _parsed[i];
            if (inPort.Dhcp is { } server && DhcpV4.IsClientMessage(in p))
            {
                output[i] = OutputDrop;
                AnswerDhcp<TMode>(inPort, server, rx[i].Span, in p);
            }
            else if (inPort.DhcpV6 is { } server6 && DhcpV6.IsClientMessage(in p))
            {
                output[i] = OutputDrop;
                AnswerDhcpV6<TMode>(inPort, server6, rx[i].Span, in p);
            }
            else if (inPort.RouterAdvertisement is { } advertisement && RouterAdvertisement.IsSolicitation(in p))
            {
                output[i] = OutputDrop;
                if (TMode.IsTrace)
                {
                    _trace!.Record(TraceEvent.RouterAdvertised, inPort.Slot);
                }
                else if (NextReply(out var k))
                {
                    Send(inPort, k, RouterAdvertisement.Write(_replies.Buffer(k), p.EthSource, p.IpSource, advertisement));
                    Counters.Add(WorkerCounter.RouterAdvertisements, 1);
                }
            }
        }
    }

    private void AnswerDhcp<TMode>(SwitchPort inPort, DhcpV4Server server, ReadOnlySpan<byte> frame, in ParsedPacket p)
        where TMode : struct, IPipelineMode
    {
        var answer = DhcpMessageType.None;
        if (DhcpV4.TryReadRequest(frame, in p, out var request) && (inPort.Mac is not { } mac || (request.ClientMac == mac && p.EthSource == mac)))
        {
            answer = DhcpV4.Answer(in request, server);
        }
        if (answer == DhcpMessageType.None)
        {
            Counters.Add(WorkerCounter.DhcpIgnored, 1);
            if (TMode.IsTrace)
            {
                _trace!.Record(TraceEvent.DhcpIgnored, inPort.Slot);
            }
            return;
        }
        if (TMode.IsTrace)
        {
            _trace!.Record(TraceEvent.DhcpAnswered, inPort.Slot, a: server.ClientAddress, c: (int)answer);
            return;
        }
        if (NextReply(out var k))
        {
            Send(inPort, k, DhcpV4.WriteReply(_replies.Buffer(k), in request, answer, server));
            Counters.Add(WorkerCounter.DhcpReplies, 1);
        }
        else
        {
            Counters.Add(WorkerCounter.DhcpIgnored, 1);
        }
    }

    private void AnswerDhcpV6<TMode>(SwitchPort inPort, DhcpV6Server server, ReadOnlySpan<byte> frame, in ParsedPacket p)
        where TMode : struct, IPipelineMode
    {
        var answer = DhcpV6MessageType.None;
        if (DhcpV6.TryReadRequest(frame, in p, out var request) && (inPort.Mac is not { } mac || p.EthSource == mac))
        {
            answer = DhcpV6.Answer(in request, server);
        }
        if (answer == DhcpV6MessageType.None)
        {
            Counters.Add(WorkerCounter.Dhcpv6Ignored, 1);
            if (TMode.IsTrace)
            {
                _trace!.Record(TraceEvent.Dhcpv6Ignored, inPort.Slot);
            }
            return;
        }
        if (TMode.IsTrace)
        {
            _trace!.Record(TraceEvent.Dhcpv6Answered, inPort.Slot, c: (int)answer);
            return;
        }
        if (NextReply(out var k))
        {
            Send(inPort, k, DhcpV6.WriteReply(_replies.Buffer(k), in p, in request, answer, server));
            Counters.Add(WorkerCounter.Dhcpv6Replies, 1);
        }
        else
        {
            Counters.Add(WorkerCounter.Dhcpv6Ignored, 1);
        }
    }

    /// <summary>
    /// A free reply buffer until the batch is flushed. There are as many as a batch has frames and each frame gets at most
    /// one reply, so this fails only if that ever changes; the request then goes unanswered.
    /// </summary>
    private bool NextReply(out int index)
    {
        index = _replyCount;
        if (index == PacketBatch.MaxSize)
        {
            return false;
        }
        _replyCount++;
        return true;
    }

    private void Send(SwitchPort port, int replyIndex, int length)
    {
        ref var reply = ref _replies[replyIndex];
        reply.Length = length;
        reply.InPort = port.Slot;
        Enqueue(port, port.Slot, in reply);
    }
}
