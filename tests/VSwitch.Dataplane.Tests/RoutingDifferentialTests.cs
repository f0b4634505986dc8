using System.Buffers.Binary;
using Microsoft.Extensions.Time.Testing;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Pipeline;
using VSwitch.Dataplane.Ports;
using VSwitch.Dataplane.Routing;
using VSwitch.Packets;
using static VSwitch.Dataplane.Tests.TestFrames;

namespace VSwitch.Dataplane.Tests;

/// <summary>
/// The router's decisions (route, neighbour, TTL, its own addresses, floating IPs, SNAT) against a small reference
/// written from Neutron's L3 semantics, over random topologies and random packets: every frame must come out where,
/// and as, the reference says, or nowhere when it says so. No security groups here (PipelineDifferentialTests covers
/// them): every port admits everything, so what is left is the L3 story.
/// </summary>
public sealed class RoutingDifferentialTests
{
    // Networks: 0 = 198.18.1.0/24 and 1 = 198.18.2.0/24 inside (one zone), 2 = 198.19.0.0/24 external.
    private const uint Upstream = 0xC613_0001;
    private const uint Gateway = 0xC613_0002;
    private const int UpstreamSlot = 6;
    private static readonly uint[] s_routerIps = [0xC612_0101, 0xC612_0201, Gateway];
    private static readonly MacAddress[] s_routerMacs = [new(0xFA16_3E00_0001UL), new(0xFA16_3E00_0002UL), new(0xFA16_3E00_0003UL)];

    private static uint VmIp(int slot) => (slot < 3 ? 0xC612_010Au : 0xC612_020Au) + (uint)(slot % 3);

    private static int NetworkOf(int slot) => slot == UpstreamSlot ? 2 : slot < 3 ? 0 : 1;

    private static uint FloatingIp(int slot) => 0xC613_0064u + (uint)slot;

    /// <summary>What should come out of the switch for one frame.</summary>
    private enum Outcome { Deliver, EchoReply, IcmpError, Nothing }

    private sealed record Expected(Outcome Outcome, int Slot = -1, uint Source = 0, uint Destination = 0, ushort SourcePort = 0, ushort DestinationPort = 0,
        byte Ttl = 0, byte IcmpType = 0, bool AnySnatPort = false);

    /// <summary>The reference: a router as Neutron describes it, with its SNAT bindings as a plain dictionary.</summary>
    private sealed class Reference(bool snat, HashSet<int> floating)
    {
        /// <summary>(protocol, remote, remote port, gateway port) → inside (address, port).</summary>
        public readonly Dictionary<(byte, uint, ushort, ushort), (uint, ushort)> Bindings = [];

        /// <summary>Connections opened from outside to a fixed IP: (protocol, inside, inside port, remote, remote port).</summary>
        public readonly HashSet<(byte, uint, ushort, uint, ushort)> Untranslated = [];

        public bool Snat => snat;

        private static bool Owned(uint address) => s_routerIps.Contains(address);

        private static int InterfaceFor(uint destination) => (destination >> 8) switch
        {
            0xC612_01 => 0,
            0xC612_02 => 1,
            _ => 2,
        };

        /// <summary>The slot holding <paramref name="address"/> as the model knows it, or -1.</summary>
        private static int Neighbor(uint address) =>
            address == Upstream ? UpstreamSlot : Enumerable.Range(0, 6).FirstOrDefault(s => VmIp(s) == address, -1);

