using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;
using size_t = Tmds.Linux.size_t;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>
/// The VM's memory as the front-end shared it (SET_MEM_TABLE): each region's file descriptor mapped into the switch,
/// and the two translations the rings need, from guest-physical addresses (descriptors) and from the front-end's
/// virtual addresses (ring locations), to pointers that are checked to stay inside a region.
/// </summary>
/// <remarks>
/// <para><b>Untrusted input.</b> Every address and length comes from the guest or the front-end. A translation
/// answers how many bytes are contiguous from the address within its region (zero when the address is in none), and
/// callers never read or write past that. A region's file is checked (<c>statx</c>) to hold the whole region before
/// it is mapped, so no access can fault past the end of the file. The front-end process itself (QEMU, DPDK) is trusted
/// not to shrink its memory files afterwards, as every vhost-user back-end must.</para>
/// <para><b>Lifetime.</b> Immutable once built. The session replaces it only after every worker has stopped using the
/// rings that point into it, then <see cref="Dispose"/> unmaps it.</para>
/// </remarks>
internal sealed unsafe class GuestMemory : IDisposable
{
    private readonly Region[] _regions;
    private int _disposed;

    private readonly struct Region(ulong guestPhys, ulong user, ulong size, byte* host, byte* mapping, nuint mappingLength)
    {
        public readonly ulong GuestPhys = guestPhys;
        public readonly ulong User = user;
        public readonly ulong Size = size;
        public readonly byte* Host = host;
        public readonly byte* Mapping = mapping;
        public readonly nuint MappingLength = mappingLength;
    }

    private GuestMemory(Region[] regions)
    {
        _regions = regions;
    }

    /// <summary>Regions mapped.</summary>
    public int RegionCount => _regions.Length;

    /// <summary>Bytes mapped over all regions.</summary>
    public ulong TotalSize
    {
        get
        {
            ulong total = 0;
            foreach (var r in _regions)
            {
                total += r.Size;
            }
            return total;
        }
    }

    /// <summary>
    /// Maps the regions of a SET_MEM_TABLE payload with their descriptors (one per region, in order). The descriptors
    /// stay the caller's to close (a mapping does not need them open).
    /// </summary>
    /// <exception cref="VhostUserException">The table is malformed, a region is empty, overlaps another, exceeds its file, or cannot be mapped.</exception>
    public static GuestMemory Map(ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds)
    {
        if (payload.Length < 8)
        {
            throw new VhostUserException($"SET_MEM_TABLE: payload of {payload.Length} bytes, too short for a region count");
        }
        var count = MemoryMarshal.Read<uint>(payload);
        if (count == 0 || count > VhostUserProtocol.MaxRegions)
        {
            throw new VhostUserException($"SET_MEM_TABLE: {count} regions, expected 1 to {VhostUserProtocol.MaxRegions}");
        }
        var size = sizeof(VhostUserMemoryRegion);
        if (payload.Length < 8 + ((int)count * size) || fds.Length != (int)count)
        {
            throw new VhostUserException($"SET_MEM_TABLE: {count} regions need {8 + (count * size)} bytes and {count} file descriptors, got {payload.Length} and {fds.Length}");
        }
        var regions = new List<Region>((int)count);
        try
        {
            for (var i = 0; i < (int)count; i++)
            {
                var d = MemoryMarshal.Read<VhostUserMemoryRegion>(payload.Slice(8 + (i * size)));
                regions.Add(MapRegion(i, d, fds[i], regions));
            }
        }
        catch
        {
            foreach (var r in regions)
            {
                TmdsLibC.munmap(r.Mapping, (size_t)(ulong)r.MappingLength);
            }
            throw;
        }
        return new GuestMemory([.. regions]);
    }

    private static Region MapRegion(int index, VhostUserMemoryRegion d, int fd, List<Region> mapped)
    {
        const ulong Page = 4096;
        if (d.MemorySize == 0 || d.MemorySize > (1UL << 40)
            || d.GuestPhysAddr + d.MemorySize < d.GuestPhysAddr || d.UserspaceAddr + d.MemorySize < d.UserspaceAddr
            || d.MmapOffset + d.MemorySize < d.MmapOffset)
        {
            throw new VhostUserException($"SET_MEM_TABLE: region {index} has size {d.MemorySize} at guest {d.GuestPhysAddr:x}, user {d.UserspaceAddr:x}, offset {d.MmapOffset}");
        }
        foreach (var other in mapped)
        {
            if (d.GuestPhysAddr < other.GuestPhys + other.Size && other.GuestPhys < d.GuestPhysAddr + d.MemorySize)
            {
                throw new VhostUserException($"SET_MEM_TABLE: region {index} overlaps another in guest-physical addresses");
            }
        }
        Tmds.Linux.statx st;
        var empty = (byte)0;
        if (TmdsLibC.statx(fd, &empty, LibC.AT_EMPTY_PATH, LibC.STATX_SIZE, &st) != 0)
        {
            throw new VhostUserException($"SET_MEM_TABLE: region {index}: statx: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        if (st.stx_size < d.MmapOffset + d.MemorySize)
        {
            throw new VhostUserException($"SET_MEM_TABLE: region {index} ends at byte {d.MmapOffset + d.MemorySize} of a file of {st.stx_size} bytes");
        }
        // mmap wants a page-aligned offset: map from the page boundary and point past the slack.
        var slack = d.MmapOffset % Page;
        var length = (nuint)(d.MemorySize + slack);
        var mapping = TmdsLibC.mmap(null, (size_t)(ulong)length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, (long)(d.MmapOffset - slack));
        if (mapping == LibC.MAP_FAILED)
        {
            throw new VhostUserException($"SET_MEM_TABLE: region {index}: mmap of {length} bytes: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }
        return new Region(d.GuestPhysAddr, d.UserspaceAddr, d.MemorySize, (byte*)mapping + slack, (byte*)mapping, length);
    }

    /// <summary>
    /// The host pointer of guest-physical address <paramref name="address"/> and how many bytes from it lie in the same
    /// region (<paramref name="contiguous"/>), or null and 0 when the address is in no region.
    /// </summary>
    public byte* TranslateGuest(ulong address, out ulong contiguous)
    {
        foreach (ref readonly var r in _regions.AsSpan())
        {
            var offset = address - r.GuestPhys;
            if (address >= r.GuestPhys && offset < r.Size)
            {
                contiguous = r.Size - offset;
                return r.Host + offset;
            }
        }
        contiguous = 0;
        return null;
    }

    /// <summary>
    /// The host pointer of <paramref name="length"/> bytes at front-end virtual address <paramref name="address"/>, or
    /// null unless all of them lie in one region (rings are virtually contiguous, so they must).
    /// </summary>
    public byte* TranslateUser(ulong address, ulong length)
    {
        foreach (ref readonly var r in _regions.AsSpan())
        {
            var offset = address - r.User;
            if (address >= r.User && offset < r.Size && length <= r.Size - offset)
            {
                return r.Host + offset;
            }
        }
        return null;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            foreach (var r in _regions)
            {
                TmdsLibC.munmap(r.Mapping, (size_t)(ulong)r.MappingLength);
            }
        }
    }
}
