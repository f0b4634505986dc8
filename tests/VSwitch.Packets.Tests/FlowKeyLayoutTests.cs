// FlowKeyLayoutTests: the flow key is compared and hashed as six ulong words, so its size and layout are part of its
// contract (VPP's STATIC_ASSERT_SIZEOF on fa_5tuple_t).

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static VSwitch.Packets.Tests.FrameBuilder;

namespace VSwitch.Packets.Tests;

public sealed class FlowKeyLayoutTests
{
    private static ParsedPacket ParseOk(byte[] frame)
    {
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var packet));
        return packet;
    }

    [Fact]
    public void SizeOf_FlowKey_Is48Bytes()
    {
        Assert.Equal(48, Unsafe.SizeOf<FlowKey>());
        Assert.Equal(FlowKey.Size, Unsafe.SizeOf<FlowKey>());
        Assert.Equal(48, Marshal.SizeOf<FlowKey>());
    }

    [Fact]
    public void FieldOffsets_FlowKey_MatchTheDocumentedLayout()
    {
        Assert.Equal(0, (int)Marshal.OffsetOf<FlowKey>(nameof(FlowKey.Source)));
        Assert.Equal(16, (int)Marshal.OffsetOf<FlowKey>(nameof(FlowKey.Destination)));
        Assert.Equal(32, (int)Marshal.OffsetOf<FlowKey>(nameof(FlowKey.SourcePort)));
        Assert.Equal(36, (int)Marshal.OffsetOf<FlowKey>(nameof(FlowKey.Protocol)));
        Assert.Equal(38, (int)Marshal.OffsetOf<FlowKey>(nameof(FlowKey.IcmpIdentifier)));
        Assert.Equal(40, (int)Marshal.OffsetOf<FlowKey>(nameof(FlowKey.InPort)));
        Assert.Equal(44, (int)Marshal.OffsetOf<FlowKey>(nameof(FlowKey.Zone)));
    }

    [Fact]
    public void HashFrom_ThePacketHash_EqualsTheWholeKeysHash_ForEveryPortAndZone()
    {
        var packet = ParseOk(Ipv4Frame(IpProtocol.Tcp, Tcp(40000, 443, TcpFlags.Syn)));
        var key = FlowKey.FromPacket(packet, zone: 0, inPort: 0);
        var packetHash = key.PacketHash();
        var seen = new HashSet<ulong>();
        for (var port = 0; port < 64; port++)
        {
            key.InPort = port | (port % 2 == 0 ? 0 : 1 << 30);
            key.Zone = (ushort)(port / 3);
            Assert.Equal(FlowKey.FromPacket(packet, key.Zone, key.InPort).Hash(), key.HashFrom(packetHash));
            Assert.True(seen.Add(key.HashFrom(packetHash)), "two lookups of one packet hash alike");
        }
    }

    [Fact]
    public void FromPacket_Ipv4Tcp_SetsEveryField()
    {
        var packet = ParseOk(Ipv4Frame(IpProtocol.Tcp, Tcp(40000, 443, TcpFlags.Syn)));
        var key = FlowKey.FromPacket(packet, zone: 7, inPort: 3);
        Assert.Equal(packet.IpSource, key.Source);
        Assert.Equal(packet.IpDestination, key.Destination);
        Assert.Equal(40000, key.SourcePort);
        Assert.Equal(443, key.DestinationPort);
        Assert.Equal(IpProtocol.Tcp, key.Protocol);
        Assert.Equal(FlowKeyFlags.Ip, key.Flags);
        Assert.Equal(7, key.Zone);
        Assert.Equal(3, key.InPort);
        Assert.Equal(0, key.IcmpIdentifier);
    }

    [Fact]
    public void FromPacket_Ipv6Echo_SetsIpv6FlagAndIdentifier()
    {
        var key = FlowKey.FromPacket(ParseOk(Ipv6Frame(IpProtocol.Icmpv6, Echo(128, 0x1234))), 1, 1);
        Assert.Equal(FlowKeyFlags.Ip | FlowKeyFlags.Ipv6, key.Flags);
        Assert.Equal(128, key.SourcePort);
        Assert.Equal(0, key.DestinationPort);
        Assert.Equal(0x1234, key.IcmpIdentifier);
        Assert.Equal(IpProtocol.Icmpv6, key.Protocol);
    }

    [Fact]
    public void FromPacket_LaterFragment_SetsLaterFragmentWithoutPorts()
    {
        var frame = Ethernet(EtherType.Ipv4, Ipv4(IpProtocol.Udp, new byte[16], flagsAndOffset: 100));
        var key = FlowKey.FromPacket(ParseOk(frame), 1, 1);
        Assert.Equal(FlowKeyFlags.Ip | FlowKeyFlags.LaterFragment, key.Flags);
        Assert.Equal(0, key.SourcePort);
    }

    [Fact]
    public void FromPacket_Arp_HasNoIpFlag()
    {
        var key = FlowKey.FromPacket(ParseOk(Ethernet(EtherType.Arp, Arp(1))), 1, 1);
        Assert.Equal(FlowKeyFlags.None, key.Flags);
    }

    [Fact]
    public void Equals_SamePacket_EqualWithEqualHash()
    {
        var packet = ParseOk(Ipv4Frame(IpProtocol.Udp, Udp(1000, 53)));
        var a = FlowKey.FromPacket(packet, 1, 2);
        var b = FlowKey.FromPacket(packet, 1, 2);
        Assert.True(a.Equals(b));
        Assert.True(a == b);
        Assert.Equal(a.Hash(), b.Hash());
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a.Equals((object)b));
    }

    [Fact]
    public void Equals_DifferentPortZoneOrInPort_NotEqual()
    {
        var a = FlowKey.FromPacket(ParseOk(Ipv4Frame(IpProtocol.Udp, Udp(1000, 53))), 1, 2);
        var otherPort = FlowKey.FromPacket(ParseOk(Ipv4Frame(IpProtocol.Udp, Udp(1001, 53))), 1, 2);
        var otherZone = FlowKey.FromPacket(ParseOk(Ipv4Frame(IpProtocol.Udp, Udp(1000, 53))), 2, 2);
        var otherInPort = FlowKey.FromPacket(ParseOk(Ipv4Frame(IpProtocol.Udp, Udp(1000, 53))), 1, 3);
        foreach (var other in new[] { otherPort, otherZone, otherInPort })
        {
            Assert.False(a.Equals(other));
            Assert.True(a != other);
            Assert.NotEqual(a.Hash(), other.Hash());
        }
    }

    [Fact]
    public void Hash_SwappedDirection_Differs()
    {
        var forward = FlowKey.FromPacket(ParseOk(Ipv4Frame(IpProtocol.Tcp, Tcp(1000, 80, TcpFlags.Syn))), 1, 1);
        var swapped = forward;
        (swapped.Source, swapped.Destination) = (forward.Destination, forward.Source);
        (swapped.SourcePort, swapped.DestinationPort) = (forward.DestinationPort, forward.SourcePort);
        Assert.NotEqual(forward, swapped);
        Assert.NotEqual(forward.Hash(), swapped.Hash());
    }

    [Fact]
    public void Hash_GoldenFlows_FewCollisions()
    {
        var keys = new HashSet<FlowKey>();
        var hashes = new HashSet<ulong>();
        foreach (var frame in GoldenCaptures.AllFrames)
        {
            if (PacketParser.Parse(frame, out var packet) == ParseError.None && packet.IsIp)
            {
                var key = FlowKey.FromPacket(packet, 1, 1);
                if (keys.Add(key))
                {
                    hashes.Add(key.Hash());
                }
            }
        }
        Assert.True(keys.Count > 20);
        Assert.Equal(keys.Count, hashes.Count);
    }
}
