using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

/// <summary>One region of the guest's RAM: a memfd shared with the back-end, and where it lives in each address space.</summary>
/// <param name="Index">Its place in the memory table (and in the fds of <c>SET_MEM_TABLE</c>).</param>
/// <param name="GuestPhysicalAddress">Its start in the guest-physical space (what descriptors hold).</param>
/// <param name="UserspaceAddress">Its start in the front-end's "virtual" space (what <c>SET_VRING_ADDR</c> holds); a made-up
/// value, never this process's real mapping, so that a back-end that mixes up the two spaces fails.</param>
/// <param name="MmapOffset">Where the region starts in its memfd (non-zero, so that a back-end that ignores it fails).</param>
/// <param name="Size">Its length in bytes.</param>
/// <param name="Fd">The memfd.</param>
/// <param name="Host">Where this process mapped the region.</param>
internal sealed record GuestMemoryRegion(int Index, ulong GuestPhysicalAddress, ulong Size, ulong UserspaceAddress, ulong MmapOffset, int Fd, nint Host)
{
    public bool ContainsGuest(ulong gpa, ulong length) =>
        gpa >= GuestPhysicalAddress && length <= Size && gpa - GuestPhysicalAddress <= Size - length;

    public bool ContainsUser(ulong ua, ulong length) =>
        ua >= UserspaceAddress && length <= Size && ua - UserspaceAddress <= Size - length;
}

/// <summary>
/// The guest's RAM as the front-end owns it: <c>Regions</c> memfds mapped <c>MAP_SHARED</c> into this process, laid
/// out at non-contiguous guest-physical addresses and at made-up front-end addresses, with translation from both
/// spaces and a small allocator for rings, descriptor tables and packet buffers. Allocations go round-robin over the
/// regions so that one chain's buffers, and one ring's three parts, usually sit in different regions.
/// </summary>
internal sealed unsafe class GuestMemoryView : IDisposable
{
    private const ulong PageSize = 4096;
    private const ulong GuestBase = 1UL << 32;
    private const ulong UserBase = 0x5a5a_0000_0000UL;

    private readonly GuestMemoryRegion[] _regions;
    private readonly List<(ulong Start, ulong Length)>[] _free;
    private readonly Dictionary<ulong, (int Region, ulong Length)> _allocated = [];
    private readonly Lock _lock = new();
    private int _nextRegion;
    private bool _disposed;

    private GuestMemoryView(GuestMemoryRegion[] regions)
    {
        _regions = regions;
        _free = [.. regions.Select(r => new List<(ulong, ulong)> { (r.GuestPhysicalAddress, r.Size) })];
    }

    public IReadOnlyList<GuestMemoryRegion> Regions => _regions;

    public ulong TotalSize => (ulong)_regions.Sum(r => (long)r.Size);

    /// <summary>The regions as <c>SET_MEM_TABLE</c> describes them, in the order of <see cref="Fds"/>.</summary>
    public IReadOnlyList<VhostUserMemoryRegion> Table =>
        [.. _regions.Select(r => new VhostUserMemoryRegion(r.GuestPhysicalAddress, r.Size, r.UserspaceAddress, r.MmapOffset))];

    public int[] Fds => [.. _regions.Select(r => r.Fd)];

    /// <summary>A guest-physical address in no region: between the first two regions, or past the last.</summary>
    public ulong AddressOutsideEveryRegion => _regions[^1].GuestPhysicalAddress + _regions[^1].Size + (1UL << 30);

    /// <summary>Bytes the allocator can still hand out (all regions).</summary>
    public ulong BytesFree
    {
        get
        {
            lock (_lock)
            {
                return (ulong)_free.Sum(list => list.Sum(b => (long)b.Length));
            }
        }
    }

    /// <summary>Creates <paramref name="memoryMiB"/> MiB of guest RAM split into <paramref name="regions"/> memfd regions.</summary>
    public static GuestMemoryView Create(int memoryMiB, int regions)
    {
        if (regions is < 1 or > VhostUserFlags.MaxRegions)
        {
            throw new ArgumentOutOfRangeException(nameof(regions), regions, $"1 to {VhostUserFlags.MaxRegions} regions");
        }
        var size = ((ulong)memoryMiB << 20) / (ulong)regions / PageSize * PageSize;
        if (size < 16 * PageSize || size > (1UL << 32) - (1UL << 20))
        {
            throw new ArgumentOutOfRangeException(nameof(memoryMiB), memoryMiB, $"{regions} regions of {size} bytes each: need 64 KiB to 4 GiB each");
        }
        var created = new List<GuestMemoryRegion>();
        try
        {
            for (var i = 0; i < regions; i++)
            {
                // 4 GiB apart with a 1 MiB-per-region skew: never contiguous, never at 0, not identity-mapped to anything.
                var gpa = (GuestBase * (ulong)(i + 1)) + ((ulong)i << 20);
                var ua = UserBase + ((ulong)i << 36) + ((ulong)(i + 3) << 21);
                var offset = PageSize * 16 * (ulong)(i + 1);
                created.Add(MapRegion(i, gpa, size, ua, offset));
            }
            return new GuestMemoryView([.. created]);
        }
        catch
        {
            foreach (var r in created)
            {
                Unmap(r);
            }
            throw;
        }
    }

    /// <summary>The region holding <paramref name="length"/> bytes at guest-physical <paramref name="gpa"/>, or null.</summary>
    public GuestMemoryRegion? RegionOf(ulong gpa, ulong length = 1)
    {
        foreach (var r in _regions)
        {
            if (r.ContainsGuest(gpa, length))
            {
                return r;
            }
        }
        return null;
    }

