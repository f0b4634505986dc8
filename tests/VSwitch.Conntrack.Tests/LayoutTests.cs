using System.Runtime.CompilerServices;
using VSwitch.Dataplane.Conntrack;

namespace VSwitch.Conntrack.Tests;

public sealed class LayoutTests
{
    [Fact]
    public void ConnKey_Is40Bytes() => Assert.Equal(40, Unsafe.SizeOf<ConnKey>());

    [Fact]
    public void ConnEntry_IsTwoCacheLines()
    {
        Assert.Equal(128, Unsafe.SizeOf<ConnEntry>());
        Assert.Equal(ConnTable.EntrySize, Unsafe.SizeOf<ConnEntry>());
        Assert.Equal(12, Unsafe.SizeOf<TcpPeer>());
    }

    [Fact]
    public void ConnHandle_Is8Bytes() => Assert.Equal(8, Unsafe.SizeOf<ConnHandle>());

    [Fact]
    public void BytesPerEntry_Is152() => Assert.Equal(152, ConnTable.BytesPerEntry);

    [Fact]
    public void ConnKey_IsTheSameForBothDirections()
    {
        var a = VSwitch.Packets.IpAddress128.FromIpv4(0x0A00_0001);
        var b = VSwitch.Packets.IpAddress128.FromIpv4(0x0A00_0002);
        var forward = ConnKey.Create(3, 6, false, a, 1000, b, 80, out var swappedForward);
        var backward = ConnKey.Create(3, 6, false, b, 80, a, 1000, out var swappedBackward);
        Assert.Equal(forward, backward);
        Assert.NotEqual(swappedForward, swappedBackward);
        Assert.Equal(forward.Hash(1), backward.Hash(1));
        Assert.NotEqual(forward, ConnKey.Create(4, 6, false, a, 1000, b, 80, out _));
        Assert.NotEqual(forward, ConnKey.Create(3, 6, true, a, 1000, b, 80, out _));
        Assert.Equal(3, forward.Zone);
        Assert.Equal(6, forward.Protocol);
    }
}
