using System.Runtime.InteropServices;
using VSwitch.Interop;
using TmdsLibC = Tmds.Linux.LibC;
using size_t = Tmds.Linux.size_t;

namespace VSwitch.Dataplane.Memory;

/// <summary>
/// Zero-filled memory for a large data-path table, aligned to 2 MiB and offered to the kernel for transparent huge
/// pages (<c>madvise(MADV_HUGEPAGE)</c>).
/// </summary>
/// <remarks>
/// What: an anonymous private mapping (<c>MAP_NORESERVE</c>: pages are committed as they are first touched, not when
/// the table is created) of the requested size rounded up to 2 MiB, starting on a 2 MiB boundary.
/// Why: the connection table is read at a random place per packet. With 4 KiB pages, 100,000 connections spread over
/// more pages than the TLB holds, so nearly every lookup pays a page walk as well as a cache miss (on a VM, a
/// two-dimensional walk); with 2 MiB pages the whole default table is covered by a few dozen TLB entries. The profile
/// of the pipeline benchmark (issue 8's note) showed the two conntrack loads (bucket, entry) taking most of its time.
/// When the kernel has transparent huge pages off (<c>never</c>), the advice fails harmlessly and the memory is
/// ordinary pages (<see cref="HugePagesAdvised"/> is false).
/// Lifetime: <see cref="Release"/> (the owner's Dispose) gives the pages back at once (<c>MADV_DONTNEED</c>: the
/// range then reads as zeros and would be committed again only if written); the mapping itself is removed only by
/// the finalizer, when nothing references this object any more. Tables keep a reference for as long as they hand
/// out pointers into it, so a late caller (a worker finishing a batch after the table was disposed) still touches
/// mapped memory, which is the guarantee the pinned managed arrays gave before. The mapping's size (capped at
/// <see cref="MaxReportedPressure"/>: it is reserved, not resident) is reported to the GC as memory pressure so that
/// unreferenced tables are finalized without waiting for managed garbage.
/// Thread-safety: immutable; the memory itself is guarded by its owner.
/// </remarks>
public sealed unsafe class HugePageMemory
{
    /// <summary>The huge page size on x86-64 and arm64 with 4 KiB base pages.</summary>
    public const long HugePageSize = 2 << 20;

    /// <summary>The most memory pressure one mapping reports to the GC.</summary>
    private const long MaxReportedPressure = 256L << 20;

    private readonly byte* _mapping;
    private readonly nuint _mappingLength;
    private readonly long _pressure;

    /// <summary>Maps at least <paramref name="length"/> zero bytes.</summary>
    /// <exception cref="OutOfMemoryException">The kernel refused the mapping (address space or overcommit limits).</exception>
    public HugePageMemory(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = (length + HugePageSize - 1) & ~(HugePageSize - 1);
        _mappingLength = (nuint)(Length + HugePageSize);
        var mapping = TmdsLibC.mmap(null, (size_t)(ulong)_mappingLength, LibC.PROT_READ | LibC.PROT_WRITE,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (mapping == LibC.MAP_FAILED)
        {
            throw new OutOfMemoryException($"mmap of {_mappingLength} bytes for a data-path table failed: errno {Marshal.GetLastPInvokeError()}");
        }
        _mapping = (byte*)mapping;
        Start = (byte*)(((nint)_mapping + (nint)HugePageSize - 1) & ~((nint)HugePageSize - 1));
        HugePagesAdvised = TmdsLibC.madvise(Start, (size_t)(ulong)Length, LibC.MADV_HUGEPAGE) == 0;
        _pressure = Math.Min((long)_mappingLength, MaxReportedPressure);
        GC.AddMemoryPressure(_pressure);
    }

    ~HugePageMemory()
    {
        TmdsLibC.munmap(_mapping, (size_t)(ulong)_mappingLength);
        GC.RemoveMemoryPressure(_pressure);
    }

    /// <summary>
    /// Commits the pages of [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) now, as
    /// a write would (<c>MADV_POPULATE_WRITE</c>; on a kernel without it, one write of zero per 4 KiB page).
    /// </summary>
    /// <remarks>
    /// Why: the first write to a huge page makes the kernel find and zero 2 MiB in the page fault, which took 8-9 ms
    /// on this project's VM: the first connection of a fresh daemon paid it on its first packet (perf/first-packet.sh).
    /// Call it before the memory is shared with other threads: the fallback writes the (zero) bytes.
    /// </remarks>
    public void Populate(long offset, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + length, Length);
        // madvise wants page-aligned ranges: widen to whole 4 KiB pages (still inside the 2 MiB-rounded mapping).
        var end = Math.Min((offset + length + 4095) & ~4095L, Length);
        offset &= ~4095L;
        if (end <= offset || TmdsLibC.madvise(Start + offset, (size_t)(ulong)(end - offset), LibC.MADV_POPULATE_WRITE) == 0)
        {
            return;
        }
        for (var p = offset; p < end; p += 4096)
        {
            Volatile.Write(ref Start[p], Start[p]);
        }
    }

    /// <summary>Returns the physical pages to the kernel; the memory stays mapped and reads as zeros.</summary>
    public void Release() => TmdsLibC.madvise(Start, (size_t)(ulong)Length, LibC.MADV_DONTNEED);

    /// <summary>The first byte (2 MiB aligned).</summary>
    public byte* Start { get; }

    /// <summary>Usable bytes from <see cref="Start"/> (a multiple of 2 MiB).</summary>
    public long Length { get; }

    /// <summary>True when the kernel accepted the huge-page advice.</summary>
    public bool HugePagesAdvised { get; }
}
