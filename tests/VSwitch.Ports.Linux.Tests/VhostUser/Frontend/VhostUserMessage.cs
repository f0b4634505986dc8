using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VSwitch.Interop;

namespace VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

/// <summary>One region of a <c>SET_MEM_TABLE</c> payload (vhost-user.rst, "Memory regions description").</summary>
/// <param name="GuestPhysicalAddress">Where the region starts in the guest's physical address space (descriptor addresses).</param>
/// <param name="MemorySize">The region's length in bytes.</param>
/// <param name="UserspaceAddress">Where the region starts in the front-end's address space (ring addresses).</param>
/// <param name="MmapOffset">Where the region starts in the file the region's fd refers to.</param>
internal readonly record struct VhostUserMemoryRegion(ulong GuestPhysicalAddress, ulong MemorySize, ulong UserspaceAddress, ulong MmapOffset)
{
    /// <summary>Four u64 on the wire.</summary>
    public const int Size = 32;
}

/// <summary>
/// A vhost-user message: a 12-byte header (u32 request, u32 flags, u32 payload size, native byte order), the payload,
/// and the file descriptors that travel with it as <c>SCM_RIGHTS</c> ancillary data. Encodes what the front-end sends
/// and decodes what either side receives (the unit tests play a back-end with it).
/// </summary>
internal sealed class VhostUserMessage
{
    /// <summary>The largest payload accepted from a peer: every payload of the protocol is far smaller.</summary>
    public const int MaxPayload = 4096;

    public VhostUserMessage(VhostUserRequest request, uint flags, byte[] payload, int[]? fds = null)
    {
        if (payload.Length > MaxPayload)
        {
            throw new ArgumentException($"a vhost-user payload of {payload.Length} bytes is over {MaxPayload}", nameof(payload));
        }
        if (fds is { Length: > VhostUserFlags.MaxRegions })
        {
            throw new ArgumentException($"at most {VhostUserFlags.MaxRegions} fds travel with one message", nameof(fds));
        }
        Request = request;
        Flags = flags;
        Payload = payload;
        Fds = fds ?? [];
    }

    public VhostUserRequest Request { get; }

    public uint Flags { get; }

    public byte[] Payload { get; }

    /// <summary>Descriptors to send with the message, or those that came with it (the receiver owns and closes them).</summary>
    public int[] Fds { get; }

    public uint Version => Flags & VhostUserFlags.VersionMask;

    public bool IsReply => (Flags & VhostUserFlags.Reply) != 0;

    public bool NeedsReply => (Flags & VhostUserFlags.NeedReply) != 0;

    /// <summary>A request without a payload (<c>GET_FEATURES</c>, <c>SET_OWNER</c>, ...).</summary>
    public static VhostUserMessage Empty(VhostUserRequest request, uint flags = 0) =>
        new(request, VhostUserFlags.Version | flags, []);

    /// <summary>A request or reply whose payload is one u64; <paramref name="fds"/> for <c>SET_VRING_KICK/CALL</c>.</summary>
    public static VhostUserMessage U64(VhostUserRequest request, ulong value, uint flags = 0, int[]? fds = null)
    {
        var payload = new byte[sizeof(ulong)];
        MemoryMarshal.Write(payload, in value);
        return new(request, VhostUserFlags.Version | flags, payload, fds);
    }

    /// <summary>A "vring state description" payload: a ring index and a number.</summary>
    public static VhostUserMessage VringState(VhostUserRequest request, uint index, uint num, uint flags = 0)
    {
        var state = new vhost_vring_state { index = index, num = num };
        return new(request, VhostUserFlags.Version | flags, ToBytes(state));
    }

    /// <summary>A <c>SET_VRING_ADDR</c> request: the ring's three parts in the front-end's address space.</summary>
    public static VhostUserMessage VringAddress(vhost_vring_addr address, uint flags = 0) =>
        new(VhostUserRequest.SetVringAddr, VhostUserFlags.Version | flags, ToBytes(address));

    /// <summary>A <c>SET_MEM_TABLE</c> request: <c>u32 nregions, u32 padding</c>, then the regions; one fd per region, in order.</summary>
    public static VhostUserMessage MemoryTable(IReadOnlyList<VhostUserMemoryRegion> regions, int[] fds, uint flags = 0)
    {
        if (regions.Count is 0 or > VhostUserFlags.MaxRegions)
        {
            throw new ArgumentException($"a memory table has 1 to {VhostUserFlags.MaxRegions} regions, not {regions.Count}", nameof(regions));
        }
        if (fds.Length != regions.Count)
        {
            throw new ArgumentException($"{regions.Count} regions need {regions.Count} fds, not {fds.Length}", nameof(fds));
        }
        // The payload carries only the regions in use: QEMU sends the same, and back-ends read nregions first.
        var payload = new byte[8 + (regions.Count * VhostUserMemoryRegion.Size)];
        MemoryMarshal.Write(payload, (uint)regions.Count);
        for (var i = 0; i < regions.Count; i++)
        {
            var r = regions[i];
            var at = payload.AsSpan(8 + (i * VhostUserMemoryRegion.Size));
            MemoryMarshal.Write(at, r.GuestPhysicalAddress);
            MemoryMarshal.Write(at[8..], r.MemorySize);
            MemoryMarshal.Write(at[16..], r.UserspaceAddress);
            MemoryMarshal.Write(at[24..], r.MmapOffset);
        }
        return new(VhostUserRequest.SetMemTable, VhostUserFlags.Version | flags, payload, fds);
    }

