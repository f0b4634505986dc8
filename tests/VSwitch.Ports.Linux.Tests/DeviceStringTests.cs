using VSwitch.Dataplane.Ports;

namespace VSwitch.Ports.Linux.Tests;

public sealed class DeviceStringTests
{
    [Theory]
    [InlineData("tap:web0", LinuxPortKind.Tap, "web0", null)]
    [InlineData("tap:web0@vm-web", LinuxPortKind.Tap, "web0", "vm-web")]
    [InlineData("tap:a", LinuxPortKind.Tap, "a", null)]
    [InlineData("tap:abcdefghijklmno@ns_1.x", LinuxPortKind.Tap, "abcdefghijklmno", "ns_1.x")]
    [InlineData("afpacket:veth-1", LinuxPortKind.AfPacket, "veth-1", null)]
    [InlineData("afpacket:eth0.100", LinuxPortKind.AfPacket, "eth0.100", null)]
    public void Parse_ValidString_ReturnsParts(string device, LinuxPortKind kind, string name, string? ns)
    {
        var parsed = DeviceString.Parse(device);
        Assert.Equal(kind, parsed.Kind);
        Assert.Equal(name, parsed.Name);
        Assert.Equal(ns, parsed.Namespace);
        Assert.Null(parsed.Rx);
        Assert.Null(parsed.Io);
        Assert.Equal(device, parsed.ToString());
    }

    [Theory]
    [InlineData("tap:web0?io=uring", "web0", null, TapIo.Uring)]
    [InlineData("tap:web0?io=syscalls", "web0", null, TapIo.Syscalls)]
    [InlineData("tap:web0@vm-web?io=uring", "web0", "vm-web", TapIo.Uring)]
    [InlineData("tap:abcdefghijklmno@ns_1.x?io=syscalls", "abcdefghijklmno", "ns_1.x", TapIo.Syscalls)]
    public void Parse_TapIoOption_ReturnsPath(string device, string name, string? ns, TapIo io)
    {
        var parsed = DeviceString.Parse(device);
        Assert.Equal(LinuxPortKind.Tap, parsed.Kind);
        Assert.Equal(name, parsed.Name);
        Assert.Equal(ns, parsed.Namespace);
        Assert.Equal(io, parsed.Io);
        Assert.Null(parsed.Rx);
        Assert.Equal(device, parsed.ToString());
    }

    [Theory]
    [InlineData("afpacket:veth-1?rx=v2", "veth-1", AfPacketRx.V2)]
    [InlineData("afpacket:veth-1?rx=v3", "veth-1", AfPacketRx.V3)]
    [InlineData("afpacket:abcdefghijklmno?rx=v3", "abcdefghijklmno", AfPacketRx.V3)]
    public void Parse_AfPacketRxOption_ReturnsRing(string device, string name, AfPacketRx rx)
    {
        var parsed = DeviceString.Parse(device);
        Assert.Equal(LinuxPortKind.AfPacket, parsed.Kind);
        Assert.Equal(name, parsed.Name);
        Assert.Equal(rx, parsed.Rx);
        Assert.Equal(device, parsed.ToString());
    }

