using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Routing;
using VSwitch.Packets;
using VSwitch.Packets.Routing;

namespace VSwitch.Dataplane.Pipeline;

public sealed partial class Worker
{
    /// <summary>
    /// Stage 3, L3 (only on a network with a router interface): a frame for a router (to its MAC, or an ARP request or
    /// neighbor solicitation for its address) is answered or routed here instead of switched. A routed frame leaves
    /// with the next hop's MAC and one less TTL, bound for the port that holds the next hop, whose ingress rules judge
    /// it in stage 4 as they judge switched frames; the sender's egress rules judged it in stage 2. Errors (time
    /// exceeded, unreachable, fragmentation needed) go back to the sender within the worker's ICMP budget.
    /// </summary>
    /// <returns>True when the frame was the router's (decided here); false to switch it.</returns>
    private bool RoutingStage<TMode>(DataplaneSnapshot snapshot, SwitchPort inPort, RouterInterface[] interfaces, PacketBatch rx, int i)
        where TMode : struct, IPipelineMode
    {
        ref var p = ref _parsed[i];
        RouterInterface? iface = null;
        if (p.EthDestination.IsMulticast)
        {
            iface = MulticastFor<TMode>(snapshot, interfaces, in p);
            if (iface is null)
            {
                return false;
            }
        }
        else
        {
            foreach (var candidate in interfaces)
            {
                if (candidate.Mac == p.EthDestination)
                {
                    iface = candidate;
                    break;
                }
            }
            if (iface is null)
            {
                return false;
            }
        }
        _output[i] = OutputDrop;
        var router = (uint)iface.Router < (uint)snapshot.Routers.Length ? snapshot.Routers[iface.Router] : null;
        if (router is null || !router.AdminUp)
        {
            DropFrame(inPort.Slot, DropReason.NoRoute, Direction.Egress, in rx[i]);
            if (TMode.IsTrace)
            {
                _trace!.Drop(TraceEvent.RouterDown, DropReason.NoRoute, inPort.Slot, a: iface.Router);
            }
            return true;
        }
        ref var frame = ref rx[i];
        if (p.IsArp || NeighborAdvertisement.IsSolicitation(in p))
        {
            NeighborFrame<TMode>(snapshot, inPort, router, iface, ref frame, in p);
            return true;
        }
        if (!p.IsIp)
        {
            // Another protocol to the router's MAC: nothing to answer, nothing to route.
            return true;
        }
        // A floating IP arriving on the gateway: its destination becomes the fixed IP, then it is routed inside.
        var translated = false;
        _quotedFloating = 0;
        _quotedSnat = 0;
        if (p.IsIpv4 && IsGateway(router, iface) && router.FixedOf.TryGetValue(p.IpDestination.Ipv4, out var fixedIp))
        {
            _quotedFloating = p.IpDestination.Ipv4;
            _viaFloating[i] = _quotedFloating;
            AddressTranslation.RewriteDestination(frame.Span, in p, fixedIp, PartialL4Checksum(in frame, in p));
            // An error about a connection the VM opened quotes the VM's packet as the outside saw it: from the floating IP.
            AddressTranslation.RewriteQuoted(frame.Span, in p, source: true, p.IpDestination.Ipv4, fixedIp);
            p.IpDestination = IpAddress128.FromIpv4(fixedIp);
            translated = true;
            Counters.Add(WorkerCounter.NatTranslated, 1);
        }
        else if (p.IsIpv4 && router.SnatIpv4 != 0 && p.IpDestination.Ipv4 == router.SnatIpv4 && IsGateway(router, iface))
        {
            // A reply to the SNAT address (or an error about a packet sent from it) goes back to its inside endpoint.
            translated = ReverseSnat<TMode>(router, ref frame, ref p, i);
            if (translated && TMode.IsTrace)
            {
                _trace!.Record(TraceEvent.SourceNatReversed, inPort.Slot, a: router.Index, b: p.IpProtocol == IpProtocol.Icmp ? p.IcmpIdentifier : p.DestinationPort);
            }
        }
        if (router.Owns(p.IpDestination))
        {
            ToRouter<TMode>(inPort, router, iface, ref frame, in p);
            return true;
        }
        if (p.IsIpv6 && (RoutedFrame.IsLinkLocal(p.IpSource) || RoutedFrame.IsLinkLocal(p.IpDestination)))
        {
            // A link-local address means this link only: routers never forward it (RFC 4291 §2.5.6). A host uses one as
            // its source while its global address is still tentative.
            DropFrame(inPort.Slot, DropReason.NoRoute, Direction.Egress, in rx[i]);
            SendIcmpError<TMode>(inPort, iface, in frame, in p, IcmpError.Ipv6Unreachable, IcmpError.Ipv6BeyondScope);
            if (TMode.IsTrace)
            {
                _trace!.Drop(TraceEvent.RouterLinkLocal, DropReason.NoRoute, inPort.Slot, a: router.Index);
            }
            return true;
        }
        var hopLimit = RoutedFrame.HopLimit(frame.Span, in p);
        if (hopLimit <= 1)
        {
            DropFrame(inPort.Slot, DropReason.TtlExceeded, Direction.Egress, in rx[i]);
            SendIcmpError<TMode>(inPort, iface, in frame, in p, p.IsIpv4 ? IcmpError.Ipv4TimeExceeded : IcmpError.Ipv6TimeExceeded, 0);
            if (TMode.IsTrace)
            {
                _trace!.Drop(TraceEvent.RouterTtlExceeded, DropReason.TtlExceeded, inPort.Slot, a: router.Index, b: hopLimit);
            }
            return true;
        }
        if (!router.TryRoute(p.IpDestination, out var outIndex, out var nextHop))
        {
            DropFrame(inPort.Slot, DropReason.NoRoute, Direction.Egress, in rx[i]);
            SendIcmpError<TMode>(inPort, iface, in frame, in p,
                p.IsIpv4 ? IcmpError.Ipv4Unreachable : IcmpError.Ipv6Unreachable, p.IsIpv4 ? IcmpError.Ipv4NetUnreachable : IcmpError.Ipv6NoRoute);
            if (TMode.IsTrace)
            {
                _trace!.Drop(TraceEvent.RouterNoRoute, DropReason.NoRoute, inPort.Slot, a: router.Index);
            }
            return true;
        }
        var resolving = false;
        if (!(router.TryResolve(nextHop, out var neighbor) && OnNetwork(snapshot, neighbor, router.Interfaces[outIndex].Network))
            && !ResolveOutside<TMode>(snapshot, router, outIndex, nextHop, inPort.Slot, out neighbor, out resolving))
        {
            if (resolving)
            {
                // Outside, an address no port holds: asked with ARP (ResolveOutside); this packet is lost, as while Linux
                // resolves a neighbour with a full queue, and the sender retries.
                DropFrame(inPort.Slot, DropReason.NoRoute, Direction.Egress, in rx[i]);
                if (TMode.IsTrace)
                {
                    _trace!.Drop(TraceEvent.RouterResolving, DropReason.NoRoute, inPort.Slot, a: router.Index);
                }
                return true;
            }
            DropFrame(inPort.Slot, DropReason.NoRoute, Direction.Egress, in rx[i]);
            SendIcmpError<TMode>(inPort, iface, in frame, in p,
                p.IsIpv4 ? IcmpError.Ipv4Unreachable : IcmpError.Ipv6Unreachable, p.IsIpv4 ? IcmpError.Ipv4HostUnreachable : IcmpError.Ipv6AddressUnreachable);
            if (TMode.IsTrace)
            {
                _trace!.Drop(TraceEvent.RouterUnresolved, DropReason.NoRoute, inPort.Slot, a: router.Index);
            }
            return true;
        }
        var outInterface = router.Interfaces[outIndex];
        var outMtu = (uint)outInterface.Network < (uint)snapshot.Networks.Length ? snapshot.Networks[outInterface.Network]?.Mtu ?? 0 : 0;
        if (outMtu != 0 && RoutedLength(in frame, in p) > outMtu)
        {
            // IPv6 is never fragmented by routers; IPv4 with DF neither. The switch does not fragment either way.
            DropFrame(inPort.Slot, DropReason.Mtu, Direction.Egress, in rx[i]);
            if (p.IsIpv6 || RoutedFrame.DontFragment(frame.Span, in p))
            {
                SendIcmpError<TMode>(inPort, iface, in frame, in p,
                    p.IsIpv4 ? IcmpError.Ipv4Unreachable : IcmpError.Ipv6PacketTooBig, p.IsIpv4 ? IcmpError.Ipv4FragmentationNeeded : (byte)0, outMtu);
            }
            if (TMode.IsTrace)
            {
                _trace!.Drop(TraceEvent.RouterFragmentationNeeded, DropReason.Mtu, inPort.Slot, a: router.Index, b: outMtu);
            }
            return true;
        }
        if (p.IsIpv4 && outIndex == router.GatewayInterface)
        {
            LeaveByGateway<TMode>(inPort, router, iface, ref frame, ref p, i);
        }
        if (translated || (IsGateway(router, iface) && outIndex != router.GatewayInterface))
        {
            // From the outside inward (translated or not): the inside zone holds the connection its VM answers on.
            TrackInside<TMode>(snapshot, frame.Span, in p, outInterface.Network, i);
            if (!translated && router.SnatIpv4 != 0 && !TMode.IsTrace && snapshot.Ports[neighbor.Slot]?.Policy is not { Stateful: true })
            {
                // No stateful zone remembers it for this port: the NAT zone does, so that its replies leave untranslated.
                _datapath.Conntrack.TrackUntranslated(frame.Span, in p, router.NatZone, _datapath.NowMs());
            }
            if (TMode.IsTrace && _quotedFloating != 0)
            {
                _trace!.Record(TraceEvent.FloatingIpTranslated, neighbor.Slot, a: router.Index);
            }
        }
        RoutedFrame.Forward(frame.Span, in p, neighbor.Mac, outInterface.Mac);
        p.EthSource = outInterface.Mac;
        p.EthDestination = neighbor.Mac;
        p.Ttl = (byte)(hopLimit - 1);
        _output[i] = neighbor.Slot;
        Counters.Add(WorkerCounter.RouterForwarded, 1);
        if (TMode.IsTrace)
        {
            _trace!.Record(TraceEvent.Routed, neighbor.Slot, a: router.Index, b: outInterface.Network);
        }
        return true;
    }

