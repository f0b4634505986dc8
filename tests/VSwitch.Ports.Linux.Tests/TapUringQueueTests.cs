using System.Runtime.InteropServices;
using VSwitch.Dataplane.Ports;
using VSwitch.Interop;
using VSwitch.Packets;
using VSwitch.Ports.Linux.Tests.Infrastructure;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests;

/// <summary>
/// The io_uring TAP queue on a Unix datagram socket pair, which keeps frame boundaries as a TAP queue does and lets a
/// test queue frames the TAP driver never produces (a datagram shorter than the virtio-net header) and fill the queue.
/// </summary>
public sealed unsafe class TapUringQueueTests : IDisposable
{
    private static readonly VirtioNetHeader s_gso = Frames.TcpV4GsoHeader();

    private readonly int _fd;
    private int _peer;
    private readonly TapUringQueue _queue;
    private readonly PacketBatch _batch = new(PacketBatch.DefaultBufferSize);
    private PortErrors _errors;

    public TapUringQueueTests()
    {
        IoUringSupport.SkipIfMissing();
        var sv = stackalloc int[2];
        Assert.Equal(0, TmdsLibC.socketpair(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0, sv));
        _fd = sv[0];
        _peer = sv[1];
        Assert.True(TapUringQueue.TryCreate([_fd], out var queues, out var error), error);
        _queue = Assert.Single(queues);
    }

    public void Dispose()
    {
        _queue.Dispose();
        _batch.Dispose();
        _ = TmdsLibC.close(_fd);
        if (_peer >= 0)
        {
            _ = TmdsLibC.close(_peer);
        }
    }

    [SkippableFact]
    public void TryCreate_ProbesWithOneByteNonBlockingWrite()
    {
        // The probe a TAP queue rejects as shorter than its virtio-net header is, on a socket, a 1-byte datagram.
        var buffer = stackalloc byte[16];
        Assert.Equal(1, (int)LibC.recv(_peer, buffer, 16, LibC.MSG_DONTWAIT));
        Assert.Equal(-1, (int)LibC.recv(_peer, buffer, 16, LibC.MSG_DONTWAIT));
    }

    [SkippableFact]
    public void Receive_ShortDatagramBetweenFrames_IsCountedAndTheFramesAfterItMoveUpInOrder()
    {
        SendToQueue(s_gso, "alpha"u8);
        SendToQueue(default, "bravo!"u8);
        SendRaw([1, 2, 3, 4]);                 // shorter than the header: a read error, and a hole in slot 2
        SendToQueue(s_gso with { GsoSize = 1400 }, "charlie"u8);
        SendToQueue(default, "delta"u8);

        var n = Receive(out var hard);
        Assert.Equal(0, hard);
        Assert.Equal(4, n);
        Assert.Equal(4, _batch.Count);
        Assert.Equal(1, _errors.RxErrors);
        Assert.Equal("alpha"u8.ToArray(), _batch[0].Span.ToArray());
        Assert.Equal("bravo!"u8.ToArray(), _batch[1].Span.ToArray());
        Assert.Equal("charlie"u8.ToArray(), _batch[2].Span.ToArray());
        Assert.Equal("delta"u8.ToArray(), _batch[3].Span.ToArray());
        Assert.Equal(s_gso, _batch[0].Vnet);
        Assert.Equal(default, _batch[1].Vnet);
        Assert.Equal(s_gso with { GsoSize = 1400 }, _batch[2].Vnet);
        Assert.Equal(default, _batch[3].Vnet);
        // The frames were moved by swapping buffers: every slot still has a buffer of its own.
        var buffers = new HashSet<nint>();
        for (var i = 0; i < PacketBatch.MaxSize; i++)
        {
            Assert.True(buffers.Add((nint)_batch[i].Data), $"slot {i} shares a buffer");
        }
    }

    [SkippableFact]
    public void Receive_ReadCount_FallsToTheMinimumWhenIdleAndAFilledRoundIsFollowedByASecond()
    {
        Assert.Equal(PacketBatch.MaxSize, _queue.NextReads);
        Assert.Equal(0, Receive(out _));
        Assert.Equal(TapUringQueue.MinReads, _queue.NextReads);

        // 6 frames wait: the first round's 4 reads all fill, so a second round in the same call takes the other 2.
        for (var i = 0; i < 6; i++)
        {
            SendToQueue(default, [(byte)i]);
        }
        Assert.Equal(6, Receive(out _));
        Assert.Equal([0, 1, 2, 3, 4, 5], Payloads());
        Assert.Equal((2 * 6) + TapUringQueue.MinReads, _queue.NextReads);

        // 3 frames: the first round (16 reads) is not filled, so there is no second round.
        for (var i = 6; i < 9; i++)
        {
            SendToQueue(default, [(byte)i]);
        }
        Assert.Equal(3, Receive(out _));
        Assert.Equal([6, 7, 8], Payloads());
        Assert.Equal((2 * 3) + TapUringQueue.MinReads, _queue.NextReads);
        Assert.Equal(0, _errors.RxErrors);
    }

