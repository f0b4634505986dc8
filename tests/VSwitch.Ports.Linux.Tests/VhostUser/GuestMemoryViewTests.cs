using VSwitch.Interop;
using VSwitch.Ports.Linux.Tests.VhostUser.Frontend;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>The frontend's guest RAM: region layout in both address spaces, translation, and the allocator.</summary>
public sealed unsafe class GuestMemoryViewTests
{
    [Fact]
    public void Regions_AreApartInEveryAddressSpaceAndStartAtANonZeroFileOffset()
    {
        using var memory = GuestMemoryView.Create(memoryMiB: 3, regions: 3);
        Assert.Equal(3, memory.Regions.Count);
        Assert.Equal(3UL << 20, memory.TotalSize);
        for (var i = 0; i < 3; i++)
        {
            var r = memory.Regions[i];
            Assert.Equal(1UL << 20, r.Size);
            Assert.NotEqual(0UL, r.GuestPhysicalAddress);
            Assert.NotEqual(r.GuestPhysicalAddress, r.UserspaceAddress);
            Assert.NotEqual((ulong)r.Host, r.UserspaceAddress);
            Assert.NotEqual(0UL, r.MmapOffset);
            if (i > 0)
            {
                var previous = memory.Regions[i - 1];
                Assert.True(r.GuestPhysicalAddress > previous.GuestPhysicalAddress + previous.Size, "guest-physical regions are not contiguous");
                Assert.NotEqual(r.GuestPhysicalAddress - previous.GuestPhysicalAddress, r.UserspaceAddress - previous.UserspaceAddress);
            }
        }
        Assert.Equal(memory.Regions.Select(r => r.Fd), memory.Fds);
        Assert.Equal(memory.Regions.Select(r => r.GuestPhysicalAddress), memory.Table.Select(t => t.GuestPhysicalAddress));
    }

    [Fact]
    public void RegionBytes_AreTheMemfdsBytesAtItsMmapOffset()
    {
        using var memory = GuestMemoryView.Create(memoryMiB: 2, regions: 2);
        var r = memory.Regions[1];
        memory.Span(r.GuestPhysicalAddress + 100, 4).Fill(0xAB);
        // What a back-end does: map the fd from 0 and add the offset.
        var length = (Tmds.Linux.size_t)(r.MmapOffset + r.Size);
        var map = (byte*)TmdsLibC.mmap(null, length, LibC.PROT_READ, LibC.MAP_SHARED, r.Fd, 0);
        Assert.True(map != LibC.MAP_FAILED);
        try
        {
            Assert.Equal(0xAB, map[r.MmapOffset + 100]);
            Assert.Equal(0, map[100]);
        }
        finally
        {
            _ = TmdsLibC.munmap(map, length);
        }
    }

    [Fact]
    public void Translation_GoesBothWaysAndRefusesAddressesOutsideOrAcrossRegions()
    {
        using var memory = GuestMemoryView.Create(memoryMiB: 2, regions: 2);
        var r = memory.Regions[1];
        var gpa = r.GuestPhysicalAddress + 0x1234;
        Assert.Equal(r.UserspaceAddress + 0x1234, memory.UserAddress(gpa));
        Assert.Equal(gpa, memory.GuestAddressOfUser(r.UserspaceAddress + 0x1234));
        Assert.Equal(r.Host + 0x1234, (nint)memory.Host(gpa, 16));
        Assert.Same(r, memory.RegionOf(gpa));
        Assert.Null(memory.RegionOf(memory.AddressOutsideEveryRegion));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = memory.Host(memory.AddressOutsideEveryRegion, 1); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = memory.Host(r.GuestPhysicalAddress + r.Size - 8, 16); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = memory.Host(ulong.MaxValue - 4, 16); });
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.GuestAddressOfUser(gpa));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.UserAddress(r.UserspaceAddress));
    }

    [Fact]
    public void Allocate_AlignsGoesRoundRobinAndFreeingEverythingCoalescesBack()
    {
        using var memory = GuestMemoryView.Create(memoryMiB: 3, regions: 3);
        var total = memory.BytesFree;
        var addresses = new List<ulong>();
        for (var i = 0; i < 30; i++)
        {
            var gpa = memory.Allocate(100 + i, alignment: 64);
            Assert.Equal(0UL, gpa % 64);
            Assert.NotNull(memory.RegionOf(gpa, (ulong)(100 + i)));
            addresses.Add(gpa);
        }
        Assert.Equal(3, addresses.Take(3).Select(a => memory.RegionOf(a)!.Index).Distinct().Count());
        // Free every other one first, then the rest: the free lists must merge back into one block per region.
        foreach (var a in addresses.Where((_, i) => i % 2 == 0).Concat(addresses.Where((_, i) => i % 2 == 1)))
        {
            memory.Free(a);
        }
        Assert.Equal(total, memory.BytesFree);
        var whole = memory.Allocate((int)memory.Regions[0].Size);
        Assert.NotNull(memory.RegionOf(whole, memory.Regions[0].Size));
        Assert.Throws<ArgumentException>(() => memory.Free(whole + 16));
    }

    [Fact]
    public void Allocate_ThrowsWhenNoRegionHasRoom()
    {
        using var memory = GuestMemoryView.Create(memoryMiB: 1, regions: 2);
        Assert.Throws<InsufficientMemoryException>(() => memory.Allocate((int)memory.Regions[0].Size + 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Allocate(16, alignment: 24));
        Assert.Throws<ArgumentOutOfRangeException>(() => GuestMemoryView.Create(16, regions: 9));
    }
}