    /// <summary>
    /// Stage 3, end: source NAT of the frames the routing stage sent out by a gateway with SNAT, as a batch: every first
    /// candidate binding's key prepared and its bucket prefetched, every first entry prefetched, then each translated.
    /// A frame with no binding to be had is dropped here (counted).
    /// </summary>
    private void SnatStage(DataplaneSnapshot snapshot, PacketBatch rx, int n)
    {
        var conntrack = _datapath.Conntrack;
        var routers = _snatRouter;
        for (var i = 0; i < n; i++)
        {
            if (routers[i] is { } router)
            {
                conntrack.PrepareSnat(in _parsed[i], router.NatZone, router.SnatIpv4, out _probe[i]);
            }
        }
        for (var i = 0; i < n; i++)
        {
            if (routers[i] is not null)
            {
                conntrack.Prefetch(in _probe[i]);
            }
        }
        var now = _datapath.NowMs();
        for (var i = 0; i < n; i++)
        {
            if (routers[i] is { } router)
            {
                routers[i] = null;
                // Only a stateful sender's New is a new connection: a stateless one's packets are all New.
                var newConnection = _trackMode[i] == TrackMode.New && snapshot.Ports[rx[i].InPort]?.Policy is { Stateful: true };
                Snat(router, ref rx[i], ref _parsed[i], i, newConnection, now);
            }
        }
        _snatPending = 0;
    }

