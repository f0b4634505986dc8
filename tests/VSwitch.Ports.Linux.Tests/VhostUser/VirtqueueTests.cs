using System.Runtime.InteropServices;
using VSwitch.Interop;
using VSwitch.Ports.Linux.VhostUser;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>Where a split ring resumes when the front-end (re)starts it with SET_VRING_BASE.</summary>
public sealed unsafe class VirtqueueTests : IDisposable
{
    private const int Size = 256;
    private const ulong User = 0x7f00_0000_0000;
    private const ulong Desc = 0, Avail = 0x1000, Used = 0x2000;
    private readonly int _fd;
    private readonly GuestMemory _memory;
    private readonly byte* _base;

    public VirtqueueTests()
    {
        using (var name = new NativeUtf8String("vswitch-virtqueue-test"))
        {
            _fd = TmdsLibC.memfd_create(name.Pointer, LibC.MFD_CLOEXEC);
        }
        Assert.Equal(0, TmdsLibC.ftruncate(_fd, 1 << 20));
        var table = new byte[8 + sizeof(VhostUserMemoryRegion)];
        MemoryMarshal.Write(table, 1u);
        MemoryMarshal.Write(table.AsSpan(8), new VhostUserMemoryRegion { GuestPhysAddr = 0, MemorySize = 1 << 20, UserspaceAddr = User });
        _memory = GuestMemory.Map(table, [_fd]);
        _base = _memory.TranslateUser(User, 1 << 20);
        for (var i = 0; i < Size; i++)
        {
            ((vring_desc*)(_base + Desc))[i] = new vring_desc { addr = 0x10000 + ((ulong)i * 2048), len = 2048 };
        }
    }

    /// <summary>The driver has used <paramref name="used"/> entries and made <paramref name="avail"/> available, heads in order.</summary>
    private void Rings(ushort used, ushort avail)
    {
        *(ushort*)(_base + Used + 2) = used;
        *(ushort*)(_base + Avail + 2) = avail;
        for (var i = 0; i < Size; i++)
        {
            ((ushort*)(_base + Avail + 4))[i] = (ushort)i;
        }
    }

    private Virtqueue Start(ushort requestedBase)
    {
        var addr = new vhost_vring_addr { desc_user_addr = User + Desc, avail_user_addr = User + Avail, used_user_addr = User + Used };
        return new Virtqueue(0, _memory, Size, in addr, requestedBase, eventIdx: false, indirect: false, callFd: -1);
    }

    [Fact]
    public void BaseAtTheUsedIndex_IsTakenAsGiven()
    {
        Rings(used: 9, avail: 265);
        var ring = Start(9);
        Assert.Null(ring.RequestedBase);
        Assert.Equal(9, ring.Pop());
        Assert.Equal(9 + 1, ring.LastAvail);
    }

    [Fact]
    public void BaseZeroOnRunningRings_AsVirtioUserSendsAfterAReconnect_ResumesFromTheUsedIndex()
    {
        // 9 chains used, 256 more made available: from 0 that would be 265 ahead, more than the ring holds.
        Rings(used: 9, avail: 265);
        var ring = Start(0);
        Assert.Equal((ushort)0, ring.RequestedBase);
        var popped = 0;
        while (ring.Pop() >= 0)
        {
            popped++;
        }
        Assert.Null(ring.Error);
        Assert.Equal(Size, popped);
        Assert.Equal(265, ring.LastAvail);
    }

    [Fact]
    public void IndexThatJumpsPastTheRing_FromTheUsedIndex_StillBreaksTheRing()
    {
        Rings(used: 9, avail: 9 + Size + 1);
        var ring = Start(0);
        Assert.Equal(-2, ring.Pop());
        Assert.Contains("more than the ring's 256", ring.Error);
    }

    [Fact]
    public void WrappedIndices_ResumeAcrossTheWrap()
    {
        Rings(used: 65530, avail: 4);
        var ring = Start(0);
        var popped = 0;
        while (ring.Pop() >= 0)
        {
            popped++;
        }
        Assert.Null(ring.Error);
        Assert.Equal(10, popped);
    }

    [Fact]
    public void Prefetch_OverHostileEntries_ChangesNothing_AndThePopThatFollowsStillChecks()
    {
        Rings(used: 0, avail: 4);
        var heads = (ushort*)(_base + Avail + 4);
        heads[1] = 60000;                                                        // beyond the ring
        ((vring_desc*)(_base + Desc))[2] = new vring_desc { addr = ulong.MaxValue - 8, len = 64 };  // outside the memory
        var ring = Start(0);
        ring.Prefetch(32);                                                       // more than available
        *(ushort*)(_base + Avail + 2) = 60000;                                   // an index far past the ring
        ring.Prefetch(32);
        *(ushort*)(_base + Avail + 2) = 4;
        Assert.Equal(0, ring.LastAvail);
        Assert.Null(ring.Error);
        Assert.Equal(0, ring.Pop());
        Assert.Equal(-2, ring.Pop());
        Assert.Contains("beyond the ring", ring.Error);
    }

    public void Dispose()
    {
        _memory.Dispose();
        TmdsLibC.close(_fd);
    }
}
