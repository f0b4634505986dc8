using System.Diagnostics;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using VSwitch.Ports.Linux.Tests.Infrastructure;
using Xunit.Abstractions;

namespace VSwitch.Ports.Linux.Tests;

/// <summary>
/// A TAP port and an AF_PACKET port joined by a two-port relay (a worker in miniature): TCP between two namespaces
/// must work with every offload at its default, which holds only if the virtio headers (partial checksums, GSO
/// super-frames) pass through both backends intact (ENVIRONMENT.md, "Offloads on veth and TAP").
/// </summary>
[Collection(PrivilegedCollection.Name)]
[Trait("Category", "Privileged")]
public sealed class ForwardingTests(ITestOutputHelper output) : IDisposable
{
    private const string Server = """
        import socket, sys
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); s.settimeout(20)
        c, _ = s.accept(); c.settimeout(20); n = 0
        while True:
            d = c.recv(1 << 20)
            if not d: break
            n += len(d)
        print(n)
        """;

    private const string Client = """
        import socket, sys, time
        deadline = time.time() + 10
        while True:
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20); break
            except OSError:
                if time.time() > deadline: raise
                time.sleep(0.1)
        b = b'x' * (1 << 20)
        for _ in range(int(sys.argv[3])): c.sendall(b)
        c.shutdown(socket.SHUT_WR); c.close()
        """;

    private readonly TestNetwork _net = new();

    public void Dispose() => _net.Dispose();