    /// <summary>
    /// Source NAT of one frame: its binding's port from <see cref="ConnTable.SnatPrepared"/>, then the source address and
    /// port rewritten (an ICMP error's quote too: it quotes the packet as the remote sent it). The connection stays
    /// tracked by its inside tuple (<see cref="_preNat"/>).
    /// </summary>
    private void Snat(LogicalRouter router, ref Frame frame, ref ParsedPacket p, int i, bool newConnection, long now)
    {
        var result = _datapath.Conntrack.SnatPrepared(frame.Span, in p, router.NatZone, router.SnatIpv4, now, newConnection, in _probe[i], out var port, out _snatCreated[i]);
        if (result != SnatResult.Translated)
        {
            _output[i] = OutputDrop;
            Counters.Add(WorkerCounter.RouterForwarded, -1);
            DropFrame(frame.InPort, result switch
            {
                SnatResult.Full => DropReason.ConntrackFull,
                SnatResult.Exhausted => DropReason.NatExhausted,
                _ => DropReason.ConntrackInvalid,
            }, Direction.Egress, in frame);
            return;
        }
        _preNat[i] = p;
        _natted[i] = true;
        var span = frame.Span;
        var partial = PartialL4Checksum(in frame, in p);
        var inside = p.IpSource.Ipv4;
        AddressTranslation.RewriteSource(span, in p, router.SnatIpv4, partial);
        if (IcmpError.IsIpv4Error(in p))
        {
            AddressTranslation.RewriteQuoted(span, in p, source: false, inside, router.SnatIpv4);
            if (IcmpQuote.TryRead(span, in p, out var quoted) && quoted.DestinationPort != port)
            {
                AddressTranslation.RewriteQuotedPort(span, in p, source: false, quoted.DestinationPort, port);
            }
        }
        else if (IcmpEcho.IsIpv4Echo(in p))
        {
            if (p.IcmpIdentifier != port)
            {
                AddressTranslation.RewriteSourcePort(span, in p, port, partial);
                p.IcmpIdentifier = port;
            }
        }
        else if (p.SourcePort != port && p.IpProtocol is IpProtocol.Tcp or IpProtocol.Udp)
        {
            AddressTranslation.RewriteSourcePort(span, in p, port, partial);
            p.SourcePort = port;
        }
        p.IpSource = IpAddress128.FromIpv4(router.SnatIpv4);
        Counters.Add(WorkerCounter.NatTranslated, 1);
    }