    /// <summary>This process's pointer to guest-physical <paramref name="gpa"/>; throws unless the whole range is in one region.</summary>
    public byte* Host(ulong gpa, ulong length)
    {
        var r = RegionOf(gpa, Math.Max(length, 1))
            ?? throw new ArgumentOutOfRangeException(nameof(gpa), $"guest-physical 0x{gpa:x} (+{length}) is not inside one region");
        return (byte*)r.Host + (gpa - r.GuestPhysicalAddress);
    }

    /// <summary>The guest memory at <paramref name="gpa"/> as a span.</summary>
    public Span<byte> Span(ulong gpa, int length) => new(Host(gpa, (ulong)length), length);

    /// <summary>The front-end ("QEMU virtual") address of guest-physical <paramref name="gpa"/>.</summary>
    public ulong UserAddress(ulong gpa)
    {
        var r = RegionOf(gpa) ?? throw new ArgumentOutOfRangeException(nameof(gpa), $"guest-physical 0x{gpa:x} is in no region");
        return r.UserspaceAddress + (gpa - r.GuestPhysicalAddress);
    }

    /// <summary>The guest-physical address of front-end address <paramref name="ua"/>.</summary>
    public ulong GuestAddressOfUser(ulong ua)
    {
        foreach (var r in _regions)
        {
            if (r.ContainsUser(ua, 1))
            {
                return r.GuestPhysicalAddress + (ua - r.UserspaceAddress);
            }
        }
        throw new ArgumentOutOfRangeException(nameof(ua), $"front-end address 0x{ua:x} is in no region");
    }

    /// <summary>
    /// Allocates <paramref name="size"/> bytes inside one region, aligned to <paramref name="alignment"/> (a power of
    /// two), trying the regions round-robin; returns the guest-physical address. Throws when no region has room.
    /// </summary>
    public ulong Allocate(int size, int alignment = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "a power of two");
        }
        var length = ((ulong)size + 15) & ~15UL;
        var mask = (ulong)alignment - 1;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            for (var k = 0; k < _regions.Length; k++)
            {
                var region = (_nextRegion + k) % _regions.Length;
                var free = _free[region];
                for (var b = 0; b < free.Count; b++)
                {
                    var (start, blockLength) = free[b];
                    var aligned = (start + mask) & ~mask;
                    var end = start + blockLength;
                    if (aligned + length > end)
                    {
                        continue;
                    }
                    free.RemoveAt(b);
                    if (aligned + length < end)
                    {
                        free.Insert(b, (aligned + length, end - aligned - length));
                    }
                    if (aligned > start)
                    {
                        free.Insert(b, (start, aligned - start));
                    }
                    _allocated.Add(aligned, (region, length));
                    _nextRegion = (region + 1) % _regions.Length;
                    return aligned;
                }
            }
        }
        throw new InsufficientMemoryException(
            $"guest memory exhausted: no region has {size} free bytes (aligned {alignment}); raise FrontendOptions.MemoryMiB (now {TotalSize >> 20} MiB)");
    }

    /// <summary>Returns an allocation to the allocator.</summary>
    public void Free(ulong gpa)
    {
        lock (_lock)
        {
            if (!_allocated.Remove(gpa, out var a))
            {
                throw new ArgumentException($"guest-physical 0x{gpa:x} was not allocated", nameof(gpa));
            }
            var free = _free[a.Region];
            var at = 0;
            while (at < free.Count && free[at].Start < gpa)
            {
                at++;
            }
            free.Insert(at, (gpa, a.Length));
            // Coalesce with the next block, then with the previous one.
            if (at + 1 < free.Count && free[at].Start + free[at].Length == free[at + 1].Start)
            {
                free[at] = (free[at].Start, free[at].Length + free[at + 1].Length);
                free.RemoveAt(at + 1);
            }
            if (at > 0 && free[at - 1].Start + free[at - 1].Length == free[at].Start)
            {
                free[at - 1] = (free[at - 1].Start, free[at - 1].Length + free[at].Length);
                free.RemoveAt(at);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        foreach (var r in _regions)
        {
            Unmap(r);
        }
    }

    private static GuestMemoryRegion MapRegion(int index, ulong gpa, ulong size, ulong ua, ulong offset)
    {
        int fd;
        using (var name = new NativeUtf8String($"vswitch-guest-ram-{index}"))
        {
            fd = TmdsLibC.memfd_create(name.Pointer, LibC.MFD_CLOEXEC);
        }
        if (fd < 0)
        {
            throw new IOException($"memfd_create failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        var fileLength = offset + size;
        if (TmdsLibC.ftruncate(fd, (long)fileLength) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = TmdsLibC.close(fd);
            throw new IOException($"ftruncate(memfd, {fileLength}) failed: {LibC.StrError(errno)}");
        }
        var map = TmdsLibC.mmap(null, (Tmds.Linux.size_t)fileLength, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        if (map == LibC.MAP_FAILED)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = TmdsLibC.close(fd);
            throw new IOException($"mmap(memfd, {fileLength}) failed: {LibC.StrError(errno)}");
        }
        var host = (nint)((byte*)map + offset);
        if ((ulong)host < ua + size && ua < (ulong)host + size)
        {
            // The made-up front-end address must not be the real one, or a back-end's confusion would go unnoticed.
            ua += 1UL << 40;
        }
        return new GuestMemoryRegion(index, gpa, size, ua, offset, fd, host);
    }

    private static void Unmap(GuestMemoryRegion r)
    {
        _ = TmdsLibC.munmap((byte*)r.Host - r.MmapOffset, (Tmds.Linux.size_t)(r.MmapOffset + r.Size));
        _ = TmdsLibC.close(r.Fd);
    }
}
