using VSwitch.Dataplane.Ports;
using VSwitch.Ports.Linux.VhostUser;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

public sealed class VhostUserDeviceTests
{
    [Theory]
    [InlineData("vhostuser:/run/vswitch/vm1.sock", "/run/vswitch/vm1.sock", VhostUserMode.Server)]
    [InlineData("vhostuser:/run/vswitch/vm1.sock?mode=server", "/run/vswitch/vm1.sock", VhostUserMode.Server)]
    [InlineData("vhostuser:/tmp/q/vm-2.sock?mode=client", "/tmp/q/vm-2.sock", VhostUserMode.Client)]
    [InlineData("vhostuser:/a//b.sock", "/a/b.sock", VhostUserMode.Server)]
    public void Parse_ValidStrings(string device, string path, VhostUserMode mode)
    {
        var parsed = VhostUserDevice.Parse(device);
        Assert.Equal((path, mode), (parsed.Path, parsed.Mode));
    }

    [Theory]
    [InlineData("vhostuser:", "absolute")]
    [InlineData("vhostuser:relative.sock", "absolute")]
    [InlineData("vhostuser:/tmp/x.sock?mode=both", "unknown option")]
    [InlineData("vhostuser:/tmp/x.sock?queues=2", "unknown option")]
    [InlineData("vhostuser:/tmp/", "name a file")]
    [InlineData("vhostuser:/tmp/a b.sock", "blanks")]
    [InlineData("vhostuser:/tmp/../etc/x.sock", "'..'")]
    [InlineData("vhostuser:/tmp/./x.sock", "'.'")]
    public void Parse_InvalidStrings_SayWhy(string device, string reason)
    {
        var e = Assert.Throws<PortException>(() => VhostUserDevice.Parse(device));
        Assert.Contains(reason, e.Message);
        Assert.Contains(device, e.Message);
    }

    [Fact]
    public void Parse_PathLongerThanASocketAddress_IsRefused()
    {
        var path = "/tmp/" + new string('x', 103);
        Assert.Equal(108, path.Length);
        Assert.Contains("107 bytes", Assert.Throws<PortException>(() => VhostUserDevice.Parse("vhostuser:" + path)).Message);
        Assert.Equal(path[..^1], VhostUserDevice.Parse("vhostuser:" + path[..^1]).Path);
    }

    [Fact]
    public void PortType_OneSocketIsOnePort_AndTheMacMustBeGiven()
    {
        var types = new PortTypes(new VhostUserPortType(), new TapPortType());
        var a = types.Parse("vhostuser:/tmp/vm.sock");
        var b = types.Parse("vhostuser:/tmp/vm.sock?mode=client");
        Assert.Equal(a.Exclusive, b.Exclusive);
        Assert.True(a.NeedsMac);
        Assert.False(a.Revives);
        Assert.NotEqual(a.Exclusive, types.Parse("tap:vm").Exclusive);
    }
}
