using System.Buffers.Binary;
using System.Diagnostics;
using VSwitch.Interop;
using VSwitch.Ports.Linux.Tests.VhostUser.Frontend;
using Xunit.Abstractions;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>
/// The test frontend against a reference vhost-user back-end: DPDK testpmd's vhost PMD with two ports and io
/// forwarding, so that every frame one frontend sends comes out of the other, byte for byte. Skips only where
/// testpmd is not installed or cannot start.
/// </summary>
[Collection(PrivilegedCollection.Name)]
public sealed class TestpmdFrontendTests(ITestOutputHelper output)
{
    private const int FrameCount = 1000;
    private static readonly TimeSpan s_receiveTimeout = TimeSpan.FromSeconds(5);
    private static readonly int[] s_sizes = [60, 64, 65, 128, 333, 511, 512, 1000, 1024, 1400, 1500, 1514];

    private static readonly ulong s_modernNoMergeable = FrontendOptions.Modern & ~FrontendOptions.Bit(LibC.VIRTIO_NET_F_MRG_RXBUF);

    [SkippableFact]
    public void MergeableRxBuffers_1000FramesEachWay_ArriveIntact() =>
        Run(new FrontendOptions(FrontendOptions.Modern), expectMergeable: true);

    [SkippableFact]
    public void WithoutMergeableRxBuffers_1000FramesEachWay_ArriveIntact() =>
        Run(new FrontendOptions(s_modernNoMergeable), expectMergeable: false);

    [SkippableFact]
    public void LegacyTenByteHeader_1000FramesEachWay_ArriveIntact()
    {
        // Neither VERSION_1 nor MRG_RXBUF: the header is the 10-byte struct virtio_net_hdr. Without EVENT_IDX either,
        // so notifications are suppressed through the rings' flags.
        Run(new FrontendOptions(FrontendOptions.ProtocolFeatures), expectMergeable: false, expectHeader: 10);
    }

    [SkippableFact]
    public void SplitDescriptors_ThreeRegions_1000FramesEachWay_ArriveIntact() =>
        Run(new FrontendOptions(FrontendOptions.Modern, Regions: 3, SplitDescriptors: true), expectMergeable: true);

    [SkippableFact]
    public void IndirectDescriptors_1000FramesEachWay_ArriveIntact() =>
        Run(new FrontendOptions(s_modernNoMergeable, UseIndirect: true), expectMergeable: false);

    [SkippableFact]
    public void IndirectAndSplitDescriptors_Mergeable_1000FramesEachWay_ArriveIntact() =>
        Run(new FrontendOptions(FrontendOptions.Modern, Regions: 2, SplitDescriptors: true, UseIndirect: true), expectMergeable: true);

    [SkippableFact]
    public void SmallMergeableBuffers_FramesSpanSeveralBuffers_AndJumboFramesPass()
    {
        // 256-byte buffers: a 1514-byte frame takes 6 of them, a 9000-byte one 36 (num_buffers > 1).
        int[] sizes = [60, 244, 245, 1514, 4000, 9014];
        Run(new FrontendOptions(FrontendOptions.Modern, RxBufferSize: 256, MemoryMiB: 32), expectMergeable: true, sizes: sizes, minNumBuffers: 36);
    }

    [SkippableFact]
    public void TwoQueuePairs_EachPairForwardsToTheSamePairOfTheOtherPort()
    {
        using var testpmd = Testpmd.StartOrSkip(ports: 2, queues: 2);
        try
        {
            var options = new FrontendOptions(FrontendOptions.Modern, QueuePairs: 2);
            using var a = VirtioTestFrontend.Connect(testpmd.SocketPath(0), options);
            using var b = VirtioTestFrontend.Connect(testpmd.SocketPath(1), options);
            a.Start();
            b.Start();
            Assert.Equal(2, a.QueuePairs);
            Assert.True(a.BackendQueueNum >= 2, $"GET_QUEUE_NUM said {a.BackendQueueNum}");
            WaitUntilForwarding(a, b, testpmd);
            for (var pair = 0; pair < 2; pair++)
            {
                var frames = MakeFrames(FrameCount / 2, seed: 10 + pair, s_sizes);
                Forward(a, b, pair, frames);
                Forward(b, a, pair, frames);
            }
            Report(a, "a");
            Report(b, "b");
        }
        catch
        {
            output.WriteLine(testpmd.Output);
            throw;
        }
    }