        /// <summary>What becomes of a packet from <paramref name="sender"/>; for ICMP the ports are the echo identifier.</summary>
        public Expected Decide(int sender, byte protocol, uint destination, ushort sport, ushort dport, byte ttl, bool echoReply)
        {
            var fromOutside = sender == UpstreamSlot;
            var source = fromOutside ? Upstream : VmIp(sender);
            var translatedIn = false;
            var insidePort = dport;
            if (fromOutside && floating.Select(FloatingIp).Contains(destination))
            {
                destination = VmIp(floating.Single(s => FloatingIp(s) == destination));
                translatedIn = true;
            }
            else if (fromOutside && destination == Gateway && snat && (protocol != IpProtocol.Icmp || echoReply)
                && Bindings.TryGetValue((protocol, source, sport, dport), out var inside))
            {
                destination = inside.Item1;
                insidePort = inside.Item2;
                translatedIn = true;
            }
            if (Owned(destination))
            {
                if (protocol == IpProtocol.Icmp && !echoReply)
                {
                    return new Expected(Outcome.EchoReply, sender, destination, source);
                }
                return protocol == IpProtocol.Udp ? new Expected(Outcome.IcmpError, sender, IcmpType: 3) : new Expected(Outcome.Nothing);
            }
            if (ttl <= 1)
            {
                return new Expected(Outcome.IcmpError, sender, IcmpType: 11);
            }
            var outInterface = InterfaceFor(destination);
            var nextHop = outInterface == 2 && (destination >> 8) != 0xC613_00 ? Upstream : destination;
            var slot = Neighbor(nextHop);
            if (slot < 0)
            {
                // Inside, or the switch's own address outside (a floating IP: no hairpin): host unreachable. Outside, no
                // port: asked with ARP, the packet lost.
                return outInterface == 2 && !floating.Select(FloatingIp).Contains(nextHop)
                    ? new Expected(Outcome.Nothing) : new Expected(Outcome.IcmpError, sender, IcmpType: 3);
            }
            if (slot == sender)
            {
                // Back to the port it came from: a switch sends nothing back where it came in.
                return new Expected(Outcome.Nothing);
            }
            var outSource = source;
            // An echo's identifier is its only "port": translated back, it is the inside one.
            var outSport = protocol == IpProtocol.Icmp && translatedIn ? insidePort : sport;
            var anyPort = false;
            if (!fromOutside && outInterface == 2)
            {
                if (floating.Contains(sender))
                {
                    outSource = FloatingIp(sender);
                }
                else if (snat && !Untranslated.Contains((protocol, source, sport, destination, dport)))
                {
                    outSource = Gateway;
                    // An echo's identifier is both of its "ports": its binding is found by protocol, remote and inside endpoint.
                    var remotePort = protocol == IpProtocol.Icmp ? sport : dport;
                    var own = Bindings.FirstOrDefault(b => b.Key.Item1 == protocol && b.Key.Item2 == destination
                        && (protocol == IpProtocol.Icmp || b.Key.Item3 == remotePort) && b.Value == (source, sport));
                    if (own.Value != default)
                    {
                        outSport = own.Key.Item4;
                    }
                    else if (Bindings.ContainsKey((protocol, destination, remotePort, sport)))
                    {
                        anyPort = true;
                    }
                }
            }
            if (fromOutside && !translatedIn && outInterface != 2)
            {
                Untranslated.Add((protocol, destination, dport, source, sport));
            }
            return new Expected(Outcome.Deliver, slot, outSource, destination, outSport, translatedIn ? insidePort : dport, (byte)(ttl - 1), AnySnatPort: anyPort);
        }

