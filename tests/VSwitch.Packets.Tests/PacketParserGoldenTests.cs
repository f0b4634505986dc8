// PacketParserGoldenTests: every frame of every golden capture must parse, and every field the parser reports must
// agree with tshark's dissection of the same frame.
//
// What: for each capture, tshark's fields (Tshark.cs) are turned into the values ParsedPacket should hold (the VLAN
// tags, the final EtherType, the IPv6 extension-header walk, the L4 offset, the fragment flags, ...) and compared field
// by field. All mismatches of a capture are reported together with the frame number, as tshark numbers frames.
// Why: the captures are real traffic (testdata/capture.sh), and tshark is an independent, mature dissector; agreeing
// with it on every field is a far stronger check than expectations written by the parser's author.

using System.Net;

namespace VSwitch.Packets.Tests;

public sealed class PacketParserGoldenTests
{
    [Theory]
    [MemberData(nameof(GoldenCaptures.Theory), MemberType = typeof(GoldenCaptures))]
    public void Parse_GoldenCapture_MatchesTshark(string capture)
    {
        var frames = PcapFile.ReadFrames(GoldenCaptures.PathOf(capture));
        var dissected = Tshark.Dissect(GoldenCaptures.PathOf(capture));
        Assert.Equal(dissected.Count, frames.Count);
        Assert.NotEmpty(frames);

        var mismatches = new List<string>();
        for (var i = 0; i < frames.Count; i++)
        {
            var comparison = new FrameComparison($"{capture}#{i + 1}", mismatches);
            comparison.Compare(frames[i], dissected[i]);
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} mismatches:\n" + string.Join("\n", mismatches.Take(60)));
    }

