using System.Runtime.InteropServices;
using VSwitch.Interop;
using VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>
/// The device side of one split virtqueue, just enough for the unit tests to play a back-end in this process: takes
/// the next available chain (following NEXT and one indirect table), writes used entries, signals the call eventfd.
/// </summary>
internal sealed unsafe class FakeDevice(GuestMemoryView memory, SplitRingDriver ring)
{
    private ushort _lastAvail;

    public ushort LastAvail => _lastAvail;

    /// <summary>The next chain the driver made available, or false.</summary>
    public bool TryTake(out ushort head, out List<BufferElement> elements)
    {
        elements = [];
        head = 0;
        if (ring.AvailIdx == _lastAvail)
        {
            return false;
        }
        head = ring.AvailRing[_lastAvail % ring.Size];
        _lastAvail++;
        var table = ring.Descriptors;
        var d = table[head];
        if ((d.flags & LibC.VRING_DESC_F_INDIRECT) != 0)
        {
            table = MemoryMarshal.Cast<byte, vring_desc>(memory.Span(d.addr, (int)d.len));
            d = table[0];
        }
        for (var guard = 0; ; guard++)
        {
            Assert.True(guard < table.Length, "the driver posted a chain that loops");
            elements.Add(new BufferElement(d.addr, d.len, (d.flags & LibC.VRING_DESC_F_WRITE) != 0));
            if ((d.flags & LibC.VRING_DESC_F_NEXT) == 0)
            {
                return true;
            }
            d = table[d.next];
        }
    }

    /// <summary>The bytes of a chain's device-readable elements, in order.</summary>
    public byte[] Read(IEnumerable<BufferElement> elements) =>
        [.. elements.Where(e => !e.Writable).SelectMany(e => memory.Span(e.Address, (int)e.Length).ToArray())];

    /// <summary>Writes <paramref name="data"/> across a chain's device-writable elements; returns the bytes written.</summary>
    public uint Write(IEnumerable<BufferElement> elements, ReadOnlySpan<byte> data)
    {
        var at = 0;
        foreach (var e in elements.Where(e => e.Writable))
        {
            var n = Math.Min((int)e.Length, data.Length - at);
            data.Slice(at, n).CopyTo(memory.Span(e.Address, n));
            at += n;
        }
        return (uint)at;
    }

    /// <summary>Returns <paramref name="id"/> in the used ring with <paramref name="length"/> bytes written.</summary>
    public void Complete(uint id, uint length)
    {
        var usedIdx = ring.UsedIdx;
        var entry = (vring_used_elem*)memory.Host(ring.UsedAddress + 4 + (8 * (ulong)(usedIdx % ring.Size)), 8);
        *entry = new vring_used_elem { id = id, len = length };
        SetUsedIdx((ushort)(usedIdx + 1));
    }

    /// <summary>Moves <c>used->idx</c> raw.</summary>
    public void SetUsedIdx(ushort value) => Volatile.Write(ref *(ushort*)memory.Host(ring.UsedAddress + 2, 2), value);

    /// <summary>Sets <c>used->flags</c>.</summary>
    public void SetUsedFlags(ushort value) => Volatile.Write(ref *(ushort*)memory.Host(ring.UsedAddress, 2), value);

    /// <summary>Sets <c>avail_event</c>, after the used ring.</summary>
    public void SetAvailEvent(ushort value) =>
        Volatile.Write(ref *(ushort*)memory.Host(ring.UsedAddress + 4 + (8 * (ulong)ring.Size), 2), value);

    /// <summary>Signals the call eventfd, as a device interrupting the driver.</summary>
    public void Call()
    {
        ulong one = 1;
        Assert.Equal(8, (int)LibC.write(ring.CallFd, &one, 8));
    }

    /// <summary>Reads the kick eventfd: the driver's notifications since the last read.</summary>
    public long DrainKicks()
    {
        ulong value;
        return LibC.read(ring.KickFd, &value, 8) == 8 ? (long)value : 0;
    }
}