    [Theory]
    [InlineData("", "empty device string")]
    [InlineData("memory", "unknown scheme")]
    [InlineData("TAP:web0", "unknown scheme")]
    [InlineData("vhost:web0", "unknown scheme")]
    [InlineData("tap:", "empty interface name")]
    [InlineData("tap:@vm", "empty interface name")]
    [InlineData("afpacket:", "empty interface name")]
    [InlineData("tap:web0@", "empty namespace name")]
    [InlineData("tap:abcdefghijklmnop", "at most 15")]
    [InlineData("afpacket:abcdefghijklmnop", "at most 15")]
    [InlineData("tap:we b0", "contains")]
    [InlineData("tap:web/0", "contains '/'")]
    [InlineData("tap:web:0", "contains ':'")]
    [InlineData("tap:..", "not a valid name")]
    [InlineData("tap:web0@vm/../x", "contains '/'")]
    [InlineData("tap:web0@..", "not a valid name")]
    [InlineData("tap:web0@a@b", "contains '@'")]
    [InlineData("afpacket:eth0@vm", "afpacket ports take no namespace")]
    [InlineData("afpacket:eth0@vm?rx=v2", "afpacket ports take no namespace")]
    [InlineData("afpacket:eth0?", "empty option list after '?'")]
    [InlineData("afpacket:eth0?rx=v4", "rx='v4' is not a receive ring: expected rx=v2")]
    [InlineData("afpacket:eth0?rx=V2", "rx='V2' is not a receive ring")]
    [InlineData("afpacket:eth0?rx", "rx='' is not a receive ring")]
    [InlineData("afpacket:eth0?rx=", "rx='' is not a receive ring")]
    [InlineData("afpacket:eth0?ring=v2", "unknown option 'ring' (afpacket options: rx=v2|v3)")]
    [InlineData("afpacket:eth0?=v2", "empty option name")]
    [InlineData("afpacket:eth0?rx=v2&rx=v3", "option 'rx' is given twice")]
    [InlineData("afpacket:eth0?rx=v2&", "empty option name")]
    [InlineData("afpacket:?rx=v2", "empty interface name")]
    [InlineData("afpacket:abcdefghijklmnop?rx=v2", "at most 15")]
    [InlineData("tap:web0?rx=v2", "unknown option 'rx' (tap options: io=uring|syscalls)")]
    [InlineData("tap:web0@vm?rx=v2", "unknown option 'rx' (tap options: io=uring|syscalls)")]
    [InlineData("afpacket:eth0?io=uring", "unknown option 'io' (afpacket options: rx=v2|v3)")]
    [InlineData("tap:web0?", "empty option list after '?' (tap options: io=uring|syscalls)")]
    [InlineData("tap:web0?io=epoll", "io='epoll' is not an I/O path: expected io=uring")]
    [InlineData("tap:web0?io=Uring", "io='Uring' is not an I/O path")]
    [InlineData("tap:web0?io", "io='' is not an I/O path")]
    [InlineData("tap:web0?io=uring&io=syscalls", "option 'io' is given twice")]
    [InlineData("tap:web0?io=uring&", "empty option name (tap options: io=uring|syscalls)")]
    [InlineData("tap:web0?io=uring@vm", "io='uring@vm' is not an I/O path")]
    [InlineData("tap:?io=uring", "empty interface name")]
    [InlineData("tap:web0@?io=uring", "empty namespace name")]
    public void Parse_BadString_ThrowsPortExceptionThatSaysWhy(string device, string why)
    {
        var e = Assert.Throws<PortException>(() => DeviceString.Parse(device));
        Assert.Contains(why, e.Message);
        if (device.Length > 0)
        {
            Assert.Contains(device, e.Message);
        }
    }

    [Theory]
    [InlineData("tap:x", "tap", "tap:x", false, false)]
    [InlineData("tap:x@ns?io=uring", "tap", "tap:x", false, false)]
    [InlineData("afpacket:eth0", "afpacket", "afpacket:eth0", true, true)]
    [InlineData("afpacket:eth0?rx=v3", "afpacket", "afpacket:eth0", true, true)]
    public void PortTypes_ParseByScheme_AndSayWhatThePortNeeds(string device, string scheme, string exclusive, bool needsMac, bool revives)
    {
        var types = new PortTypes(new TapPortType(), new AfPacketPortType(), new MemoryPortType());
        var parsed = types.Parse(device);
        Assert.Equal((scheme, exclusive, needsMac, revives), (parsed.Type.Scheme, parsed.Exclusive, parsed.NeedsMac, parsed.Revives));
    }

    [Theory]
    [InlineData("tap:")]
    [InlineData("tap:this-name-is-too-long")]
    [InlineData("afpacket:bad name")]
    [InlineData("afpacket:eth0?rx=v9")]
    [InlineData("tap:x?io=fast")]
    [InlineData("afpacket:x@ns")]
    public void PortType_Open_BadString_ThrowsTheParsersMessage(string device)
    {
        IPortType type = device.StartsWith("tap:", StringComparison.Ordinal) ? new TapPortType() : new AfPacketPortType();
        var error = Assert.Throws<PortException>(() => type.Open(new PortRequest(device, 1)));
        Assert.True(DeviceString.TryParse(device, out _, out var expected) ? false : error.Message == expected, error.Message);
    }

    [Fact]
    public void TapPortType_Open_ZeroQueues_ThrowsPortException()
    {
        var e = Assert.Throws<PortException>(() => new TapPortType().Open(new PortRequest("tap:pltzero0", 0)));
        Assert.Contains("queue count", e.Message);
    }
}
