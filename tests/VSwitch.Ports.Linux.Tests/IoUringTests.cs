using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests;

/// <summary>The io_uring wrapper on its own: vectored reads and writes on a pipe, batches, errors, ring wrap-around.</summary>
public sealed unsafe class IoUringTests : IDisposable
{
    private readonly IoUring _ring;
    private readonly int _read;
    private readonly int _write;

    public IoUringTests()
    {
        IoUringSupport.SkipIfMissing();
        Assert.True(IoUring.TryCreate(8, out var ring, out var error), error);
        _ring = ring;
        var fds = stackalloc int[2];
        Assert.True(TmdsLibC.pipe2(fds, LibC.O_NONBLOCK | LibC.O_CLOEXEC) == 0, LibC.StrError(Marshal.GetLastPInvokeError()));
        _read = fds[0];
        _write = fds[1];
    }

    public void Dispose()
    {
        _ring.Dispose();
        _ = TmdsLibC.close(_read);
        _ = TmdsLibC.close(_write);
    }

    [SkippableFact]
    public void TryCreate_RoundsUpAndSizesTheCompletionRingTwice()
    {
        Assert.True(IoUring.TryCreate(5, out var ring, out var error), error);
        using (ring)
        {
            Assert.Equal(8u, ring.Entries);
            Assert.Equal(16u, ring.CompletionEntries);
            Assert.NotEqual(0u, ring.Features & LibC.IORING_FEAT_NODROP);
        }
    }

    [SkippableFact]
    public void WritevThenReadv_MoveTheBytesOfEveryIovecAndReturnTheirUserData()
    {
        var out1 = "abc"u8.ToArray();
        var out2 = "defgh"u8.ToArray();
        var in1 = new byte[4];
        var in2 = new byte[10];
        fixed (byte* o1 = out1, o2 = out2, i1 = in1, i2 = in2)
        {
            var iov = stackalloc iovec[2];
            iov[0] = new iovec { iov_base = o1, iov_len = 3 };
            iov[1] = new iovec { iov_base = o2, iov_len = 5 };
            _ring.QueueVectored(LibC.IORING_OP_WRITEV, _write, iov, 2, 0, 0x1234_5678_9abc);
            Assert.Equal(0, _ring.SubmitAndWait(1));
            Assert.True(_ring.TryReap(out var cqe));
            Assert.Equal(0x1234_5678_9abcUL, cqe.user_data);
            Assert.Equal(8, cqe.res);
            Assert.False(_ring.TryReap(out _));

            iov[0] = new iovec { iov_base = i1, iov_len = 4 };
            iov[1] = new iovec { iov_base = i2, iov_len = 10 };
            _ring.QueueVectored(LibC.IORING_OP_READV, _read, iov, 2, LibC.RWF_NOWAIT, 42);
            Assert.Equal(0, _ring.SubmitAndWait(1));
            Assert.True(_ring.TryReap(out cqe));
            Assert.Equal(42UL, cqe.user_data);
            Assert.Equal(8, cqe.res);
        }
        Assert.Equal("abcd"u8.ToArray(), in1);
        Assert.Equal("efgh"u8.ToArray(), in2.AsSpan(0, 4).ToArray());
    }

    [SkippableFact]
    public void Readv_EmptyPipeWithNowait_CompletesDuringSubmissionWithMinusEagain()
    {
        // Submitted without waiting, so that a read io_uring parked (a poll armed for data) fails the test, not hangs it.
        var buffer = new byte[16];
        fixed (byte* b = buffer)
        {
            var iov = new iovec { iov_base = b, iov_len = 16 };
            _ring.QueueVectored(LibC.IORING_OP_READV, _read, &iov, 1, LibC.RWF_NOWAIT, 1);
            Assert.Equal(0, _ring.SubmitAndWait(0));
            Assert.Equal(1u, _ring.Ready);
            Assert.True(_ring.TryReap(out var cqe));
            Assert.Equal(-LibC.EAGAIN, cqe.res);
        }
    }

    [SkippableFact]
    public void Readv_BadFd_CompletesWithMinusEbadf()
    {
        // -1, not a closed descriptor: tests run in parallel and another could reuse the number.
        var buffer = new byte[16];
        fixed (byte* b = buffer)
        {
            var iov = new iovec { iov_base = b, iov_len = 16 };
            _ring.QueueVectored(LibC.IORING_OP_READV, -1, &iov, 1, LibC.RWF_NOWAIT, 9);
            Assert.Equal(0, _ring.SubmitAndWait(1));
            Assert.True(_ring.TryReap(out var cqe));
            Assert.Equal(9UL, cqe.user_data);
            Assert.Equal(-LibC.EBADF, cqe.res);
        }
    }

    [SkippableFact]
    public void FullBatch_OneEnter_CompletesEveryEntryInSubmissionOrderAndThenReportsFull()
    {
        var bytes = new byte[_ring.Entries];
        var received = new byte[_ring.Entries + 1];
        fixed (byte* b = bytes, r = received)
        {
            var iov = stackalloc iovec[(int)_ring.Entries];
            for (var i = 0; i < _ring.Entries; i++)
            {
                bytes[i] = (byte)(100 + i);
                iov[i] = new iovec { iov_base = b + i, iov_len = 1 };
                _ring.QueueVectored(LibC.IORING_OP_WRITEV, _write, &iov[i], 1, LibC.RWF_NOWAIT, (ulong)i);
            }
            Assert.Equal(_ring.Entries, _ring.Queued);
            Assert.Throws<InvalidOperationException>(() => _ring.NextSqe());

            Assert.Equal(0, _ring.SubmitAndWait(_ring.Entries));
            Assert.Equal(0u, _ring.Queued);
            Assert.Equal(_ring.Entries, _ring.Ready);
            var seen = new bool[_ring.Entries];
            while (_ring.TryReap(out var cqe))
            {
                Assert.Equal(1, cqe.res);
                Assert.False(seen[cqe.user_data]);
                seen[cqe.user_data] = true;
            }
            Assert.DoesNotContain(false, seen);

            Assert.Equal((nint)_ring.Entries, LibC.read(_read, r, (nuint)received.Length));
        }
        Assert.Equal(bytes, received.AsSpan(0, bytes.Length).ToArray());
    }

    [SkippableFact]
    public void ManyRounds_WrapTheRingIndicesWithoutLosingOrMixingCompletions()
    {
        // 3 entries a round do not divide 8 or 16, so head and tail cross every slot and wrap at both masks.
        var buffer = new byte[3];
        var iov = stackalloc iovec[3];
        var back = stackalloc byte[4];
        fixed (byte* b = buffer)
        {
            for (var round = 0; round < 200; round++)
            {
                for (var i = 0; i < 3; i++)
                {
                    buffer[i] = (byte)(round + i);
                    iov[i] = new iovec { iov_base = b + i, iov_len = 1 };
                    _ring.QueueVectored(LibC.IORING_OP_WRITEV, _write, &iov[i], 1, 0, (ulong)((round * 3) + i));
                }
                Assert.Equal(0, _ring.SubmitAndWait(3));
                for (var i = 0; i < 3; i++)
                {
                    Assert.True(_ring.TryReap(out var cqe));
                    Assert.Equal(1, cqe.res);
                    Assert.Equal((ulong)((round * 3) + i), cqe.user_data);
                }
                Assert.False(_ring.TryReap(out _));
                Assert.Equal(3, (int)LibC.read(_read, back, 4));
                Assert.Equal((byte)round, back[0]);
                Assert.Equal((byte)(round + 2), back[2]);
            }
        }
    }
}
