using System.Runtime.InteropServices;
using VSwitch.Interop;
using VSwitch.Ports.Linux.VhostUser;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>The guest's memory table: mapping, both translations, and the refusals that keep every access inside a region.</summary>
public sealed unsafe class GuestMemoryTests : IDisposable
{
    private readonly List<int> _fds = [];

    private int MemFd(long size)
    {
        int fd;
        using (var name = new NativeUtf8String("vswitch-test"))
        {
            fd = TmdsLibC.memfd_create(name.Pointer, LibC.MFD_CLOEXEC);
        }
        Assert.True(fd >= 0);
        Assert.Equal(0, TmdsLibC.ftruncate(fd, size));
        _fds.Add(fd);
        return fd;
    }

    private static byte[] Table(params VhostUserMemoryRegion[] regions)
    {
        var payload = new byte[8 + (regions.Length * sizeof(VhostUserMemoryRegion))];
        MemoryMarshal.Write(payload, (uint)regions.Length);
        for (var i = 0; i < regions.Length; i++)
        {
            MemoryMarshal.Write(payload.AsSpan(8 + (i * sizeof(VhostUserMemoryRegion))), regions[i]);
        }
        return payload;
    }

    private static VhostUserMemoryRegion Region(ulong guest, ulong size, ulong user, ulong offset = 0) =>
        new() { GuestPhysAddr = guest, MemorySize = size, UserspaceAddr = user, MmapOffset = offset };

    [Fact]
    public void Map_TwoRegions_TranslatesGuestAndUserAddressesIntoTheRightFileOffsets()
    {
        var fd = MemFd(3 << 20);
        using var memory = GuestMemory.Map(Table(Region(0x0, 1 << 20, 0x7f00_0000_0000), Region(0x1_0000_0000, 1 << 20, 0x7f00_1000_0000, 2 << 20)), [fd, fd]);
        var a = memory.TranslateGuest(0x100, out var contiguousA);
        var b = memory.TranslateGuest(0x1_0000_0010, out var contiguousB);
        Assert.True(a != null && b != null);
        Assert.Equal((ulong)(1 << 20) - 0x100, contiguousA);
        Assert.Equal((ulong)(1 << 20) - 0x10, contiguousB);
        *a = 0xAB;
        *b = 0xCD;
        // The same bytes through the file: region 1 starts at offset 2 MiB.
        var check = (byte*)TmdsLibC.mmap(null, 3 << 20, LibC.PROT_READ, LibC.MAP_SHARED, fd, 0);
        Assert.Equal(0xAB, check[0x100]);
        Assert.Equal(0xCD, check[(2 << 20) + 0x10]);
        TmdsLibC.munmap(check, 3 << 20);
        Assert.True(memory.TranslateUser(0x7f00_1000_0010, 16) == b);
    }

    [Fact]
    public void Translate_OutsideEveryRegion_OrAcrossTheEnd_IsRefused()
    {
        var fd = MemFd(1 << 20);
        using var memory = GuestMemory.Map(Table(Region(0x1000_0000, 1 << 20, 0x5000_0000)), [fd]);
        Assert.True(memory.TranslateGuest(0x0FFF_FFFF, out var none) == null && none == 0);
        Assert.True(memory.TranslateGuest(0x1000_0000 + (1 << 20), out _) == null);
        Assert.True(memory.TranslateGuest(0x1000_0000 + (1 << 20) - 1, out var last) != null && last == 1);
        Assert.True(memory.TranslateUser(0x5000_0000 + (1 << 20) - 8, 16) == null);
        Assert.True(memory.TranslateUser(ulong.MaxValue - 4, 16) == null);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void Map_RegionCountOutOfRange_IsRefused(uint count)
    {
        var payload = new byte[8 + (9 * 32)];
        MemoryMarshal.Write(payload, count);
        Assert.Throws<VhostUserException>(() => GuestMemory.Map(payload, []));
    }

    [Fact]
    public void Map_RegionLargerThanItsFile_IsRefused_SoNoAccessCanFaultPastIt()
    {
        var fd = MemFd(1 << 20);
        var e = Assert.Throws<VhostUserException>(() => GuestMemory.Map(Table(Region(0, 2 << 20, 0x1000)), [fd]));
        Assert.Contains("file", e.Message);
        Assert.Throws<VhostUserException>(() => GuestMemory.Map(Table(Region(0, 1 << 20, 0x1000, 4096)), [fd]));
    }

    [Fact]
    public void Map_OverlappingEmptyOrWrappingRegions_OrTooFewDescriptors_AreRefused()
    {
        var fd = MemFd(4 << 20);
        Assert.Throws<VhostUserException>(() => GuestMemory.Map(Table(Region(0, 2 << 20, 0x10_0000_0000), Region(1 << 20, 1 << 20, 0x20_0000_0000, 2 << 20)), [fd, fd]));
        Assert.Throws<VhostUserException>(() => GuestMemory.Map(Table(Region(0, 0, 0x1000)), [fd]));
        Assert.Throws<VhostUserException>(() => GuestMemory.Map(Table(Region(ulong.MaxValue - 100, 4096, 0x1000)), [fd]));
        Assert.Throws<VhostUserException>(() => GuestMemory.Map(Table(Region(0, 4096, 0x1000), Region(1 << 20, 4096, 0x2000)), [fd]));
        Assert.Throws<VhostUserException>(() => GuestMemory.Map(Table(Region(0, 4096, 0x1000))[..20], [fd]));
    }

    public void Dispose()
    {
        foreach (var fd in _fds)
        {
            TmdsLibC.close(fd);
        }
    }
}