    [SkippableFact]
    public void Transmit_EachFrameBecomesOneDatagramWithItsHeaderInOrder()
    {
        using var tx = new PacketBatch();
        var frames = new[] { "one"u8.ToArray(), "two!"u8.ToArray(), "three"u8.ToArray() };
        var handles = frames.Select(f => GCHandle.Alloc(f, GCHandleType.Pinned)).ToArray();
        try
        {
            for (var i = 0; i < frames.Length; i++)
            {
                var vnet = i == 1 ? s_gso : default;
                tx.Add(new Frame { Data = (byte*)handles[i].AddrOfPinnedObject(), Length = frames[i].Length, Vnet = vnet });
            }
            Assert.Equal(3, _queue.Transmit(tx, ref _errors, out var hard, out _));
            Assert.Equal(0, hard);
        }
        finally
        {
            foreach (var h in handles)
            {
                h.Free();
            }
        }
        DrainProbe();
        for (var i = 0; i < frames.Length; i++)
        {
            var datagram = ReceiveAtPeer();
            Assert.NotNull(datagram);
            Assert.Equal(VirtioNetHeader.Size + frames[i].Length, datagram.Length);
            Assert.Equal(i == 1 ? s_gso : default, MemoryMarshal.Read<VirtioNetHeader>(datagram));
            Assert.Equal(frames[i], datagram[VirtioNetHeader.Size..]);
        }
        Assert.Null(ReceiveAtPeer());
        Assert.Equal(0, _errors.TxErrors);
    }

    [SkippableFact]
    public void Transmit_QueueFull_ReturnsWhatWasTakenWithoutCountingErrors()
    {
        // A small send buffer and a peer that does not read: the kernel takes a few datagrams, then says EAGAIN.
        var size = 4096;
        Assert.Equal(0, TmdsLibC.setsockopt(_fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF, &size, sizeof(int)));
        var frame = new byte[1000];
        using var tx = new PacketBatch();
        fixed (byte* p = frame)
        {
            for (var i = 0; i < PacketBatch.MaxSize; i++)
            {
                tx.Add(new Frame { Data = p, Length = frame.Length });
            }
            var sent = _queue.Transmit(tx, ref _errors, out var hard, out _);
            Assert.Equal(0, hard);
            Assert.InRange(sent, 1, PacketBatch.MaxSize - 1);
            Assert.Equal(0, _errors.TxErrors);
        }
    }

    [SkippableFact]
    public void Transmit_PeerGone_CountsEveryFrameAsATransmitErrorNotAHardOne()
    {
        _ = TmdsLibC.close(_peer);
        _peer = -1;
        var frame = new byte[60];
        using var tx = new PacketBatch();
        fixed (byte* p = frame)
        {
            for (var i = 0; i < 3; i++)
            {
                tx.Add(new Frame { Data = p, Length = frame.Length });
            }
            Assert.Equal(0, _queue.Transmit(tx, ref _errors, out var hard, out _));
            Assert.Equal(0, hard);
            Assert.Equal(3, _errors.TxErrors);
        }
    }

    private int Receive(out int hardErrno)
    {
        _batch.ResetForReceive();
        return _queue.Receive(_batch, ref _errors, out hardErrno, out _);
    }

    private List<int> Payloads()
    {
        var payloads = new List<int>();
        for (var i = 0; i < _batch.Count; i++)
        {
            payloads.Add(_batch[i].Span[0]);
        }
        return payloads;
    }

    private void SendToQueue(VirtioNetHeader vnet, ReadOnlySpan<byte> frame)
    {
        var datagram = new byte[VirtioNetHeader.Size + frame.Length];
        MemoryMarshal.Write(datagram, in vnet);
        frame.CopyTo(datagram.AsSpan(VirtioNetHeader.Size));
        SendRaw(datagram);
    }

    private void SendRaw(byte[] datagram)
    {
        fixed (byte* p = datagram)
        {
            Assert.Equal(datagram.Length, (int)LibC.send(_peer, p, (nuint)datagram.Length, LibC.MSG_DONTWAIT));
        }
    }

    private void DrainProbe()
    {
        var one = stackalloc byte[16];
        Assert.Equal(1, (int)LibC.recv(_peer, one, 16, LibC.MSG_DONTWAIT));
    }

    private byte[]? ReceiveAtPeer()
    {
        var buffer = new byte[2048];
        fixed (byte* p = buffer)
        {
            var n = (int)LibC.recv(_peer, p, (nuint)buffer.Length, LibC.MSG_DONTWAIT);
            return n < 0 ? null : buffer[..n];
        }
    }
}