    /// <summary>
    /// Stage 3, start, on a network with a router's SNAT gateway: the binding lookups of the batch's replies to the SNAT
    /// address are prepared and their memory requested, so that <see cref="ReverseSnat{TMode}"/> finds them in cache.
    /// </summary>
    private void PrefetchSnatReplies(DataplaneSnapshot snapshot, RouterInterface[] interfaces, int n)
    {
        foreach (var iface in interfaces)
        {
            var router = (uint)iface.Router < (uint)snapshot.Routers.Length ? snapshot.Routers[iface.Router] : null;
            if (router is null || router.SnatIpv4 == 0 || !IsGateway(router, iface))
            {
                continue;
            }
            var conntrack = _datapath.Conntrack;
            var prepared = false;
            for (var i = 0; i < n; i++)
            {
                ref readonly var p = ref _parsed[i];
                if (_output[i] != OutputDrop && p.EthDestination == iface.Mac && p.IsIpv4 && p.IpDestination.Ipv4 == router.SnatIpv4)
                {
                    conntrack.Prepare(in p, router.NatZone, out _probe[i]);
                    _snatReplyPrepared[i] = true;
                    prepared = true;
                }
            }
            if (prepared)
            {
                for (var i = 0; i < n; i++)
                {
                    if (_snatReplyPrepared[i])
                    {
                        conntrack.Prefetch(in _probe[i]);
                    }
                }
            }
        }
    }

    /// <summary>
    /// A packet to the router's SNAT address on its gateway: when it is a reply of a binding (or an error about a packet
    /// one sent), its destination becomes the binding's inside endpoint (an error's quote too). False when no binding
    /// holds it: the packet is then the router's own.
    /// </summary>
    private bool ReverseSnat<TMode>(LogicalRouter router, ref Frame frame, ref ParsedPacket p, int i)
        where TMode : struct, IPipelineMode
    {
        var zone = router.NatZone;
        var span = frame.Span;
        if (IcmpEcho.IsRequest(in p))
        {
            // An echo request to the gateway address is the router's to answer, whatever identifier it carries: only
            // replies belong to the inside's pings.
            _snatReplyPrepared[i] = false;
            return false;
        }
        ConnLookup ct;
        if (TMode.IsTrace)
        {
            ct = _datapath.Conntrack.Peek(span, in p, zone, _datapath.NowMs());
        }
        else if (_snatReplyPrepared[i])
        {
            _snatReplyPrepared[i] = false;
            ct = _datapath.Conntrack.TrackPrepared(span, in p, in _probe[i], _datapath.NowMs());
        }
        else
        {
            ct = _datapath.Conntrack.Track(span, in p, zone, _datapath.NowMs());
        }
        if (ct.Verdict is not (ConnVerdict.Established or ConnVerdict.Related) || !ct.IsReply)
        {
            return false;
        }
        var inside = ct.NatInsideAddress;
        var insidePort = ct.NatInsidePort;
        // The router's own errors about this packet (TTL, MTU, unreachable) quote it as the remote sent it.
        _quotedSnat = router.SnatIpv4;
        _quotedSnatPort = IcmpEcho.IsIpv4Echo(in p) ? p.IcmpIdentifier : p.DestinationPort;
        _quotedInsidePort = insidePort;
        var partial = PartialL4Checksum(in frame, in p);
        AddressTranslation.RewriteDestination(span, in p, inside, partial);
        if (ct.Verdict == ConnVerdict.Related)
        {
            AddressTranslation.RewriteQuoted(span, in p, source: true, router.SnatIpv4, inside);
            if (IcmpQuote.TryRead(span, in p, out var quoted) && quoted.SourcePort != insidePort)
            {
                AddressTranslation.RewriteQuotedPort(span, in p, source: true, quoted.SourcePort, insidePort);
            }
        }
        else if (IcmpEcho.IsIpv4Echo(in p))
        {
            if (p.IcmpIdentifier != insidePort)
            {
                AddressTranslation.RewriteDestinationPort(span, in p, insidePort, partial);
                p.IcmpIdentifier = insidePort;
            }
        }
        else if (p.DestinationPort != insidePort && p.IpProtocol is IpProtocol.Tcp or IpProtocol.Udp)
        {
            AddressTranslation.RewriteDestinationPort(span, in p, insidePort, partial);
            p.DestinationPort = insidePort;
        }
        p.IpDestination = IpAddress128.FromIpv4(inside);
        Counters.Add(WorkerCounter.NatTranslated, 1);
        return true;
    }

    /// <summary>True when the neighbour's port is on <paramref name="network"/>: an address another network's port claims is not a next hop here.</summary>
    private static bool OnNetwork(DataplaneSnapshot snapshot, Neighbor neighbor, int network) =>
        (uint)neighbor.Slot < (uint)snapshot.Ports.Length && snapshot.Ports[neighbor.Slot]?.Network == network;