    [SkippableTheory]
    [InlineData("v2", "uring")]
    [InlineData("v2", "syscalls")]
    [InlineData("v3", "uring")]
    [InlineData("v3", "syscalls")]
    public void TcpTransfer_BetweenTapAndAfPacket_CarriesGsoAndPartialChecksumsBothWays(string rx, string io)
    {
        var nsA = _net.AddNamespace("a");
        var nsB = _net.AddNamespace("b");
        var tapName = _net.LinkName("t");
        IoUringSupport.SkipIfMissing(io);
        using var tap = TapPort.Open($"tap:{tapName}@{nsA}?io={io}", 1, Frames.RandomMac());
        Shell.Ip($"-n {nsA} addr add {_net.Address(1)}/24 dev {tapName}");
        var (host, peer) = _net.AddVeth(nsB);
        Shell.Ip($"-n {nsB} addr add {_net.Address(2)}/24 dev {peer}");
        using var afp = AfPacketPort.Open($"afpacket:{host}?rx={rx}", 1);
        Assert.Equal(io == "uring" ? TapIo.Uring : TapIo.Syscalls, tap.Io);

        using var relay = new Relay(tap, afp);
        const int Mebibytes = 16;
        var sw = Stopwatch.StartNew();
        Assert.Equal(Mebibytes << 20, Transfer(nsA, nsB, _net.Address(2), 5201, Mebibytes));
        var aToB = sw.Elapsed;
        Assert.Equal(Mebibytes << 20, Transfer(nsB, nsA, _net.Address(1), 5202, Mebibytes));
        relay.Stop();
        output.WriteLine($"A->B {aToB.TotalMilliseconds:F0} ms, B->A {(sw.Elapsed - aToB).TotalMilliseconds:F0} ms (each {Mebibytes} MiB incl. python start-up)");
        output.WriteLine($"frames tap->afpacket {relay.Frames[0]} (GSO {relay.GsoFrames[0]}, partial csum {relay.PartialChecksumFrames[0]}), " +
            $"afpacket->tap {relay.Frames[1]} (GSO {relay.GsoFrames[1]}, partial csum {relay.PartialChecksumFrames[1]})");

        Assert.True(relay.GsoFrames[0] > 0, "the TAP side delivered no GSO super-frames");
        Assert.True(relay.GsoFrames[1] > 0, "the AF_PACKET side delivered no GSO super-frames");
        Assert.True(relay.PartialChecksumFrames[0] > 0 && relay.PartialChecksumFrames[1] > 0, "no partial checksums seen");
        Assert.Equal(0, relay.Errors.RxErrors);
        Assert.Equal(0, relay.Errors.TxErrors);
        Assert.Null(tap.Failure);
        Assert.Null(afp.Failure);
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void TcpTransfer_BetweenTwoTapPorts_CarriesGsoAndPartialChecksumsBothWays(string io)
    {
        // Both ends are VM NICs: every GSO super-frame and partial checksum is read from one TAP queue and written to
        // the other, so a wrong virtio-net header on either path breaks or stalls the transfer.
        var nsA = _net.AddNamespace("a");
        var nsB = _net.AddNamespace("b");
        var tapA = _net.LinkName("t");
        var tapB = _net.LinkName("t");
        IoUringSupport.SkipIfMissing(io);
        using var a = TapPort.Open($"tap:{tapA}@{nsA}?io={io}", 1, Frames.RandomMac());
        using var b = TapPort.Open($"tap:{tapB}@{nsB}?io={io}", 1, Frames.RandomMac());
        Shell.Ip($"-n {nsA} addr add {_net.Address(1)}/24 dev {tapA}");
        Shell.Ip($"-n {nsB} addr add {_net.Address(2)}/24 dev {tapB}");

        using var relay = new Relay(a, b);
        const int Mebibytes = 16;
        Assert.Equal(Mebibytes << 20, Transfer(nsA, nsB, _net.Address(2), 5201, Mebibytes));
        Assert.Equal(Mebibytes << 20, Transfer(nsB, nsA, _net.Address(1), 5202, Mebibytes));
        relay.Stop();
        output.WriteLine($"frames a->b {relay.Frames[0]} (GSO {relay.GsoFrames[0]}, partial csum {relay.PartialChecksumFrames[0]}), " +
            $"b->a {relay.Frames[1]} (GSO {relay.GsoFrames[1]}, partial csum {relay.PartialChecksumFrames[1]})");

        Assert.True(relay.GsoFrames[0] > 0 && relay.GsoFrames[1] > 0, "a TAP side delivered no GSO super-frames");
        Assert.True(relay.PartialChecksumFrames[0] > 0 && relay.PartialChecksumFrames[1] > 0, "no partial checksums seen");
        Assert.Equal(0, relay.Errors.RxErrors);
        Assert.Equal(0, relay.Errors.TxErrors);
        Assert.Null(a.Failure);
        Assert.Null(b.Failure);
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("v3")]
    public void Ping_BetweenTwoAfPacketPorts_EveryLoneEchoIsAnswered(string rx)
    {
        // Sparse traffic: one echo request at a time, each a lone frame in the ring in both directions. Every one must
        // be answered within ping's 1 s wait (functional: no timing is asserted).
        var nsA = _net.AddNamespace("a");
        var nsB = _net.AddNamespace("b");
        var (hostA, peerA) = _net.AddVeth(nsA);
        var (hostB, peerB) = _net.AddVeth(nsB);
        Shell.Ip($"-n {nsA} addr add {_net.Address(1)}/24 dev {peerA}");
        Shell.Ip($"-n {nsB} addr add {_net.Address(2)}/24 dev {peerB}");
        using var a = AfPacketPort.Open($"afpacket:{hostA}?rx={rx}", 1);
        using var b = AfPacketPort.Open($"afpacket:{hostB}?rx={rx}", 1);
        using var relay = new Relay(a, b);

        for (var round = 0; round < 3; round++)
        {
            var (code, outputText) = Shell.Run("ip", $"netns exec {nsA} ping -c 5 -i 0.2 -W 1 {_net.Address(2)}", timeoutMs: 20_000);
            output.WriteLine(outputText.Trim());
            Assert.True(code == 0, $"ping failed ({code}):\n{outputText}");
            Assert.Contains(" 0% packet loss", outputText);
        }
        relay.Stop();
        Assert.True(relay.Frames[0] >= 15 && relay.Frames[1] >= 15, $"relay saw {relay.Frames[0]} and {relay.Frames[1]} frames");
        Assert.Equal(0, relay.Errors.RxErrors);
        Assert.Null(a.Failure);
        Assert.Null(b.Failure);
    }

    /// <summary>Runs a server in <paramref name="serverNs"/> and a client sending MiB in <paramref name="clientNs"/>; returns bytes received.</summary>
    private static long Transfer(string clientNs, string serverNs, string serverIp, int port, int mebibytes)
    {
        using var server = Shell.Start("ip", "netns", "exec", serverNs, "python3", "-c", Server, serverIp, port.ToString());
        using var client = Shell.Start("ip", "netns", "exec", clientNs, "python3", "-c", Client, serverIp, port.ToString(), mebibytes.ToString());
        try
        {
            Assert.True(client.WaitForExit(30_000), "client timed out");
            Assert.True(server.WaitForExit(10_000), "server timed out");
            Assert.True(client.ExitCode == 0, "client failed: " + client.StandardError.ReadToEnd());
            var output = server.StandardOutput.ReadToEnd().Trim();
            Assert.True(server.ExitCode == 0, "server failed: " + server.StandardError.ReadToEnd());
            return long.Parse(output);
        }
        finally
        {
            foreach (var p in new[] { client, server })
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit();
                }
            }
        }
    }

    /// <summary>Forwards every frame of one port to the other on a dedicated thread, as a worker would.</summary>
    private sealed unsafe class Relay : IDisposable
    {
        private readonly IPort[] _ports;
        private readonly Thread _thread;
        private volatile bool _stop;
        private PortErrors _errors;

        public Relay(IPort a, IPort b)
        {
            _ports = [a, b];
            _thread = new Thread(Run) { IsBackground = true, Name = "relay" };
            _thread.Start();
        }

        public long[] Frames { get; } = new long[2];

        public long[] GsoFrames { get; } = new long[2];

        public long[] PartialChecksumFrames { get; } = new long[2];

        public PortErrors Errors => _errors;

        private void Run()
        {
            using var batch = new PacketBatch(PacketBatch.DefaultBufferSize);
            var fds = stackalloc pollfd[2];
            var deadline = Stopwatch.StartNew();
            while (!_stop && deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                for (var i = 0; i < 2; i++)
                {
                    fds[i] = new pollfd { fd = _ports[i].GetReadyFd(0), events = LibC.POLLIN };
                }
                _ = LibC.poll(fds, 2, 100);
                for (var i = 0; i < 2; i++)
                {
                    if (fds[i].revents == 0)
                    {
                        continue;
                    }
                    while (true)
                    {
                        batch.ResetForReceive();
                        var n = _ports[i].Receive(0, batch, ref _errors);
                        if (n == 0)
                        {
                            break;
                        }
                        Frames[i] += n;
                        for (var f = 0; f < n; f++)
                        {
                            GsoFrames[i] += batch[f].Vnet.IsGso ? 1 : 0;
                            PartialChecksumFrames[i] += (batch[f].Vnet.Flags & VirtioNetHeader.NeedsChecksum) != 0 ? 1 : 0;
                        }
                        _ = _ports[1 - i].Transmit(0, batch, ref _errors);
                    }
                }
            }
        }

        public void Stop()
        {
            _stop = true;
            _thread.Join();
        }

        public void Dispose() => Stop();
    }
}
