namespace VSwitch.EndToEnd.Tests;

/// <summary>Tests that change the lab destructively get a lab of their own.</summary>
[Collection(LabCollection.Name)]
public sealed class LifecycleTests
{
    [Fact]
    public void InterfaceDeletedUnderTheSwitch_PortGoesDown_OthersKeepForwarding()
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        var a = lab.TapVm("a", "n1", 11);
        var b = lab.TapVm("b", "n1", 12);
        var c = lab.AfPacketVm("c", "n1", 13);
        var d = lab.AfPacketVm("d", "n1", 14);
        var daemon = lab.Start(2, a, b, c, d);
        Assert.True(Shell.Run(a.Exec($"ping -c 1 -W 2 {d.Ipv4}"), TimeSpan.FromSeconds(5)).Ok);

        Shell.Must($"ip link del h{lab.Prefix}d");
        Shell.Must(b.Exec($"ip link del {b.Interface}"));

        Assert.True(Shell.Eventually(() => daemon.Metric("vswitch_port_up{port=\"d\"}") == 0, TimeSpan.FromSeconds(5)), daemon.Log);
        Assert.True(Shell.Eventually(() => daemon.Metric("vswitch_port_up{port=\"b\"}") == 0, TimeSpan.FromSeconds(5)), daemon.Log);
        Assert.Contains("port d (afpacket:", daemon.Log);
        Assert.Contains("port b (tap:", daemon.Log);
        Assert.True(Shell.Run(a.Exec($"ping -c 2 -i 0.2 -W 2 {c.Ipv4}"), TimeSpan.FromSeconds(10)).Ok, daemon.Log);
        Assert.True(Shell.Run(c.Exec($"ping -6 -c 2 -i 0.2 -W 2 {a.Ipv6}"), TimeSpan.FromSeconds(10)).Ok, daemon.Log);
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public void Sigterm_StopsCleanlyAndRemovesTapDevices()
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        var a = lab.TapVm("a", "n1", 21);
        var b = lab.TapVm("b", "n1", 22);
        var daemon = lab.Start(1, a, b);
        Assert.True(Shell.Run(a.Exec($"ping -c 1 -W 2 {b.Ipv4}"), TimeSpan.FromSeconds(5)).Ok);

        Assert.Equal(0, daemon.Terminate(TimeSpan.FromSeconds(20)));
        Assert.False(Shell.Run(a.Exec($"ip link show {a.Interface}")).Ok, "TAP device a survived SIGTERM");
        Assert.False(Shell.Run(b.Exec($"ip link show {b.Interface}")).Ok, "TAP device b survived SIGTERM");
        Assert.Contains("all ports detached", daemon.Log);
    }

    [Fact]
    public void Sighup_AddsAndRemovesPortsWithoutRestart()
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        var a = lab.TapVm("a", "n1", 31);
        var b = lab.AfPacketVm("b", "n1", 32);
        var daemon = lab.Start(1, a, b);
        var pid = daemon.Pid;
        Assert.True(Shell.Run(a.Exec($"ping -c 1 -W 2 {b.Ipv4}"), TimeSpan.FromSeconds(5)).Ok, daemon.Log);

        var c = lab.TapVm("c", "n1", 33);
        lab.RemovePort("b");
        lab.Reload();
        Lab.ConfigureAddresses(c);
        Assert.True(Shell.Run(a.Exec($"ping -c 2 -i 0.2 -W 2 {c.Ipv4}"), TimeSpan.FromSeconds(10)).Ok, daemon.Log);
        Assert.False(Shell.Run(a.Exec($"ping -c 1 -W 1 {b.Ipv4}"), TimeSpan.FromSeconds(5)).Ok, "a removed port still forwards");
        Assert.Equal(-1, daemon.Metric("vswitch_port_up{port=\"b\"}"));
        Assert.Equal(pid, daemon.Pid);
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public void Sigkill_RestartReattachesTapDevicesInTheirNamespaces()
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        var a = lab.TapVm("a", "n1", 41);
        var b = lab.TapVm("b", "n1", 42);
        var c = lab.AfPacketVm("c", "n1", 43);
        lab.Start(2, a, b, c);
        Assert.True(Shell.Run(a.Exec($"ping -c 1 -W 2 {b.Ipv4}"), TimeSpan.FromSeconds(5)).Ok);
        var ifindex = Shell.Must(a.Exec($"cat /sys/class/net/{a.Interface}/ifindex")).Trim();

        var daemon = lab.RestartAfterSigkill(2);
        // The TAP devices survived the kill (persistent) with their addresses; the new daemon re-attached to them.
        Assert.Equal(ifindex, Shell.Must(a.Exec($"cat /sys/class/net/{a.Interface}/ifindex")).Trim());
        Assert.True(Shell.Run(a.Exec($"ping -c 2 -i 0.2 -W 2 {b.Ipv4}"), TimeSpan.FromSeconds(10)).Ok, daemon.Log);
        Assert.True(Shell.Run(c.Exec($"ping -c 2 -i 0.2 -W 2 {a.Ipv4}"), TimeSpan.FromSeconds(10)).Ok, daemon.Log);
        Assert.Equal(1, daemon.Metric("vswitch_port_up{port=\"a\"}"));
    }

    [Fact]
    public void BusyPoll_ForwardsAndCountsNonBlockingPolls()
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        var a = lab.TapVm("a", "n1", 41);
        var b = lab.AfPacketVm("b", "n1", 42);
        var daemon = lab.StartWith(1, ["--busy-poll", "50000"], a, b);
        var ping = Shell.Run(a.Exec($"ping -c 5 -i 0.2 -W 2 {b.Ipv4}"), TimeSpan.FromSeconds(15));
        Assert.True(ping.Ok, $"{ping}\n{daemon.Log}");
        Assert.Contains("busy-poll 50000 us", daemon.Log);
        Assert.True(daemon.Metric("vswitch_worker_busy_polls_total{worker=\"0\"}") > 0, daemon.Log);
    }

    [Fact]
    public void BadBusyPollFlag_ExitsWithOneLineError()
    {
        var r = Shell.Run($"{Daemon.Executable()} --busy-poll -3 --metrics-listen none", TimeSpan.FromSeconds(20));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--busy-poll: must be between 0 and 1000000", r.Stderr);
    }

    [Fact]
    public void BadConfiguration_ExitsWithOneLineError()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vsw-bad-{Environment.ProcessId}.json");
        File.WriteAllText(path, """{ "networks": [ { "name": "n" } ], "ports": [ { "name": "p", "network": "nope", "device": "memory" } ] }""");
        try
        {
            var r = Shell.Run($"{Daemon.Executable()} --config {path} --metrics-listen none", TimeSpan.FromSeconds(20));
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("no network named 'nope'", r.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