    /// <summary>True when a router interface on the network answers for <paramref name="address"/> (a gateway, a floating IP): the switch's own, never asked for outside.</summary>
    private static bool SwitchOwned(DataplaneSnapshot snapshot, int network, IpAddress128 address)
    {
        var segment = (uint)network < (uint)snapshot.Networks.Length ? snapshot.Networks[network] : null;
        foreach (var other in segment?.RouterInterfaces ?? [])
        {
            if (other.AnswersFor(address))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A next hop on the gateway's network that no port holds (an upstream router, a host outside): its MAC as ARP
    /// answered it (<see cref="NeighborCache"/>), its port as the MAC table learned the answer. Unknown, or answered
    /// long enough ago to ask again: an ARP request is broadcast on the network (paced per worker).
    /// <paramref name="resolving"/>: the address is being asked for (the packet is dropped without an error); false
    /// for an address the switch itself holds there (another router's gateway, a floating IP), which is unreachable.
    /// </summary>
    private bool ResolveOutside<TMode>(DataplaneSnapshot snapshot, LogicalRouter router, int outIndex, IpAddress128 nextHop, int inSlot,
        out Neighbor neighbor, out bool resolving)
        where TMode : struct, IPipelineMode
    {
        neighbor = default;
        resolving = false;
        if (outIndex != router.GatewayInterface || !nextHop.IsIpv4Mapped)
        {
            return false;
        }
        var iface = router.Interfaces[outIndex];
        if (SwitchOwned(snapshot, iface.Network, nextHop))
        {
            return false;
        }
        resolving = true;
        var now = _datapath.NowMs();
        var slot = -1;
        if (_datapath.Neighbors.TryGet(iface.Network, nextHop.Ipv4, now, out var mac, out var stale))
        {
            slot = _datapath.Macs.Lookup(iface.Network, mac, now);
            if (slot >= 0 && !stale)
            {
                neighbor = new Neighbor(slot, mac);
                return true;
            }
        }
        if (!TMode.IsTrace && iface.Ipv4 != 0 && _replyCount < PacketBatch.MaxSize && _arpPacer.TryTake(iface.Network, nextHop.Ipv4, now)
            && NextReply(out var k))
        {
            ref var request = ref _replies[k];
            request.Length = ArpRequest.Write(_replies.Buffer(k), iface.Mac, iface.Ipv4, nextHop.Ipv4);
            request.InPort = inSlot;
            var network = (uint)iface.Network < (uint)snapshot.Networks.Length ? snapshot.Networks[iface.Network] : null;
            foreach (var member in network?.Members ?? [])
            {
                if (snapshot.Ports[member] is { AdminUp: true } port && port.Port.Failure is null && !_deregistered[member])
                {
                    Enqueue(port, member, in request);
                }
            }
            Counters.Add(WorkerCounter.RouterArpRequests, 1);
        }
        if (slot < 0)
        {
            return false;
        }
        neighbor = new Neighbor(slot, mac);
        return true;
    }

    /// <summary>
    /// An ARP message to the router on its gateway's network: a reply, or a request for its address, teaches the
    /// sender's MAC (<see cref="NeighborCache"/>), when the sender is on the gateway's subnet, no port there holds it,
    /// the switch does not hold it either (a gateway, a floating IP), and the frame comes from the MAC it names. Only a
    /// reply may displace another address's live answer.
    /// </summary>
    private void Glean<TMode>(DataplaneSnapshot snapshot, LogicalRouter router, RouterInterface iface, in ParsedPacket p)
        where TMode : struct, IPipelineMode
    {
        var reply = ArpRequest.IsReply(in p);
        if (TMode.IsTrace || !(reply || (ArpReply.IsRequest(in p) && iface.AnswersFor(p.IpDestination)))
            || !p.IpSource.IsIpv4Mapped || p.IpSource.Ipv4 == 0 || p.ArpSenderMac.IsMulticast || p.ArpSenderMac != p.EthSource
            || !router.IsConnected(p.IpSource, router.GatewayInterface)
            || (router.TryResolve(p.IpSource, out var known) && OnNetwork(snapshot, known, iface.Network))
            || SwitchOwned(snapshot, iface.Network, p.IpSource))
        {
            return;
        }
        if (_datapath.Neighbors.Learn(iface.Network, p.IpSource.Ipv4, p.ArpSenderMac, _datapath.NowMs(), evict: reply))
        {
            Counters.Add(WorkerCounter.RouterNeighborsLearned, 1);
        }
    }

    /// <summary>
    /// An IPv4 packet leaving by the router's gateway: from a fixed IP with a floating IP, translated to it; otherwise,
    /// with SNAT on, marked for <see cref="SnatStage"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LeaveByGateway<TMode>(SwitchPort inPort, LogicalRouter router, RouterInterface iface, ref Frame frame, ref ParsedPacket p, int i)
        where TMode : struct, IPipelineMode
    {
        if (router.FloatingOf.TryGetValue(p.IpSource.Ipv4, out var floatingIp))
        {
            // Leaving by the gateway from a fixed IP with a floating IP: the outside sees the floating IP. The connection
            // stays tracked by its inside tuple (committed from _preNat).
            _preNat[i] = p;
            _natted[i] = true;
            _viaFloating[i] = floatingIp;
            _snatCreated[i] = default;
            AddressTranslation.RewriteSource(frame.Span, in p, floatingIp, PartialL4Checksum(in frame, in p));
            // An error the VM sends about the outside's packet quotes it as sent: to the floating IP.
            AddressTranslation.RewriteQuoted(frame.Span, in p, source: false, p.IpSource.Ipv4, floatingIp);
            p.IpSource = IpAddress128.FromIpv4(floatingIp);
            Counters.Add(WorkerCounter.NatTranslated, 1);
        }
        else if (router.SnatIpv4 != 0 && !IsGateway(router, iface)
            && !(_trackMode[i] == TrackMode.Established && _ct[i].IsReply)
            && !(inPort.Policy is not { Stateful: true } && _datapath.Conntrack.IsUntranslatedReply(frame.Span, in p, router.NatZone, _datapath.NowMs(), peek: TMode.IsTrace)))
        {
            // Leaving by the gateway without a floating IP: from the router's address and a port of its own (SnatStage),
            // unless the connection came in from outside to the fixed IP (its replies go back as they came).
            if (TMode.IsTrace)
            {
                // A trace changes no binding: the port is chosen when the packet is forwarded.
                _trace!.Record(TraceEvent.SourceNatTranslated, inPort.Slot, a: router.Index, b: IcmpEcho.IsIpv4Echo(in p) ? p.IcmpIdentifier : p.SourcePort);
                p.IpSource = IpAddress128.FromIpv4(router.SnatIpv4);
            }
            else
            {
                _snatRouter[i] = router;
                _snatPending++;
            }
        }
    }

    /// <summary>A broadcast or multicast frame: the interface whose address it asks for (ARP request, neighbor solicitation), or null to switch it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private RouterInterface? MulticastFor<TMode>(DataplaneSnapshot snapshot, RouterInterface[] interfaces, in ParsedPacket p)
        where TMode : struct, IPipelineMode
    {
        // Only a question about a router's own address is the router's; other broadcasts are switched.
        if (ArpReply.IsRequest(in p) || NeighborAdvertisement.IsSolicitation(in p))
        {
            var asked = p.IsArp ? p.IpDestination : p.NdTarget;
            foreach (var candidate in interfaces)
            {
                if (candidate.AnswersFor(asked))
                {
                    return candidate;
                }
            }
        }
        if (p.IsArp && !TMode.IsTrace)
        {
            // A gratuitous ARP (an upstream's failover announcing its new MAC) updates what a router learned.
            RefreshFromBroadcast(snapshot, interfaces, in p);
        }
        return null;
    }

    /// <summary>ARP or a neighbor solicitation for a router interface: learned from on the gateway, answered for the router's addresses.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NeighborFrame<TMode>(DataplaneSnapshot snapshot, SwitchPort inPort, LogicalRouter router, RouterInterface iface, ref Frame frame, in ParsedPacket p)
        where TMode : struct, IPipelineMode
    {
        if (p.IsArp && IsGateway(router, iface))
        {
            // Outside, the router learns who answers: its requests' replies, and the requests for its own address.
            Glean<TMode>(snapshot, router, iface, in p);
        }
        // Also a unicast probe (a host confirming its cache) is answered only for an address the router has; an ARP
        // reply to the router's MAC has nothing more to do.
        if ((ArpReply.IsRequest(in p) || NeighborAdvertisement.IsSolicitation(in p)) && iface.AnswersFor(p.IsArp ? p.IpDestination : p.NdTarget))
        {
            AnswerNeighbor<TMode>(inPort, iface, ref frame, in p);
        }
    }

    /// <summary>An IP packet to one of the router's own addresses: an echo request is answered, anything else is dropped (UDP hears port unreachable).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ToRouter<TMode>(SwitchPort inPort, LogicalRouter router, RouterInterface iface, ref Frame frame, in ParsedPacket p)
        where TMode : struct, IPipelineMode
    {
        if (IcmpEcho.IsRequest(in p) && (TMode.IsTrace || IcmpEcho.AnswerInPlace(frame.Span, in p, iface.Mac)))
        {
            if (TMode.IsTrace)
            {
                _trace!.Record(TraceEvent.RouterEchoAnswered, inPort.Slot, a: router.Index);
            }
            else
            {
                Enqueue(inPort, inPort.Slot, in frame);
                Counters.Add(WorkerCounter.RouterEchoReplies, 1);
            }
        }
        else
        {
            // No service listens on a router's address: counted, and a UDP sender hears port unreachable at once.
            DropFrame(inPort.Slot, DropReason.NoRoute, Direction.Egress, in frame);
            if (p.IpProtocol == IpProtocol.Udp)
            {
                SendIcmpError<TMode>(inPort, iface, in frame, in p,
                    p.IsIpv4 ? IcmpError.Ipv4Unreachable : IcmpError.Ipv6Unreachable, p.IsIpv4 ? IcmpError.Ipv4PortUnreachable : IcmpError.Ipv6PortUnreachable);
            }
            if (TMode.IsTrace)
            {
                _trace!.Drop(TraceEvent.RouterLocal, DropReason.NoRoute, inPort.Slot, a: router.Index);
            }
        }
    }

    /// <summary>A broadcast ARP on a network where a router has its gateway: an answer it already holds is updated (never created).</summary>
    private void RefreshFromBroadcast(DataplaneSnapshot snapshot, RouterInterface[] interfaces, in ParsedPacket p)
    {
        if (!p.IpSource.IsIpv4Mapped || p.ArpSenderMac.IsMulticast || p.ArpSenderMac != p.EthSource)
        {
            return;
        }
        foreach (var candidate in interfaces)
        {
            var router = (uint)candidate.Router < (uint)snapshot.Routers.Length ? snapshot.Routers[candidate.Router] : null;
            if (router is not null && IsGateway(router, candidate)
                && _datapath.Neighbors.Refresh(candidate.Network, p.IpSource.Ipv4, p.ArpSenderMac, _datapath.NowMs()))
            {
                Counters.Add(WorkerCounter.RouterNeighborsLearned, 1);
                return;
            }
        }
    }

    /// <summary>
    /// The IP length the next network sees: the packet's, or for a GSO super-frame each segment's (IP and L4 headers
    /// plus the segment size), as Linux's <c>skb_gso_validate_network_len</c> checks a forwarded GSO packet.
    /// </summary>
    private static int RoutedLength(in Frame frame, in ParsedPacket p)
    {
        if (!frame.Vnet.IsGso || !p.HasL4 || p.L4Offset <= p.L3Offset || frame.Vnet.GsoSize == 0)
        {
            return p.IpLength;
        }
        var span = frame.Span;
        var l4Header = p.IpProtocol == IpProtocol.Tcp && p.L4Offset + 13 < span.Length ? Math.Max(20, (span[p.L4Offset + 12] >> 4) * 4) : 8;
        // A packet that fits as a whole fits (Linux's ip_exceeds_mtu checks the length first).
        return Math.Min(p.IpLength, p.L4Offset - p.L3Offset + l4Header + frame.Vnet.GsoSize);
    }

    /// <summary>True when <paramref name="iface"/> is the router's gateway (by reference: a record's <c>==</c> compares every member).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsGateway(LogicalRouter router, RouterInterface? iface) =>
        router.GatewayInterface >= 0 && ReferenceEquals(router.Interfaces[router.GatewayInterface], iface);

    /// <summary>
    /// The connection of a frame routed inward from the gateway (a floating IP translated, or not): looked up by its
    /// inside tuple in the inside network's zone (the outside port's egress tracked nothing), so that the receiver's
    /// stateful groups see the connection its VM answers on, and a new one is committed there (<see cref="_ctZone"/>).
    /// Forwarding only marks the frame: <see cref="InsideLookupStage{TMode}"/> looks the batch's marked frames up
    /// together, with the egress stage's two prefetch passes. A trace looks up at once.
    /// </summary>
    private void TrackInside<TMode>(DataplaneSnapshot snapshot, ReadOnlySpan<byte> frame, in ParsedPacket p, int network, int i)
        where TMode : struct, IPipelineMode
    {
        var segment = (uint)network < (uint)snapshot.Networks.Length ? snapshot.Networks[network] : null;
        var zone = segment?.Zone ?? network;
        _ctZone[i] = zone;
        _trackMode[i] = TrackMode.Stateless;
        if (segment is not { Stateful: true })
        {
            return;
        }
        if (!TMode.IsTrace)
        {
            _insideLookup[i] = true;
            _insideLookups++;
            return;
        }
        InsideVerdict<TMode>(snapshot, in p, _datapath.Conntrack.Peek(frame, in p, zone, _datapath.NowMs()), i);
    }

    /// <summary>
    /// Stage 3, end: the inside lookups <see cref="TrackInside{TMode}"/> marked, as a batch: every key prepared and its
    /// bucket prefetched, every first entry prefetched, then each looked up (ConnTable.Prefetch.cs).
    /// </summary>
    private void InsideLookupStage<TMode>(DataplaneSnapshot snapshot, PacketBatch rx, int n)
        where TMode : struct, IPipelineMode
    {
        var conntrack = _datapath.Conntrack;
        var marked = _insideLookup;
        for (var i = 0; i < n; i++)
        {
            if (marked[i])
            {
                conntrack.Prepare(in _parsed[i], _ctZone[i], out _probe[i]);
            }
        }
        for (var i = 0; i < n; i++)
        {
            if (marked[i])
            {
                conntrack.Prefetch(in _probe[i]);
            }
        }
        var now = _datapath.NowMs();
        for (var i = 0; i < n; i++)
        {
            if (marked[i])
            {
                marked[i] = false;
                InsideVerdict<TMode>(snapshot, in _parsed[i], conntrack.TrackPrepared(rx[i].Span, in _parsed[i], in _probe[i], now), i);
            }
        }
        _insideLookups = 0;
    }

    private void InsideVerdict<TMode>(DataplaneSnapshot snapshot, in ParsedPacket p, in ConnLookup ct, int i)
        where TMode : struct, IPipelineMode
    {
        _trackMode[i] = ct.Verdict switch
        {
            ConnVerdict.New => TrackMode.New,
            ConnVerdict.Invalid => TrackMode.Invalid,
            ConnVerdict.Established or ConnVerdict.Related when ct.AdmittedGeneration >= snapshot.RequiredGeneration(ct.OrigInPort, ct.OrigOutPort)
                => TrackMode.Established,
            // Admitted under an older policy: re-checked as the egress stage does, and kept or cut.
            ConnVerdict.Established when Revalidate(snapshot, in p, in ct) => Revalidated<TMode>(in ct, snapshot),
            ConnVerdict.Established => Revoked<TMode>(in ct),
            // An error about a connection not yet re-checked, or untracked: the receiver's rules judge it on its own.
            _ => TrackMode.Stateless,
        };
    }

    private TrackMode Revalidated<TMode>(in ConnLookup ct, DataplaneSnapshot snapshot)
        where TMode : struct, IPipelineMode
    {
        if (!TMode.IsTrace)
        {
            _datapath.Conntrack.Revalidated(ct.Handle, snapshot.PolicyGeneration);
        }
        Counters.Add(WorkerCounter.ConntrackRevalidated, 1);
        return TrackMode.Established;
    }

    /// <summary>A connection no longer allowed: removed; the packet is then judged as new by the receiver's rules.</summary>
    private TrackMode Revoked<TMode>(in ConnLookup ct)
        where TMode : struct, IPipelineMode
    {
        if (!TMode.IsTrace)
        {
            _datapath.Conntrack.Remove(ct.Handle);
        }
        Counters.Add(WorkerCounter.ConntrackRevoked, 1);
        return TrackMode.New;
    }

    /// <summary>The frame's L4 checksum is a partial sum a virtio device finishes (<c>NEEDS_CSUM</c> starting at its L4 header).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool PartialL4Checksum(in Frame frame, in ParsedPacket p) =>
        (frame.Vnet.Flags & VirtioNetHeader.NeedsChecksum) != 0 && frame.Vnet.ChecksumStart == p.L4Offset;

    /// <summary>ARP (in place) or a neighbor advertisement (into a reply buffer) for the router interface's address, to the asker.</summary>
    private void AnswerNeighbor<TMode>(SwitchPort inPort, RouterInterface iface, ref Frame frame, in ParsedPacket p)
        where TMode : struct, IPipelineMode
    {
        if (TMode.IsTrace)
        {
            _trace!.Record(TraceEvent.RouterNeighborAnswered, inPort.Slot, a: iface.Router);
            return;
        }
        if (p.IsArp)
        {
            ArpReply.AnswerInPlace(frame.Span, in p, iface.Mac);
            Enqueue(inPort, inPort.Slot, in frame);
        }
        else if (NextReply(out var k))
        {
            Send(inPort, k, NeighborAdvertisement.Write(_replies.Buffer(k), in p, iface.Mac));
        }
        else
        {
            return;
        }
        Counters.Add(WorkerCounter.RouterNeighborReplies, 1);
    }

    /// <summary>An ICMP error about the frame to its sender, from the router's interface on the sender's network, within the budget.</summary>
    private void SendIcmpError<TMode>(SwitchPort inPort, RouterInterface iface, in Frame frame, in ParsedPacket p, byte type, byte code, int mtu = 0)
        where TMode : struct, IPipelineMode
    {
        if (TMode.IsTrace || !IcmpError.MayAnswer(in p) || (p.IsIpv4 && iface.Ipv4 == 0))
        {
            return;
        }
        if (!_icmpBudget.TryTake(_datapath.NowMs()))
        {
            Counters.Add(WorkerCounter.RouterIcmpRateLimited, 1);
            return;
        }
        if (!NextReply(out var k))
        {
            return;
        }
        var buffer = _replies.Buffer(k);
        var length = p.IsIpv4
            ? IcmpError.WriteIpv4(buffer, frame.Span, in p, iface.Mac, iface.Ipv4, type, code, mtu)
            : IcmpError.WriteIpv6(buffer, frame.Span, in p, iface.Mac,
                RoutedFrame.IsLinkLocal(p.IpSource) ? iface.LinkLocal : iface.Ipv6Source, type, code, mtu);
        if (_quotedSnat != 0 && PacketParser.Parse(buffer[..length], out var snatError) == ParseError.None)
        {
            // Sent to the SNAT address and translated back: the remote knows its packet by the gateway's address and port.
            AddressTranslation.RewriteQuoted(buffer[..length], in snatError, source: false, p.IpDestination.Ipv4, _quotedSnat);
            if (_quotedSnatPort != _quotedInsidePort)
            {
                AddressTranslation.RewriteQuotedPort(buffer[..length], in snatError, source: false, _quotedInsidePort, _quotedSnatPort);
            }
        }
        if (_quotedFloating != 0 && PacketParser.Parse(buffer[..length], out var error) == ParseError.None)
        {
            // The packet was translated on its way in: the sender knows it by the floating IP, so the quote says that.
            AddressTranslation.RewriteQuoted(buffer[..length], in error, source: false, p.IpDestination.Ipv4, _quotedFloating);
        }
        Send(inPort, k, length);
        Counters.Add(WorkerCounter.RouterIcmpErrors, 1);
    }
}