        /// <summary>Records the binding a translated packet showed (its port, when the reference could not predict it).</summary>
        public void Bound(byte protocol, uint remote, ushort remotePort, ushort gatewayPort, uint inside, ushort insidePort) =>
            Bindings[(protocol, remote, remotePort, gatewayPort)] = (inside, insidePort);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void RandomTraffic_ComesOutAsTheReferenceSays(int seed)
    {
        var rnd = new Random(seed * 7919);
        var snat = rnd.Next(4) != 0;
        var floating = Enumerable.Range(0, 6).Where(_ => rnd.Next(3) == 0).ToHashSet();
        var reference = new Reference(snat, floating);
        // A clock that moves 10 ms a packet: the ICMP budget (1,000/s) never runs dry, so every error is checked.
        var clock = new FakeTimeProvider();
        using var datapath = new Datapath(new DatapathOptions { Workers = 1, Pin = false, MaxPorts = 8, BufferSize = 2048, MaxRules = 64 }, clock);
        var ports = new InMemoryPort[7];
        var switchPorts = new SwitchPort?[8];
        for (var slot = 0; slot < 7; slot++)
        {
            ports[slot] = new InMemoryPort($"memory:{slot}");
            switchPorts[slot] = new SwitchPort(slot, $"p{slot}", ports[slot], NetworkOf(slot), true, Mac(slot + 1));
        }
        var interfaces = Enumerable.Range(0, 3).Select(i => new RouterInterface(0, i, s_routerMacs[i], s_routerIps[i], [])
        {
            FloatingIpv4 = i == 2 ? [.. floating.Select(FloatingIp)] : [],
        }).ToArray();
        var router = new LogicalRouter(0, "r", true, interfaces,
            [
                new(IpAddress128.FromIpv4(0xC612_0100), 120, 0, default), new(IpAddress128.FromIpv4(0xC612_0200), 120, 1, default),
                new(IpAddress128.FromIpv4(0xC613_0000), 120, 2, default), new(IpAddress128.FromIpv4(0), 96, 2, IpAddress128.FromIpv4(Upstream)),
            ],
            Enumerable.Range(0, 7).Select(s => new KeyValuePair<IpAddress128, Neighbor>(
                IpAddress128.FromIpv4(s == UpstreamSlot ? Upstream : VmIp(s)), new Neighbor(s, Mac(s + 1)))))
        {
            GatewayInterface = 2,
            SnatIpv4 = snat ? Gateway : 0,
            NatZone = ConnTable.NatZone(2),
            FixedOf = new Ipv4Map<uint>(floating.Select(s => KeyValuePair.Create(FloatingIp(s), VmIp(s)))),
            FloatingOf = new Ipv4Map<uint>(floating.Select(s => KeyValuePair.Create(VmIp(s), FloatingIp(s)))),
        };
        datapath.Publish(new DataplaneSnapshot(1, switchPorts,
            [
                new NetworkSegment(0, "n1", [0, 1, 2]) { RouterInterfaces = [interfaces[0]] },
                new NetworkSegment(1, "n2", [3, 4, 5]) { Zone = 0, RouterInterfaces = [interfaces[1]] },
                new NetworkSegment(2, "ext", [6]) { RouterInterfaces = [interfaces[2]] },
            ], 1)
        {
            Routers = [router],
        });
        var worker = datapath.Workers[0];
        worker.SyncSnapshot();
        using var batch = new PacketBatch(2048);

        // Destinations: the VMs, the router, floating IPs, the upstream, the internet, addresses no port holds.
        uint[] destinations = [.. Enumerable.Range(0, 6).Select(VmIp), .. s_routerIps, .. Enumerable.Range(0, 6).Select(FloatingIp),
            Upstream, 0xC613_C801, 0xC613_C802, 0xC612_01C8, 0xC612_02C8, 0xC613_0032];
        var seen = new Dictionary<Outcome, int>();
        var translatedBack = 0;
        for (var step = 0; step < 400; step++)
        {
            var sender = rnd.Next(7);
            var fromOutside = sender == UpstreamSlot;
            var protocol = rnd.Next(3) switch { 0 => IpProtocol.Udp, 1 => fromOutside ? IpProtocol.Udp : IpProtocol.Tcp, _ => IpProtocol.Icmp };
            var echoReply = false;
            uint destination;
            ushort sport, dport;
            // The upstream answers its own connections (a TCP answer would need the whole handshake: UDP and echo only).
            var replies = reference.Bindings.Keys.Where(b => b.Item1 != IpProtocol.Tcp && b.Item2 == Upstream).ToList();
            if (fromOutside && replies.Count > 0 && rnd.Next(2) == 0)
            {
                // A reply to a connection that left through SNAT (or, one time in ten, to a port nobody holds).
                var binding = replies[rnd.Next(replies.Count)];
                protocol = binding.Item1;
                destination = Gateway;
                sport = binding.Item3;
                dport = rnd.Next(10) == 0 ? (ushort)60_001 : binding.Item4;
                if (protocol == IpProtocol.Icmp)
                {
                    sport = dport;
                    echoReply = true;
                }
            }
            else
            {
                destination = destinations[rnd.Next(destinations.Length)];
                sport = fromOutside ? (ushort)9000 : (ushort)(5000 + rnd.Next(2));
                dport = fromOutside ? (ushort)(5000 + rnd.Next(2)) : rnd.Next(2) == 0 ? (ushort)53 : (ushort)9000;
                if (protocol == IpProtocol.Icmp)
                {
                    sport = dport = fromOutside ? (ushort)(100 + rnd.Next(2)) : (ushort)(7 + rnd.Next(2));
                }
            }
            var ttl = rnd.Next(20) == 0 ? (byte)1 : (byte)64;
            var frame = Frame(sender, protocol, destination, sport, dport, ttl, echoReply);
            var expected = reference.Decide(sender, protocol, destination, sport, dport, ttl, echoReply);
            seen[expected.Outcome] = seen.GetValueOrDefault(expected.Outcome) + 1;
            if (fromOutside && destination == Gateway && expected.Outcome == Outcome.Deliver)
            {
                translatedBack++;
            }
            clock.Advance(TimeSpan.FromMilliseconds(10));

            batch.ResetForReceive();
            frame.CopyTo(batch.Buffer(0));
            batch[0].Length = frame.Length;
            batch.Count = 1;
            worker.ProcessBatch(datapath.Publisher.Current, switchPorts[sender]!, batch);

            var context = $"seed {seed} step {step}: {sender} → {Format(destination)} proto {protocol} {sport}→{dport} ttl {ttl}, snat {snat}, floating [{string.Join(",", floating)}]: expected {expected}";
            var outputs = Enumerable.Range(0, 7).SelectMany(s => ports[s].Drain(TimeSpan.Zero).Select(f => (Slot: s, Frame: f)))
                .Where(o => BinaryPrimitives.ReadUInt16BigEndian(o.Frame.AsSpan(12)) == EtherType.Ipv4).ToList();
            switch (expected.Outcome)
            {
                case Outcome.Nothing:
                    Assert.True(outputs.Count == 0, context + $", got {outputs.Count} frames");
                    break;
                case Outcome.IcmpError:
                    Assert.True(outputs.Count == 1, context + $", got {outputs.Count} frames");
                    var (errorSlot, error) = outputs[0];
                    PacketParser.Parse(error, out var e);
                    Assert.True(errorSlot == expected.Slot && e.IpProtocol == IpProtocol.Icmp && e.SourcePort == expected.IcmpType, context);
                    break;
                case Outcome.EchoReply:
                    Assert.True(outputs.Count == 1, context + $", got {outputs.Count} frames");
                    var (replySlot, reply) = outputs[0];
                    PacketParser.Parse(reply, out var r);
                    Assert.True(replySlot == expected.Slot && r.SourcePort == 0 && r.IpSource.Ipv4 == expected.Source && r.IpDestination.Ipv4 == expected.Destination, context);
                    break;
                default:
                    Assert.True(outputs.Count == 1, context + $", got {outputs.Count} frames, drops {string.Join(" ", Enumerable.Range(0, 7).Select(x => datapath.ReadDrop(x, DropReason.NoRoute, Direction.Egress) + datapath.ReadDrop(x, DropReason.ConntrackInvalid, Direction.Egress)))}");
                    var (slot, delivered) = outputs[0];
                    SnatRoutingTests.AssertChecksums(delivered);
                    PacketParser.Parse(delivered, out var d);
                    var (dSport, dDport) = protocol == IpProtocol.Icmp ? (d.IcmpIdentifier, d.IcmpIdentifier) : (d.SourcePort, d.DestinationPort);
                    Assert.True(slot == expected.Slot && d.IpSource.Ipv4 == expected.Source && d.IpDestination.Ipv4 == expected.Destination && d.Ttl == expected.Ttl,
                        context + $", got slot {slot} {Format(d.IpSource.Ipv4)}:{dSport} → {Format(d.IpDestination.Ipv4)}:{dDport} ttl {d.Ttl}");
                    Assert.True(expected.AnySnatPort ? dSport != sport : dSport == expected.SourcePort, context + $", source port {dSport}");
                    if (protocol != IpProtocol.Icmp)
                    {
                        Assert.True(dDport == expected.DestinationPort, context + $", destination port {dDport}");
                    }
                    if (expected.Source == Gateway && !fromOutside)
                    {
                        reference.Bound(protocol, d.IpDestination.Ipv4, protocol == IpProtocol.Icmp ? dSport : dDport, dSport, VmIp(sender), sport);
                    }
                    break;
            }
        }
        // The run saw every kind of outcome, and replies through SNAT when the router had it: the test can fail.
        Assert.True(seen.Count == 4, string.Join(", ", seen));
        Assert.True(!snat || translatedBack > 0, $"seed {seed}: no reply came back through SNAT");
    }