    [SkippableFact]
    public void ClientMode_TestpmdConnectsToListeningFrontends_1000FramesEachWay_ArriveIntact()
    {
        using var testpmd = Testpmd.StartOrSkip(ports: 2, queues: 1, client: true);
        try
        {
            var options = new FrontendOptions(FrontendOptions.Modern);
            using var a = VirtioTestFrontend.Listen(testpmd.SocketPath(0), options, TimeSpan.FromSeconds(10));
            using var b = VirtioTestFrontend.Listen(testpmd.SocketPath(1), options, TimeSpan.FromSeconds(10));
            a.Start();
            b.Start();
            WaitUntilForwarding(a, b, testpmd);
            var frames = MakeFrames(FrameCount, seed: 3, s_sizes);
            Forward(a, b, 0, frames);
            Forward(b, a, 0, frames);
        }
        catch
        {
            output.WriteLine(testpmd.Output);
            throw;
        }
    }

    [SkippableFact]
    public void Reconnect_AFrontendThatLeavesAndComesBack_ForwardsAgain()
    {
        using var testpmd = Testpmd.StartOrSkip(ports: 2, queues: 1);
        try
        {
            var options = new FrontendOptions(FrontendOptions.Modern);
            using var b = VirtioTestFrontend.Connect(testpmd.SocketPath(1), options);
            b.Start();
            using (var first = VirtioTestFrontend.Connect(testpmd.SocketPath(0), options))
            {
                first.Start();
                WaitUntilForwarding(first, b, testpmd);
                Forward(first, b, 0, MakeFrames(100, seed: 4, s_sizes));
                first.Disconnect();
            }
            using var second = VirtioTestFrontend.Connect(testpmd.SocketPath(0), options);
            second.Start();
            WaitUntilForwarding(second, b, testpmd);
            Forward(second, b, 0, MakeFrames(100, seed: 5, s_sizes));
            Forward(b, second, 0, MakeFrames(100, seed: 6, s_sizes));
        }
        catch
        {
            output.WriteLine(testpmd.Output);
            throw;
        }
    }

