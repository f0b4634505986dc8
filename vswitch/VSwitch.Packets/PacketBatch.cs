using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VSwitch.Packets;

/// <summary>One frame in a batch: where its bytes are, how many, and its offload metadata.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct Frame
{
    /// <summary>First byte of the Ethernet header, in pinned native memory.</summary>
    public byte* Data;

    /// <summary>Bytes of the frame.</summary>
    public int Length;

    /// <summary>The switch port slot the frame came from (set by the worker; -1 when unknown).</summary>
    public int InPort;

    /// <summary>Offload metadata to pass on with the frame.</summary>
    public VirtioNetHeader Vnet;

    public readonly Span<byte> Span
    {
        // Small, and read everywhere on the hot path: kept inlined also in the large stage methods whose inlining budget runs out.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Data, Length);
    }
}

/// <summary>
/// Up to <see cref="MaxSize"/> frames: the unit of work of ports, pipeline stages and transmission.
/// </summary>
/// <remarks>
/// What: a fixed array of <see cref="Frame"/> descriptors and, for receive batches, a pinned native slab with one
/// buffer of <see cref="BufferSize"/> bytes per frame (allocated once, 64-byte aligned).
/// Why: batching amortises system calls and lets each stage run as a tight loop over the batch
/// (OVS <c>NETDEV_MAX_BURST</c> = 32, VPP frames). Transmit batches own no slab: their descriptors point into the
/// receive batch they were filled from, so a flood to N ports copies no bytes.
/// Thread-safety: owned by one worker; never shared.
/// </remarks>
public sealed unsafe class PacketBatch : IDisposable
{
    /// <summary>Frames per batch (OVS <c>NETDEV_MAX_BURST</c>).</summary>
    public const int MaxSize = 32;

    /// <summary>Default buffer per frame: a 64 KiB GSO frame plus Ethernet and VLAN headers.</summary>
    public const int DefaultBufferSize = 65536 + 128;

    private readonly Frame[] _frames = new Frame[MaxSize];
    private byte* _slab;

    /// <summary>Creates a batch. With <paramref name="bufferSize"/> &gt; 0 it owns receive buffers of that size.</summary>
    public PacketBatch(int bufferSize = 0)
    {
        BufferSize = bufferSize;
        if (bufferSize > 0)
        {
            _slab = (byte*)NativeMemory.AlignedAlloc((nuint)(bufferSize * MaxSize), 64);
            ResetForReceive();
        }
        for (var i = 0; i < MaxSize; i++)
        {
            _frames[i].InPort = -1;
        }
    }

    /// <summary>Capacity of each receive buffer in bytes; 0 for a transmit batch that owns no buffers.</summary>
    public int BufferSize { get; }

    /// <summary>Frames in the batch.</summary>
    public int Count { get; set; }

    public bool IsFull => Count == MaxSize;

    /// <summary>The descriptor of frame <paramref name="index"/>.</summary>
    public ref Frame this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _frames[index];
    }

    /// <summary>All descriptors (capacity <see cref="MaxSize"/>); only the first <see cref="Count"/> are valid.</summary>
    public Span<Frame> Frames => _frames;

    /// <summary>The receive buffer for slot <paramref name="index"/> at full capacity.</summary>
    public Span<byte> Buffer(int index) => new(_slab + ((nint)index * BufferSize), BufferSize);

    /// <summary>Empties a receive batch and points every descriptor back at its own buffer.</summary>
    public void ResetForReceive()
    {
        Count = 0;
        for (var i = 0; i < MaxSize; i++)
        {
            ref var f = ref _frames[i];
            f.Data = _slab + ((nint)i * BufferSize);
            f.Length = 0;
            f.Vnet = default;
        }
    }

    /// <summary>Appends a descriptor (transmit batches). The caller checks <see cref="IsFull"/> first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(in Frame frame) => _frames[Count++] = frame;

    public void Dispose()
    {
        if (_slab != null)
        {
            NativeMemory.AlignedFree(_slab);
            _slab = null;
        }
    }
}