    private static string Format(uint address) => $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}";

    /// <summary>A frame from <paramref name="sender"/> to its router interface (the router's gateway for the upstream).</summary>
    private static byte[] Frame(int sender, byte protocol, uint destination, ushort sport, ushort dport, byte ttl, bool echoReply)
    {
        var source = sender == UpstreamSlot ? Upstream : VmIp(sender);
        var routerMac = s_routerMacs[NetworkOf(sender)];
        byte[] frame;
        if (protocol == IpProtocol.Icmp)
        {
            var icmp = RoutingTests.EchoL4(id: sport);
            if (echoReply)
            {
                icmp[0] = 0;
                icmp[2] = 0;
                icmp[3] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), Packets.Offloads.InternetChecksum.Finish(Packets.Offloads.InternetChecksum.Add(icmp)));
            }
            frame = RoutingTests.Ipv4(Mac(sender + 1), routerMac, source, destination, IpProtocol.Icmp, icmp, ttl);
        }
        else
        {
            frame = SnatRoutingTests.Transport(Mac(sender + 1), routerMac, source, destination, protocol, sport, dport, protocol == IpProtocol.Tcp ? TcpFlags.Syn : (byte)0);
            frame[14 + 8] = ttl;
            frame[14 + 10] = 0;
            frame[14 + 11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 10), Packets.Offloads.InternetChecksum.Finish(Packets.Offloads.InternetChecksum.Add(frame.AsSpan(14, 20))));
        }
        return frame;
    }
}
