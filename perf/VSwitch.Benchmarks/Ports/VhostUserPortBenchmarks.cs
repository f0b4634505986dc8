using BenchmarkDotNet.Attributes;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using VSwitch.Ports.Linux.Tests.VhostUser.Frontend;
using VSwitch.Ports.Linux.VhostUser;

namespace VSwitch.Benchmarks.Ports;

/// <summary>
/// A vhost-user port's own cost per batch of 32 64-byte frames, with the guest's side reduced to nothing: the test
/// frontend (linked from tests/VSwitch.Ports.Linux.Tests) negotiates what DPDK's virtio-user does (VERSION_1,
/// mergeable buffers, no event index, interrupts off) and fills both rings once; after each batch the "guest" only
/// hands the used chains back to the available ring (a few stores). <c>FromGuest</c>: Receive takes 32 frames off the
/// guest's transmit ring (a worker's RX); <c>ToGuest</c>: Transmit copies 32 frames into its receive buffers.
/// </summary>
[MemoryDiagnoser]
public class VhostUserPortBenchmarks
{
    private DirectoryInfo _dir = null!;
    private VhostUserPort _port = null!;
    private VirtioTestFrontend _guest = null!;
    private SplitRingDriver _guestRx = null!;
    private SplitRingDriver _guestTx = null!;
    private ushort _rxUsedSeen;
    private ushort _txUsedSeen;
    private PacketBatch _fromGuest = null!;
    private PacketBatch _toGuest = null!;
    private PortErrors _errors;
    private long _shortBatches;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("vswitch-bench-vhost-");
        var socket = Path.Combine(_dir.FullName, "vm.sock");
        _port = VhostUserPort.Open(VhostUserDevice.Parse($"vhostuser:{socket}"), 1);
        var features = (1UL << LibC.VIRTIO_F_VERSION_1) | (1UL << LibC.VIRTIO_NET_F_MRG_RXBUF) | FrontendOptions.ProtocolFeatures;
        _guest = VirtioTestFrontend.Connect(socket, new FrontendOptions(features, RingSize: 256, MemoryMiB: 16));
        _guest.Start();
        if (!SpinWait.SpinUntil(() => _port.ActiveQueuePairs == 1, TimeSpan.FromSeconds(5)))
        {
            throw new InvalidOperationException($"the port did not start its rings: {string.Join(", ", _port.Details)}");
        }
        _guestRx = _guest.Ring(0);
        _guestTx = _guest.Ring(1);
        // A polling guest: no interrupts (virtio-user runs so).
        _guestRx.AvailFlags = LibC.VRING_AVAIL_F_NO_INTERRUPT;
        _guestTx.AvailFlags = LibC.VRING_AVAIL_F_NO_INTERRUPT;
        var frame = BenchmarkFrames.Udp64(BenchmarkFrames.Mac(2), BenchmarkFrames.Mac(1), 1);
        while (_guest.TrySend(0, frame))
        {
        }
        _rxUsedSeen = _guestRx.UsedIdx;
        _txUsedSeen = _guestTx.UsedIdx;

        _fromGuest = new PacketBatch(2048);
        _toGuest = new PacketBatch(2048);
        _toGuest.ResetForReceive();
        for (var i = 0; i < PacketBatch.MaxSize; i++)
        {
            frame.CopyTo(_toGuest.Buffer(i));
            _toGuest[i].Length = frame.Length;
        }
        _toGuest.Count = PacketBatch.MaxSize;
    }

    [Benchmark]
    public int FromGuest()
    {
        _fromGuest.ResetForReceive();
        var n = _port.Receive(0, _fromGuest, ref _errors);
        Recycle(_guestTx, ref _txUsedSeen);
        _shortBatches += n < PacketBatch.MaxSize ? 1 : 0;
        return n;
    }

    [Benchmark]
    public int ToGuest()
    {
        var n = _port.Transmit(0, _toGuest, ref _errors);
        Recycle(_guestRx, ref _rxUsedSeen);
        _shortBatches += n < PacketBatch.MaxSize ? 1 : 0;
        return n;
    }

    /// <summary>The guest makes every chain the device has used available again, unchanged (same buffers, same frames).</summary>
    private static void Recycle(SplitRingDriver ring, ref ushort seen)
    {
        var used = ring.UsedIdx;
        var avail = ring.AvailRing;
        var usedRing = ring.UsedRing;
        var idx = ring.AvailIdx;
        var mask = ring.Size - 1;
        while (seen != used)
        {
            avail[idx & mask] = (ushort)usedRing[seen & mask].id;
            idx++;
            seen++;
        }
        ring.AvailIdx = idx;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_shortBatches > 0 || _port.Failure is not null)
        {
            // A batch of fewer than 32 frames means a ring ran dry: the figures would not be per 32 frames.
            throw new InvalidOperationException($"{_shortBatches} short batches; port failure: {_port.Failure ?? "none"}");
        }
        _guest.Dispose();
        _port.Dispose();
        _fromGuest.Dispose();
        _toGuest.Dispose();
        _dir.Delete(recursive: true);
    }
}