    [Fact]
    public void Parse_GoldenCaptures_CoverEveryFeature()
    {
        var seen = PacketFlags.None;
        var protocolsWithL4 = new HashSet<byte>();
        var vlanCounts = new HashSet<int>();
        var qinqOuterTpids = new HashSet<ushort>();
        var largest = 0;
        var laterFragmentFamilies = new HashSet<bool>();
        foreach (var frame in GoldenCaptures.AllFrames)
        {
            Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var packet));
            seen |= packet.Flags;
            vlanCounts.Add(packet.VlanCount);
            if (packet.HasL4)
            {
                protocolsWithL4.Add(packet.IpProtocol);
            }
            if (packet.VlanCount == 2)
            {
                qinqOuterTpids.Add((ushort)((frame[12] << 8) | frame[13]));
            }
            if ((packet.Flags & PacketFlags.LaterFragment) != 0)
            {
                laterFragmentFamilies.Add(packet.IsIpv6);
            }
            largest = Math.Max(largest, frame.Length);
        }

        // L4FromFirstFragment is the data path's fact, never the parser's.
        Assert.Equal(PacketFlags.None, seen & PacketFlags.L4FromFirstFragment);
        foreach (var flag in Enum.GetValues<PacketFlags>().Where(f => f is not (PacketFlags.None or PacketFlags.L4FromFirstFragment)))
        {
            Assert.True((seen & flag) != 0, $"no golden frame has {flag}");
        }
        Assert.Superset(new HashSet<byte> { IpProtocol.Tcp, IpProtocol.Udp, IpProtocol.Sctp, IpProtocol.Icmp, IpProtocol.Icmpv6 }, protocolsWithL4);
        Assert.Superset(new HashSet<int> { 0, 1, 2 }, vlanCounts);
        Assert.Superset(new HashSet<ushort> { EtherType.Vlan, EtherType.QinQ }, qinqOuterTpids);
        Assert.Superset(new HashSet<bool> { false, true }, laterFragmentFamilies);
        Assert.True(largest > 9000, $"no GSO super-frame in the captures (largest {largest} bytes)");
    }

    /// <summary>Compares one parsed frame with tshark's dissection and records every disagreement.</summary>
    private sealed class FrameComparison(string where, List<string> mismatches)
    {
        private void Check<T>(string what, T? expected, T actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                mismatches.Add($"{where} {what}: tshark {expected?.ToString() ?? "<absent>"}, parser {actual}");
            }
        }

        private void CheckNumber(string what, long? expected, long actual) => Check(what, expected, (long?)actual);

        private void CheckFlag(PacketFlags flag, bool expected, in ParsedPacket packet) =>
            Check($"flag {flag}", expected, (packet.Flags & flag) != 0);

        private static MacAddress? Mac(string? text) => text is null ? null : MacAddress.Parse(text);

        private static IpAddress128? Ip(string? text) => text is null ? null : IpAddress128.FromIPAddress(IPAddress.Parse(text));

        /// <summary>tshark prints FT_BYTES either as aa:bb:.. or as plain hex.</summary>
        private static MacAddress? MacFromBytes(string? text) =>
            text is null ? null : new MacAddress(Convert.ToUInt64(text.Replace(":", ""), 16));

        public void Compare(byte[] frame, TsharkFrame t)
        {
            var error = PacketParser.Parse(frame, out var p);
            if (error != ParseError.None)
            {
                mismatches.Add($"{where}: parse error {error}");
                return;
            }
            CheckNumber("frame.len", t.Number("frame.len"), frame.Length);
            Check("eth.src", Mac(t.At("eth.src")), p.EthSource);
            Check("eth.dst", Mac(t.At("eth.dst")), p.EthDestination);

            // VLAN tags: an 802.1ad S-tag is dissected as ieee8021ad, 802.1Q tags as vlan; the S-tag is always outer.
            var tags = new List<(long Id, long Priority)>();
            for (var i = 0; i < t.All("ieee8021ad.id").Length; i++)
            {
                tags.Add((t.Number("ieee8021ad.id", i)!.Value, t.Number("ieee8021ad.priority", i) ?? -1));
            }
            for (var i = 0; i < t.All("vlan.id").Length; i++)
            {
                tags.Add((t.Number("vlan.id", i)!.Value, t.Number("vlan.priority", i) ?? -1));
            }
            CheckNumber("vlan count", tags.Count, p.VlanCount);
            if (tags.Count > 0)
            {
                CheckNumber("outer vlan id", tags[0].Id, p.OuterVlanTci & 0x0FFF);
                CheckNumber("outer vlan priority", tags[0].Priority, p.OuterVlanTci >> 13);
            }
            if (tags.Count > 1)
            {
                CheckNumber("inner vlan id", tags[1].Id, p.InnerVlanTci & 0x0FFF);
                CheckNumber("inner vlan priority", tags[1].Priority, p.InnerVlanTci >> 13);
            }
            var vlanTypes = t.All("vlan.etype");
            var etherType = vlanTypes.Length > 0 ? TsharkFrame.ParseNumber(vlanTypes[^1]) : t.Number("eth.type");
            CheckNumber("ethertype", etherType, p.EtherType);
            CheckNumber("L3 offset", 14 + (4 * tags.Count), p.L3Offset);

            switch (etherType)
            {
                case EtherType.Arp:
                    CompareArp(t, p);
                    break;
                case EtherType.Ipv4:
                    CompareIpv4(t, p);
                    break;
                case EtherType.Ipv6:
                    CompareIpv6(t, p);
                    break;
                default:
                    Check("flags of a non-IP frame", PacketFlags.None, p.Flags);
                    break;
            }
        }

        private void CompareArp(TsharkFrame t, in ParsedPacket p)
        {
            Check("flags", PacketFlags.Arp, p.Flags);
            CheckNumber("arp.opcode", t.Number("arp.opcode"), p.ArpOperation);
            Check("arp.src.hw_mac", Mac(t.At("arp.src.hw_mac")), p.ArpSenderMac);
            Check("arp.dst.hw_mac", Mac(t.At("arp.dst.hw_mac")), p.ArpTargetMac);
            Check("arp.src.proto_ipv4", Ip(t.At("arp.src.proto_ipv4")), p.IpSource);
            Check("arp.dst.proto_ipv4", Ip(t.At("arp.dst.proto_ipv4")), p.IpDestination);
        }

        private void CompareIpv4(TsharkFrame t, in ParsedPacket p)
        {
            CheckFlag(PacketFlags.Ipv4, true, p);
            CheckFlag(PacketFlags.Ipv6, false, p);
            Check("ip.src", Ip(t.At("ip.src")), p.IpSource);
            Check("ip.dst", Ip(t.At("ip.dst")), p.IpDestination);
            CheckNumber("ip.ttl", t.Number("ip.ttl"), p.Ttl);
            CheckNumber("ip.len", t.Number("ip.len"), p.IpLength);
            var headerSize = t.Number("ip.hdr_len") ?? -1;
            CheckFlag(PacketFlags.Ipv4Options, headerSize > 20, p);
            var more = t.Number("ip.flags.mf") == 1;
            var later = (t.Number("ip.frag_offset") ?? 0) != 0;
            CheckFlag(PacketFlags.Fragment, more || later, p);
            CheckFlag(PacketFlags.LaterFragment, later, p);
            CheckFlag(PacketFlags.MoreFragments, more, p);
            if (more || later)
            {
                CheckNumber("ip.id", t.Number("ip.id"), p.FragmentId);
                CheckNumber("ip.frag_offset * 8", t.Number("ip.frag_offset") * 8, p.FragmentOffset);
                CheckNumber("fragment data offset", p.L3Offset + headerSize, p.FragmentDataOffset);
            }
            var protocol = t.Number("ip.proto") ?? -1;
            CheckNumber("ip.proto", protocol, p.IpProtocol);
            CompareL4(t, p, protocol, p.L3Offset + headerSize, later, ipv6: false);
        }

        private void CompareIpv6(TsharkFrame t, in ParsedPacket p)
        {
            CheckFlag(PacketFlags.Ipv6, true, p);
            CheckFlag(PacketFlags.Ipv4, false, p);
            Check("ipv6.src", Ip(t.At("ipv6.src")), p.IpSource);
            Check("ipv6.dst", Ip(t.At("ipv6.dst")), p.IpDestination);
            CheckNumber("ipv6.hlim", t.Number("ipv6.hlim"), p.Ttl);
            CheckNumber("ipv6.plen + 40", t.Number("ipv6.plen") + 40, p.IpLength);

            // Walk the chain the way tshark reports it: each extension header kind is its own field, and the n-th
            // header of a kind is that field's n-th occurrence (the outer packet's headers come before any quoted ones).
            var next = t.Number("ipv6.nxt") ?? -1;
            var offset = 40L;
            var headers = 0;
            var fragment = false;
            var later = false;
            var seen = new Dictionary<long, int>();
            while (next is IpProtocol.HopByHop or IpProtocol.Ipv6Routing or IpProtocol.Ipv6Fragment
                or IpProtocol.Ipv6DestinationOptions or IpProtocol.Ah && headers < 16)
            {
                var index = seen.GetValueOrDefault(next);
                seen[next] = index + 1;
                long? size;
                string nextField;
                switch (next)
                {
                    case IpProtocol.HopByHop:
                        (size, nextField) = (t.Number("ipv6.hopopts.len_oct", index), "ipv6.hopopts.nxt");
                        break;
                    case IpProtocol.Ipv6DestinationOptions:
                        (size, nextField) = (t.Number("ipv6.dstopts.len_oct", index), "ipv6.dstopts.nxt");
                        break;
                    case IpProtocol.Ipv6Routing:
                        (size, nextField) = (t.Number("ipv6.routing.len_oct", index), "ipv6.routing.nxt");
                        break;
                    case IpProtocol.Ipv6Fragment:
                        (size, nextField) = (8, "ipv6.fraghdr.nxt");
                        fragment = true;
                        later = (t.Number("ipv6.fraghdr.offset", index) ?? 0) != 0;
                        CheckNumber("ipv6.fraghdr.ident", t.Number("ipv6.fraghdr.ident", index), p.FragmentId);
                        CheckNumber("ipv6.fraghdr.offset * 8", t.Number("ipv6.fraghdr.offset", index) * 8, p.FragmentOffset);
                        CheckFlag(PacketFlags.MoreFragments, t.Number("ipv6.fraghdr.more", index) == 1, p);
                        CheckNumber("fragment data offset", p.L3Offset + offset + 8, p.FragmentDataOffset);
                        break;
                    default:
                        (size, nextField) = ((t.Number("ah.length", index) + 2) * 4, "ah.next_header");
                        break;
                }
                next = t.Number(nextField, index) ?? -1;
                offset += size ?? -100_000;
                headers++;
                if (later)
                {
                    break;
                }
            }
            CheckFlag(PacketFlags.Ipv6ExtensionHeaders, headers > 0, p);
            CheckFlag(PacketFlags.Fragment, fragment, p);
            CheckFlag(PacketFlags.LaterFragment, later, p);
            CheckNumber("ipv6 upper-layer protocol", next, p.IpProtocol);
            if (next == IpProtocol.Ipv6NoNext)
            {
                CheckFlag(PacketFlags.HasL4, false, p);
                CheckNumber("L4 offset (no next header)", 0, p.L4Offset);
                return;
            }
            CompareL4(t, p, next, p.L3Offset + offset, later, ipv6: true);
        }

        private void CompareL4(TsharkFrame t, in ParsedPacket p, long protocol, long l4Offset, bool later, bool ipv6)
        {
            if (later)
            {
                CheckFlag(PacketFlags.HasL4, false, p);
                CheckNumber("L4 offset (later fragment)", 0, p.L4Offset);
                CheckNumber("source port (later fragment)", 0, p.SourcePort);
                CheckNumber("destination port (later fragment)", 0, p.DestinationPort);
                return;
            }
            CheckNumber("L4 offset", l4Offset, p.L4Offset);
            var known = protocol is IpProtocol.Tcp or IpProtocol.Udp or IpProtocol.Sctp
                || (protocol == IpProtocol.Icmp && !ipv6) || (protocol == IpProtocol.Icmpv6 && ipv6);
            CheckFlag(PacketFlags.HasL4, known, p);
            switch (protocol)
            {
                case IpProtocol.Tcp:
                    CheckNumber("tcp.srcport", t.Number("tcp.srcport"), p.SourcePort);
                    CheckNumber("tcp.dstport", t.Number("tcp.dstport"), p.DestinationPort);
                    CheckNumber("tcp.seq_raw", t.Number("tcp.seq_raw"), p.TcpSequence);
                    CheckNumber("tcp.ack_raw", t.Number("tcp.ack_raw"), p.TcpAcknowledgement);
                    CheckNumber("tcp.flags (low 8 bits)", t.Number("tcp.flags") & 0xFF, p.TcpFlags);
                    CheckNumber("tcp.window_size_value", t.Number("tcp.window_size_value"), p.TcpWindow);
                    CheckNumber("payload offset", l4Offset + t.Number("tcp.hdr_len"), p.PayloadOffset);
                    break;
                case IpProtocol.Udp:
                    CheckNumber("udp.srcport", t.Number("udp.srcport"), p.SourcePort);
                    CheckNumber("udp.dstport", t.Number("udp.dstport"), p.DestinationPort);
                    CheckNumber("payload offset", l4Offset + 8, p.PayloadOffset);
                    break;
                case IpProtocol.Sctp:
                    CheckNumber("sctp.srcport", t.Number("sctp.srcport"), p.SourcePort);
                    CheckNumber("sctp.dstport", t.Number("sctp.dstport"), p.DestinationPort);
                    CheckNumber("payload offset", l4Offset + 12, p.PayloadOffset);
                    break;
                case IpProtocol.Icmp when !ipv6:
                    var type = t.Number("icmp.type");
                    CheckNumber("icmp.type", type, p.SourcePort);
                    CheckNumber("icmp.code", t.Number("icmp.code"), p.DestinationPort);
                    CheckNumber("icmp.ident", type is 0 or 8 ? t.Number("icmp.ident") : 0, p.IcmpIdentifier);
                    break;
                case IpProtocol.Icmpv6 when ipv6:
                    CompareIcmpv6(t, p);
                    break;
                default:
                    CheckNumber("source port (unknown protocol)", 0, p.SourcePort);
                    break;
            }
        }

        private void CompareIcmpv6(TsharkFrame t, in ParsedPacket p)
        {
            var type = t.Number("icmpv6.type");
            CheckNumber("icmpv6.type", type, p.SourcePort);
            CheckNumber("icmpv6.code", t.Number("icmpv6.code"), p.DestinationPort);
            CheckNumber("icmpv6.echo.identifier", type is 128 or 129 ? t.Number("icmpv6.echo.identifier") : 0, p.IcmpIdentifier);
            var neighbor = type is 135 or 136;
            CheckFlag(PacketFlags.NeighborDiscovery, neighbor, p);
            if (!neighbor)
            {
                CheckFlag(PacketFlags.NdLinkLayerOption, false, p);
                return;
            }
            Check("nd target", Ip(t.At(type == 135 ? "icmpv6.nd.ns.target_address" : "icmpv6.nd.na.target_address")), p.NdTarget);

            // Link-layer options (types 1 and 2) are the only ones with a linkaddr field: count them to index it.
            var wanted = type == 135 ? 1 : 2;
            var linkOptions = 0;
            MacAddress? expected = null;
            foreach (var optionType in t.All("icmpv6.opt.type").Select(TsharkFrame.ParseNumber))
            {
                if (optionType == wanted)
                {
                    expected = MacFromBytes(t.At("icmpv6.opt.linkaddr", linkOptions));
                    break;
                }
                if (optionType is 1 or 2)
                {
                    linkOptions++;
                }
            }
            CheckFlag(PacketFlags.NdLinkLayerOption, expected is not null, p);
            if (expected is not null)
            {
                Check("nd link-layer address", expected, p.NdLinkLayerAddress);
            }
        }
    }
}
