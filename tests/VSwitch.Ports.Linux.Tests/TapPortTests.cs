using System.Diagnostics;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using VSwitch.Ports.Linux.Tests.Infrastructure;

namespace VSwitch.Ports.Linux.Tests;

/// <summary>TAP ports against real namespaces (root; CI runs them). Each test builds and removes its own network.</summary>
[Collection(PrivilegedCollection.Name)]
[Trait("Category", "Privileged")]
public sealed class TapPortTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(3);
    private readonly TestNetwork _net = new();

    public void Dispose() => _net.Dispose();

    /// <summary>
    /// Creates a namespace, a TAP port moved into it (with <c>?io=<paramref name="io"/></c> unless null), and gives the
    /// TAP (the VM's NIC) address .1.
    /// </summary>
    private (string Ns, string Tap, TapPort Port) OpenInNamespace(string? io, int queues = 1, VSwitch.Packets.MacAddress? mac = null)
    {
        IoUringSupport.SkipIfMissing(io);
        var ns = _net.AddNamespace("vm");
        var tap = _net.LinkName("t");
        var port = TapPort.Open($"tap:{tap}@{ns}{(io is null ? "" : "?io=" + io)}", queues, mac);
        Assert.Equal(io == "syscalls" ? TapIo.Syscalls : TapIo.Uring, port.Io);
        Shell.Ip($"-n {ns} addr add {_net.Address(1)}/24 dev {tap}");
        return (ns, tap, port);
    }

    [Fact]
    public void Open_WithNamespace_MovesDeviceSetsMacAndBringsItUp()
    {
        var mac = Frames.RandomMac();
        var (ns, tap, port) = OpenInNamespace(null, mac: mac);
        using (port)
        {
            // Without io= a port takes io_uring where the kernel offers it, and otherwise says why it does not.
            Assert.Equal(IoUringSupport.Missing is null ? TapIo.Uring : TapIo.Syscalls, port.Io);
            Assert.Equal(IoUringSupport.Missing is null, port.IoFallbackReason is null);
            // What the API shows as binding:vif_details: the path taken and, on a fallback, why.
            var details = port.Details;
            Assert.Equal(IoUringSupport.Missing is null ? "uring" : "syscalls", details["io"]);
            Assert.Equal("1", details["queues"]);
            Assert.Equal(port.IoFallbackReason, details.GetValueOrDefault("io_fallback"));
            Assert.False(Shell.TryIp($"link show {tap}"), "the device must have left the switch's namespace");
            var show = Shell.Ip($"-n {ns} -d link show {tap}");
            Assert.Contains("UP", show);
            Assert.Contains(mac.ToString(), show, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("tap", show);
            Assert.Equal(1, port.QueueCount);
            Assert.Null(port.Failure);
        }
        Assert.False(Shell.TryIp($"-n {ns} link show {tap}"), "Dispose must remove the device");
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void Transmit_ArpRequest_NamespaceRepliesAndReplyIsReceived(string io)
    {
        var mac = Frames.RandomMac();
        var (_, _, port) = OpenInNamespace(io, mac: mac);
        using (port)
        using (var driver = new PortDriver(port))
        {
            var peer = Frames.RandomMac();
            Assert.Equal(1, driver.Send(Frames.ArpRequest(peer, _net.Address(2), _net.Address(1))));

            var reply = driver.WaitFor(f => Frames.IsArp(f.Data, 2, _net.Address(1)), s_wait);
            Assert.NotNull(reply);
            Assert.Equal(42, reply.Data.Length);
            Assert.Equal(mac, VSwitch.Packets.MacAddress.Read(reply.Data.AsSpan(6)));
            Assert.Equal(peer, VSwitch.Packets.MacAddress.Read(reply.Data.AsSpan(0)));
            Assert.Equal(0, driver.Errors.RxErrors);
        }
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void Receive_FrameLargerThanTheBuffer_IsCountedNotDeliveredTruncated(string io)
    {
        var (ns, tap, port) = OpenInNamespace(io);
        using (port)
        using (var driver = new PortDriver(port, bufferSize: 256))
        {
            // A static neighbour, so the pings leave at once without an ARP exchange.
            Shell.Ip($"-n {ns} neigh add {_net.Address(2)} lladdr {Frames.RandomMac()} dev {tap}");
            // 1,042-byte frames, larger than the 256-byte buffers; 256-byte ones, which fill them exactly; 52-byte ones.
            Shell.Run("ip", $"netns exec {ns} ping -c 2 -i 0.05 -s 1000 -W 1 {_net.Address(2)}");
            Shell.Run("ip", $"netns exec {ns} ping -c 2 -i 0.05 -s 214 -W 1 {_net.Address(2)}");
            Shell.Run("ip", $"netns exec {ns} ping -c 2 -i 0.05 -s 10 -W 1 {_net.Address(2)}");

            var received = new List<ReceivedFrame>();
            var sw = Stopwatch.StartNew();
            while (received.Count(f => f.Data.Length == 52) < 2 && sw.Elapsed < s_wait)
            {
                received.AddRange(driver.Poll(50));
            }
            Assert.Equal(2, received.Count(f => f.Data.Length == 52));
            Assert.Equal(2, received.Count(f => f.Data.Length == 256));
            Assert.DoesNotContain(received, f => f.Data.Length > 256);
            Assert.Equal(2, driver.Errors.RxErrors);
        }
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void Receive_PingFromNamespace_DeliversArpRequestWithCorrectLength(string io)
    {
        var (ns, _, port) = OpenInNamespace(io);
        using (port)
        using (var driver = new PortDriver(port))
        using (var ping = Shell.Start("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", _net.Address(2)))
        {
            var request = driver.WaitFor(f => Frames.IsArp(f.Data, 1, _net.Address(1)), s_wait);
            Assert.NotNull(request);
            Assert.Equal(42, request.Data.Length);
            Assert.True(VSwitch.Packets.MacAddress.Read(request.Data).IsBroadcast);
            ping.WaitForExit(5000);
        }
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void Transmit_IcmpEchoRequest_NamespaceAnswersWithEchoReply(string io)
    {
        var mac = Frames.RandomMac();
        var (ns, tap, port) = OpenInNamespace(io, mac: mac);
        using (port)
        using (var driver = new PortDriver(port))
        {
            var peer = Frames.RandomMac();
            Shell.Ip($"-n {ns} neigh replace {_net.Address(2)} lladdr {peer} dev {tap}");
            var frame = Frames.IcmpEchoRequest(mac, peer, _net.Address(2), _net.Address(1), id: 0x5a5a, seq: 1, payload: 56);
            Assert.Equal(1, driver.Send(frame));

            var reply = driver.WaitFor(f => Frames.IsEchoReply(f.Data, _net.Address(1), 0x5a5a), s_wait);
            Assert.NotNull(reply);
            Assert.Equal(frame.Length, reply.Data.Length);
        }
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void Open_TwoQueues_OpensTwoFdsAndBothQueuesWork(string io)
    {
        var mac = Frames.RandomMac();
        var (ns, tap, port) = OpenInNamespace(io, queues: 2, mac: mac);
        using (port)
        using (var driver = new PortDriver(port))
        {
            Assert.Equal(2, port.QueueCount);
            Assert.NotEqual(port.GetReadyFd(0), port.GetReadyFd(1));
            var details = Shell.Ip($"-n {ns} -d link show {tap}");
            if (details.Contains("numqueues"))
            {
                Assert.Contains("numqueues 2", details);
            }
            var peer = Frames.RandomMac();
            Assert.Equal(1, driver.Send(Frames.ArpRequest(peer, _net.Address(2), _net.Address(1)), queue: 1));
            Assert.NotNull(driver.WaitFor(f => Frames.IsArp(f.Data, 2, _net.Address(1)), s_wait));
        }
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void Open_AfterDaemonDied_ReattachesToDeviceInsideNamespace(string io)
    {
        var mac = Frames.RandomMac();
        var (ns, tap, first) = OpenInNamespace(io, mac: mac);
        var index = first.IfIndex;
        first.Abandon();   // as kill -9: queues closed, persistence left on

        Assert.True(Shell.TryIp($"-n {ns} link show {tap}"), "a persistent device must survive its owner");
        using (var second = TapPort.Open($"tap:{tap}@{ns}?io={io}", 2, mac))
        using (var driver = new PortDriver(second))
        {
            Assert.Equal(index, second.IfIndex);
            Assert.Contains(_net.Address(1), Shell.Ip($"-n {ns} addr show {tap}"));
            var peer = Frames.RandomMac();
            Assert.Equal(1, driver.Send(Frames.ArpRequest(peer, _net.Address(2), _net.Address(1))));
            Assert.NotNull(driver.WaitFor(f => Frames.IsArp(f.Data, 2, _net.Address(1)), s_wait));
        }
        Assert.False(Shell.TryIp($"-n {ns} link show {tap}"), "Dispose must remove the device");
    }

    [Fact]
    public void Open_DeviceLeftInSwitchNamespace_AttachesAndMovesIt()
    {
        var ns = _net.AddNamespace("vm");
        var tap = _net.LinkName("t");
        Shell.Ip($"tuntap add dev {tap} mode tap multi_queue vnet_hdr");
        _net.TrackHostLink(tap);
        using (var port = TapPort.Open($"tap:{tap}@{ns}", 1))
        {
            Assert.False(Shell.TryIp($"link show {tap}"));
            Assert.True(Shell.TryIp($"-n {ns} link show {tap}"));
        }
        Assert.False(Shell.TryIp($"-n {ns} link show {tap}"));
    }

    [Fact]
    public void Open_WithoutNamespace_CreatesPersistentDeviceAndDisposeRemovesIt()
    {
        var tap = _net.LinkName("t");
        _net.TrackHostLink(tap);
        var first = TapPort.Open($"tap:{tap}", 1);
        Assert.Contains("UP", Shell.Ip($"link show {tap}"));
        first.Abandon();
        Assert.True(Shell.TryIp($"link show {tap}"), "the device is persistent");
        using (var second = TapPort.Open($"tap:{tap}", 1))
        {
            Assert.Equal(first.IfIndex, second.IfIndex);
        }
        Assert.False(Shell.TryIp($"link show {tap}"));
    }

    [Fact]
    public void Open_MissingNamespace_ThrowsClearPortException()
    {
        var e = Assert.Throws<PortException>(() => TapPort.Open($"tap:plt{_net.Id}x@plt-{_net.Id}-missing", 1));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains($"plt-{_net.Id}-missing", e.Message);
        Assert.False(Shell.TryIp($"link show plt{_net.Id}x"), "nothing may be left behind");
    }

    [Fact]
    public void Open_NameOfNonTapInterface_ThrowsClearPortException()
    {
        var ns = _net.AddNamespace("vm");
        var (host, _) = _net.AddVeth(ns);
        var e = Assert.Throws<PortException>(() => TapPort.Open($"tap:{host}", 1));
        Assert.Contains("not a multi-queue TAP", e.Message);
        Assert.True(Shell.TryIp($"link show {host}"), "a foreign interface is left alone");
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void DeviceDeleted_FailureIsSetAndReceiveReturnsZero(string io)
    {
        var (ns, tap, port) = OpenInNamespace(io, queues: 2);
        using (port)
        using (var driver = new PortDriver(port))
        {
            Shell.Ip($"-n {ns} link del {tap}");
            var sw = Stopwatch.StartNew();
            while (port.Failure is null && sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                Assert.Empty(driver.Poll(50));
            }
            Assert.NotNull(port.Failure);
            Assert.Contains(tap, port.Failure);
            using var batch = new VSwitch.Packets.PacketBatch(VSwitch.Packets.PacketBatch.DefaultBufferSize);
            var errors = default(PortErrors);
            Assert.Equal(0, port.Receive(0, batch, ref errors));
            Assert.Equal(0, port.Receive(1, batch, ref errors));
            Assert.Equal(0, driver.Send(new byte[60]));
        }
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void NamespaceDeleted_DeviceGoesWithItAndFailureIsSet(string io)
    {
        var (ns, _, port) = OpenInNamespace(io);
        using (port)
        using (var driver = new PortDriver(port))
        {
            Shell.Ip($"netns del {ns}");
            var sw = Stopwatch.StartNew();
            while (port.Failure is null && sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                driver.Poll(50);
            }
            Assert.NotNull(port.Failure);
        }
    }

    [Fact]
    public unsafe void DeviceDeleted_ReadyFdPollsError()
    {
        var (ns, tap, port) = OpenInNamespace(null);
        using (port)
        {
            Shell.Ip($"-n {ns} link del {tap}");
            var fd = new pollfd { fd = port.GetReadyFd(0), events = LibC.POLLIN };
            Assert.Equal(1, LibC.poll(&fd, 1, 1000));
            Assert.NotEqual(0, fd.revents & (LibC.POLLERR | LibC.POLLHUP));
        }
    }

    [Fact]
    public void Open_IoSyscalls_UsesTheSystemCallsWithoutFallbackReason()
    {
        var (_, _, port) = OpenInNamespace("syscalls");
        using (port)
        {
            Assert.Equal(TapIo.Syscalls, port.Io);
            Assert.Null(port.IoFallbackReason);
            var details = port.Details;
            Assert.Equal("syscalls", details["io"]);
            Assert.False(details.ContainsKey("io_fallback"), "an explicit io=syscalls is not a fallback");
        }
    }

    [SkippableFact]
    public void Receive_Uring_BurstsComeInBatchesInOrderAndTheReadCountAdapts()
    {
        var (ns, tap, port) = OpenInNamespace("uring");
        using (port)
        using (var driver = new PortDriver(port))
        {
            // No IPv6 on the VM's NIC: its router solicitations and MLD reports would be frames this test did not send.
            Shell.Ip($"netns exec {ns} sysctl -qw net.ipv6.conf.{tap}.disable_ipv6=1");
            Shell.Ip($"-n {ns} neigh replace {_net.Address(2)} lladdr {Frames.RandomMac()} dev {tap}");
            using var batch = new PacketBatch(PacketBatch.DefaultBufferSize);
            var errors = default(PortErrors);

            // An empty receive leaves the next call with the fewest reads.
            while (Receive(port, batch, ref errors) > 0)
            {
            }
            Assert.Equal(TapUringQueue.MinReads, port.NextUringReads(0));

            // 10 frames wait: the first round's 4 reads all fill, so a second round in the same call takes the other 6.
            SendUdpBurst(ns, 10, first: 0);
            Assert.Equal(10, Receive(port, batch, ref errors));
            Assert.Equal(Enumerable.Range(0, 10), UdpSequences(batch));
            Assert.Equal((2 * 10) + TapUringQueue.MinReads, port.NextUringReads(0));

            // 10 more: one call takes them all, in the order they were sent.
            SendUdpBurst(ns, 10, first: 10);
            var n = Receive(port, batch, ref errors);
            Assert.True(n >= 10, $"one receive call took {n} frames of 10");
            Assert.Equal(Enumerable.Range(10, 10), UdpSequences(batch));
            Assert.Equal(0, errors.RxErrors);
            Assert.Null(port.Failure);
        }
    }

    /// <summary>
    /// Sends UDP datagrams to .2 port 9 from inside <paramref name="ns"/>, each carrying its sequence number, and
    /// returns when the sender has exited (every frame is then queued on the TAP).
    /// </summary>
    private void SendUdpBurst(string ns, int count, int first)
    {
        const string Script = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            for i in range(int(sys.argv[2]), int(sys.argv[2]) + int(sys.argv[3])):
                s.sendto(b"seq:%d;" % i, (sys.argv[1], 9))
            """;
        using var sender = Shell.Start("ip", "netns", "exec", ns, "python3", "-c", Script, _net.Address(2), first.ToString(), count.ToString());
        try
        {
            Assert.True(sender.WaitForExit(10_000), "the UDP sender did not finish");
            Assert.True(sender.ExitCode == 0, sender.StandardError.ReadToEnd());
        }
        finally
        {
            if (!sender.HasExited)
            {
                sender.Kill(entireProcessTree: true);
                sender.WaitForExit();
            }
        }
    }

    private static int Receive(TapPort port, PacketBatch batch, ref PortErrors errors)
    {
        batch.ResetForReceive();
        return port.Receive(0, batch, ref errors);
    }

    /// <summary>The sequence numbers of the test's UDP datagrams in the batch, in batch order.</summary>
    private static List<int> UdpSequences(PacketBatch batch)
    {
        var sequences = new List<int>();
        for (var i = 0; i < batch.Count; i++)
        {
            var frame = batch[i].Span;
            // Ethernet (14) + IPv4 without options (20) + UDP (8), then "seq:N".
            if (frame.Length > 46 && Frames.EtherType(frame) == Frames.EtherTypeIpv4 && frame[23] == 17 && frame[42..46].SequenceEqual("seq:"u8))
            {
                var payload = frame[46..];
                sequences.Add(int.Parse(System.Text.Encoding.ASCII.GetString(payload[..payload.IndexOf((byte)';')])));
            }
        }
        return sequences;
    }
}