    /// <summary>The header and payload as they go on the wire (the fds go beside them).</summary>
    public byte[] Encode()
    {
        var bytes = new byte[VhostUserFlags.HeaderSize + Payload.Length];
        WriteHeader(bytes, Request, Flags, (uint)Payload.Length);
        Payload.CopyTo(bytes, VhostUserFlags.HeaderSize);
        return bytes;
    }

    public static void WriteHeader(Span<byte> destination, VhostUserRequest request, uint flags, uint size)
    {
        MemoryMarshal.Write(destination, (uint)request);
        MemoryMarshal.Write(destination[4..], flags);
        MemoryMarshal.Write(destination[8..], size);
    }

    /// <summary>Reads a header; throws <see cref="InvalidDataException"/> when its size is beyond <see cref="MaxPayload"/>.</summary>
    public static (VhostUserRequest Request, uint Flags, int Size) DecodeHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < VhostUserFlags.HeaderSize)
        {
            throw new ArgumentException($"a vhost-user header is {VhostUserFlags.HeaderSize} bytes, not {header.Length}", nameof(header));
        }
        var request = (VhostUserRequest)MemoryMarshal.Read<uint>(header);
        var flags = MemoryMarshal.Read<uint>(header[4..]);
        var size = MemoryMarshal.Read<uint>(header[8..]);
        if (size > MaxPayload)
        {
            throw new InvalidDataException($"vhost-user message {request} announces a payload of {size} bytes (at most {MaxPayload} make sense)");
        }
        return (request, flags, (int)size);
    }

    /// <summary>Decodes a whole message (header and payload) received with <paramref name="fds"/>.</summary>
    public static VhostUserMessage Decode(ReadOnlySpan<byte> bytes, int[]? fds = null)
    {
        var (request, flags, size) = DecodeHeader(bytes);
        if (bytes.Length != VhostUserFlags.HeaderSize + size)
        {
            throw new InvalidDataException($"vhost-user message {request} announces {size} payload bytes but {bytes.Length - VhostUserFlags.HeaderSize} follow");
        }
        return new(request, flags, bytes[VhostUserFlags.HeaderSize..].ToArray(), fds);
    }

    /// <summary>The payload as one u64 (replies to <c>GET_*</c>, and <c>REPLY_ACK</c> acknowledgements).</summary>
    public ulong ReadU64()
    {
        ExpectSize(sizeof(ulong));
        return MemoryMarshal.Read<ulong>(Payload);
    }

    public vhost_vring_state ReadVringState()
    {
        ExpectSize(Unsafe.SizeOf<vhost_vring_state>());
        return MemoryMarshal.Read<vhost_vring_state>(Payload);
    }

    public vhost_vring_addr ReadVringAddress()
    {
        ExpectSize(Unsafe.SizeOf<vhost_vring_addr>());
        return MemoryMarshal.Read<vhost_vring_addr>(Payload);
    }

    public VhostUserMemoryRegion[] ReadMemoryTable()
    {
        if (Payload.Length < 8)
        {
            throw new InvalidDataException($"{Request}: a memory table needs at least 8 bytes, got {Payload.Length}");
        }
        var count = MemoryMarshal.Read<uint>(Payload);
        if (count > VhostUserFlags.MaxRegions || Payload.Length < 8 + (count * VhostUserMemoryRegion.Size))
        {
            throw new InvalidDataException($"{Request}: {count} regions do not fit in {Payload.Length} payload bytes");
        }
        var regions = new VhostUserMemoryRegion[count];
        for (var i = 0; i < count; i++)
        {
            var at = Payload.AsSpan(8 + (i * VhostUserMemoryRegion.Size));
            regions[i] = new(MemoryMarshal.Read<ulong>(at), MemoryMarshal.Read<ulong>(at[8..]),
                MemoryMarshal.Read<ulong>(at[16..]), MemoryMarshal.Read<ulong>(at[24..]));
        }
        return regions;
    }

    public override string ToString() =>
        $"{Request} flags=0x{Flags:x} size={Payload.Length}" + (Fds.Length > 0 ? $" fds={Fds.Length}" : "");

    private void ExpectSize(int size)
    {
        if (Payload.Length != size)
        {
            throw new InvalidDataException($"{Request}: expected a {size}-byte payload, got {Payload.Length} bytes");
        }
    }

    private static byte[] ToBytes<T>(T value)
        where T : unmanaged
    {
        var bytes = new byte[Unsafe.SizeOf<T>()];
        MemoryMarshal.Write(bytes, in value);
        return bytes;
    }
}
