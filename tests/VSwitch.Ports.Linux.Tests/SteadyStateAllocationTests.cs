using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using VSwitch.Ports.Linux.Tests.Infrastructure;

namespace VSwitch.Ports.Linux.Tests;

/// <summary>Receive and Transmit allocate nothing once running (ARCHITECTURE.md §1, STYLE.md rule 2).</summary>
[Collection(PrivilegedCollection.Name)]
[Trait("Category", "Privileged")]
public sealed unsafe class SteadyStateAllocationTests : IDisposable
{
    private readonly TestNetwork _net = new();

    public void Dispose() => _net.Dispose();

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void TapPort_ReceiveAndTransmit_AllocateNothing(string io)
    {
        var ns = _net.AddNamespace("vm");
        var tap = _net.LinkName("t");
        IoUringSupport.SkipIfMissing(io);
        using var port = TapPort.Open($"tap:{tap}@{ns}?io={io}", 1, Frames.RandomMac());
        Assert.Equal(io == "uring" ? TapIo.Uring : TapIo.Syscalls, port.Io);
        Shell.Ip($"-n {ns} addr add {_net.Address(1)}/24 dev {tap}");
        AssertNoAllocations(port);
    }

    [SkippableTheory]
    [InlineData("uring")]
    [InlineData("syscalls")]
    public void TapPort_FullBatches_AllocateNothing(string io)
    {
        // Batches of 32 ARP requests out: the namespace answers each, so receive calls fill whole batches, the
        // compaction of the io_uring path runs, and its read count moves between its minimum and a full batch.
        var ns = _net.AddNamespace("vm");
        var tap = _net.LinkName("t");
        IoUringSupport.SkipIfMissing(io);
        using var port = TapPort.Open($"tap:{tap}@{ns}?io={io}", 1, Frames.RandomMac());
        Shell.Ip($"-n {ns} addr add {_net.Address(1)}/24 dev {tap}");
        AssertNoAllocations(port, port, Frames.ArpRequest(Frames.RandomMac(), _net.Address(2), _net.Address(1)), default, copies: PacketBatch.MaxSize);
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("v3")]
    public void AfPacketPort_ReceiveAndTransmit_AllocateNothing(string rx)
    {
        var ns = _net.AddNamespace("vm");
        var (host, peer) = _net.AddVeth(ns);
        Shell.Ip($"-n {ns} addr add {_net.Address(1)}/24 dev {peer}");
        using var port = AfPacketPort.Open($"afpacket:{host}?rx={rx}", 1);
        AssertNoAllocations(port);
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("v3")]
    public void AfPacketPort_GsoSuperFrames_AllocateNothing(string rx)
    {
        // On the V2 ring a 64 KiB frame takes the copy path (recvmsg), which must not allocate either.
        var (a, b) = _net.AddHostVeth();
        using var receiver = AfPacketPort.Open($"afpacket:{a}?rx={rx}", 1);
        using var sender = AfPacketPort.Open($"afpacket:{b}?rx={rx}", 1);
        var frame = Frames.TcpSegment(Frames.RandomMac(), Frames.RandomMac(), _net.Address(2), _net.Address(1), payload: 44 * 1448);
        var vnet = Frames.TcpV4GsoHeader();
        AssertNoAllocations(receiver, sender, frame, vnet);
    }

    /// <summary>ARP requests out, replies in: warm up, then count the bytes this thread allocates over 200 rounds.</summary>
    private void AssertNoAllocations(IPort port) =>
        AssertNoAllocations(port, port, Frames.ArpRequest(Frames.RandomMac(), _net.Address(2), _net.Address(1)), default);

    /// <summary>
    /// <paramref name="request"/> out on <paramref name="sender"/>, whatever comes in on <paramref name="port"/>
    /// received: warm up, then count the bytes this thread allocates over 200 rounds.
    /// </summary>
    private static void AssertNoAllocations(IPort port, IPort sender, byte[] request, VirtioNetHeader vnet, int copies = 1)
    {
        using var rx = new PacketBatch(PacketBatch.DefaultBufferSize);
        using var tx = new PacketBatch();
        var errors = default(PortErrors);
        fixed (byte* p = request)
        {
            for (var i = 0; i < copies; i++)
            {
                tx.Add(new Frame { Data = p, Length = request.Length, Vnet = vnet });
            }
            var fd = new pollfd { fd = port.GetReadyFd(0), events = LibC.POLLIN };
            long received = 0;
            long before = 0;
            for (var round = 0; round < 250; round++)
            {
                if (round == 50)
                {
                    before = GC.GetAllocatedBytesForCurrentThread();
                }
                _ = sender.Transmit(0, tx, ref errors);
                fd.revents = 0;
                _ = LibC.poll(&fd, 1, 20);
                while (true)
                {
                    rx.ResetForReceive();
                    var n = port.Receive(0, rx, ref errors);
                    if (n == 0)
                    {
                        break;
                    }
                    received += n;
                }
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(received > 100, $"only {received} frames came back");
            Assert.Equal(0, allocated);
            Assert.Null(port.Failure);
        }
    }
}
