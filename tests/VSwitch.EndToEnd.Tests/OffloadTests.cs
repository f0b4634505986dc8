namespace VSwitch.EndToEnd.Tests;

/// <summary>
/// TCP offloads through the switch (issue 8, item 4): 64 KiB GSO super-frames cross the switch whole, and a receiving
/// port whose interface can not take them (TSO, GSO and checksum offload off) still gets a correct byte stream,
/// segmented and checksummed by the kernel when the switch hands the frame to the packet socket with its virtio header.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class OffloadTests
{
    private static string Counters(Daemon daemon) =>
        string.Join('\n', daemon.Metrics().Split('\n').Where(l => l.StartsWith("vswitch_port_", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal)));

    [Fact]
    public async Task GsoFromTap_ToAfpacketWithOffloadsOff_ArrivesIntact_AsSuperFramesThroughTheSwitch()
    {
        Root.Require();
        using var lab = new Lab();
        lab.Network("n1");
        var sender = lab.TapVm("a", "n1", 51);
        var receiver = lab.AfPacketVm("b", "n1", 52);
        var daemon = lab.Start(1, sender, receiver);
        var hostEnd = lab.AfPacketHostEnd("b");
        Shell.Must($"ethtool -K {hostEnd} tso off gso off tx off");
        var features = Shell.Must($"ethtool -k {hostEnd}");
        Assert.Contains("tcp-segmentation-offload: off", features);

        const int Megabytes = 20;
        var dir = Directory.CreateTempSubdirectory("vsw-gso").FullName;
        try
        {
            Shell.Must($"head -c {Megabytes}M /dev/urandom > {dir}/in");
            // Neighbour discovery right after start may meet the veth's queue while ethtool resets it: count from here.
            const string TxFailed = "vswitch_port_dropped_packets_total{port=\"b\",direction=\"ingress\",reason=\"tx_failed\"}";
            var failedBefore = Math.Max(0, daemon.Metric(TxFailed));
            var rxBefore = daemon.Metric("vswitch_port_rx_packets_total{port=\"a\"}");
            var server = Task.Run(() => Shell.Run(receiver.Exec($"ncat -l -p 5003 --recv-only > {dir}/out"), TimeSpan.FromSeconds(40)));
            Assert.True(Shell.Eventually(() => Shell.Run(receiver.Exec("ss -ltn 'sport = :5003'")).Stdout.Contains("5003", StringComparison.Ordinal), TimeSpan.FromSeconds(5)));
            var client = Shell.Run(sender.Exec($"ncat --send-only {receiver.Ipv4} 5003 < {dir}/in"), TimeSpan.FromSeconds(40));
            Assert.True(client.Ok, $"sender failed: {client}\n{Counters(daemon)}");
            var received = await server.WaitAsync(TimeSpan.FromSeconds(40));
            Assert.True(received.Ok, $"receiver failed: {received}\n{Counters(daemon)}");
            Assert.Equal(Shell.Must($"sha256sum < {dir}/in"), Shell.Must($"sha256sum < {dir}/out"));

            // Super-frames crossed the switch: 1,448-byte segments would need over 14,000 frames for 20 MiB.
            var frames = daemon.Metric("vswitch_port_rx_packets_total{port=\"a\"}") - rxBefore;
            Assert.True(frames < Megabytes * 1024 * 1024 / 1448 / 4, $"{frames} frames for {Megabytes} MiB: the sender's GSO frames were split before the switch");
            // Before the queue fell back from the qdisc bypass, every super-frame to b failed here (690 in 20 MiB).
            Assert.Equal(failedBefore, Math.Max(0, daemon.Metric(TxFailed)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