    private void Run(FrontendOptions options, bool expectMergeable, int expectHeader = 12, int[]? sizes = null, int minNumBuffers = 1)
    {
        using var testpmd = Testpmd.StartOrSkip(ports: 2, queues: 1);
        try
        {
            using var a = VirtioTestFrontend.Connect(testpmd.SocketPath(0), options);
            using var b = VirtioTestFrontend.Connect(testpmd.SocketPath(1), options);
            a.Start();
            b.Start();
            Assert.Equal(expectMergeable, a.Mergeable);
            Assert.Equal(expectHeader, a.HeaderLength);
            Assert.Equal(1, a.QueuePairs);
            WaitUntilForwarding(a, b, testpmd);
            var frames = MakeFrames(FrameCount, seed: 1, sizes ?? s_sizes);
            var clock = Stopwatch.StartNew();
            var maxBuffers = Forward(a, b, 0, frames, output.WriteLine);
            Forward(b, a, 0, MakeFrames(FrameCount, seed: 2, sizes ?? s_sizes), output.WriteLine);
            output.WriteLine($"{2 * FrameCount} frames in {clock.ElapsedMilliseconds} ms; most buffers per frame {maxBuffers}");
            Assert.True(maxBuffers >= minNumBuffers, $"the largest frame took {maxBuffers} buffers, expected at least {minNumBuffers}");
            Report(a, "a");
            Report(b, "b");
        }
        catch
        {
            output.WriteLine(testpmd.Output);
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="frames"/> from <paramref name="sender"/> and receives them on <paramref name="receiver"/>,
    /// keeping so few in flight that the receiver's ring never runs dry (testpmd drops what it cannot place);
    /// asserts each arrives intact and in order, and returns the most buffers one frame took.
    /// </summary>
    private static int Forward(VirtioTestFrontend sender, VirtioTestFrontend receiver, int pair, IReadOnlyList<byte[]> frames, Action<string>? log = null)
    {
        var largest = frames.Max(f => f.Length) + receiver.HeaderLength;
        var buffersPerFrame = receiver.Mergeable ? (largest + receiver.RxBufferSize - 1) / receiver.RxBufferSize : 1;
        var window = Math.Clamp(receiver.RxBuffersPerRing / buffersPerFrame / 2, 1, 64);
        var received = 0;
        var maxBuffers = 0;
        var completedBefore = sender.CompletedSends(pair);
        var numBuffersSeen = new SortedSet<int>();
        void ReceiveOne()
        {
            Assert.True(receiver.TryReceive(pair, out var frame, out var header, s_receiveTimeout),
                $"pair {pair}: frame {received} of {frames.Count} did not arrive within {s_receiveTimeout.TotalSeconds} s");
            Assert.True(frames[received].AsSpan().SequenceEqual(frame),
                $"pair {pair}: frame {received} differs: sent {frames[received].Length} bytes, received {frame.Length}");
            Assert.Equal(default, header);
            maxBuffers = Math.Max(maxBuffers, receiver.Mergeable ? receiver.LastNumBuffers : 1);
            numBuffersSeen.Add(receiver.LastNumBuffers);
            received++;
        }
        for (var i = 0; i < frames.Count; i++)
        {
            sender.Send(pair, frames[i]);
            while (i + 1 - received > window)
            {
                ReceiveOne();
            }
        }
        while (received < frames.Count)
        {
            ReceiveOne();
        }
        Assert.False(receiver.TryReceive(pair, out _, out _, TimeSpan.FromMilliseconds(50)), "a frame arrived that was not sent");
        var clock = Stopwatch.StartNew();
        while (sender.CompletedSends(pair) - completedBefore < frames.Count && clock.Elapsed < s_receiveTimeout)
        {
            Thread.Sleep(1); // the completions come from testpmd's own thread; poll them until the timeout
        }
        Assert.Equal(frames.Count, sender.CompletedSends(pair) - completedBefore);
        log?.Invoke($"pair {pair}: {frames.Count} frames; num_buffers values seen: {string.Join(", ", numBuffersSeen)}");
        return maxBuffers;
    }

    /// <summary>
    /// testpmd forwards only once both ports' devices are ready; until then it drops. Probe with marked frames until
    /// one goes through, then drain the probes.
    /// </summary>
    private static void WaitUntilForwarding(VirtioTestFrontend a, VirtioTestFrontend b, Testpmd testpmd)
    {
        var probe = MakeFrames(1, seed: 99, [64])[0];
        var clock = Stopwatch.StartNew();
        for (var pair = 0; pair < a.QueuePairs; pair++)
        {
            while (true)
            {
                a.Send(pair, probe);
                if (b.TryReceive(pair, out var frame, out _, TimeSpan.FromMilliseconds(100)))
                {
                    Assert.Equal(probe, frame);
                    break;
                }
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"testpmd forwarded nothing within 10 s:\n{testpmd.Output}");
            }
            while (b.TryReceive(pair, out _, out _, TimeSpan.FromMilliseconds(50)))
            {
            }
            while (a.TryReceive(pair, out _, out _, TimeSpan.FromMilliseconds(10)))
            {
            }
        }
    }

    private void Report(VirtioTestFrontend f, string name)
    {
        output.WriteLine($"{name}: backend features 0x{f.BackendFeatures:x}, negotiated 0x{f.NegotiatedFeatures:x}, protocol 0x{f.BackendProtocolFeatures:x}/0x{f.NegotiatedProtocolFeatures:x}, GET_QUEUE_NUM {f.BackendQueueNum}, header {f.HeaderLength}, {f.RxBuffersPerRing} rx buffers of {f.RxBufferSize} bytes");
        for (var q = 0; q < f.QueuePairs; q++)
        {
            var rx = f.Ring(2 * q);
            var tx = f.Ring((2 * q) + 1);
            output.WriteLine($"  pair {q}: rx calls {f.Calls(q, tx: false)}, tx calls {f.Calls(q, tx: true)}; rx kicks {rx.Kicks} (suppressed {rx.SuppressedKicks}), tx kicks {tx.Kicks} (suppressed {tx.SuppressedKicks})");
        }
    }

    /// <summary>Ethernet frames (local experimental EtherType 0x88B5) with a sequence number and seeded random bytes.</summary>
    private static List<byte[]> MakeFrames(int count, int seed, int[] sizes)
    {
        var random = new Random(seed);
        var frames = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var frame = new byte[sizes[i % sizes.Length]];
            random.NextBytes(frame);
            frame[0] = 0x02;
            frame[6] = 0x02;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x88B5);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(14), i);
            frames.Add(frame);
        }
        return frames;
    }
}
