using System.Buffers.Binary;
using System.Text;

namespace VSwitch.Admin.Client.Capture;

/// <summary>
/// Reads the pcapng stream of a capture block by block: each whole block's bytes (to be written on as they came), and
/// what the client needs of them (the frames, the daemon's count of lost frames).
/// </summary>
/// <remarks>
/// Only what vswitchd writes is read: little-endian sections, Enhanced Packet Blocks of interface 0, the interface's
/// <c>if_tsresol</c>, the statistics' <c>isb_osdrop</c>; other blocks are passed on untouched. A block that lies about
/// its length, or a stream cut inside a block, is an error: what was read before it stays valid.
/// </remarks>
public sealed class PcapNgReader(Stream stream)
{
    /// <summary>The largest block accepted: a 64 KiB frame and its options, with room to spare.</summary>
    public const int MaxBlockLength = 1 << 20;

    private const uint SectionHeaderBlock = 0x0A0D0D0A;
    private const uint InterfaceDescriptionBlock = 1;
    private const uint InterfaceStatisticsBlock = 5;
    private const uint EnhancedPacketBlock = 6;

    private byte[] _block = new byte[4096];
    private long _unitsPerSecond = 1_000_000;

    /// <summary>Frames lost by the daemon, as its last statistics block said.</summary>
    public long Lost { get; private set; }

    /// <summary>Why the daemon ended the capture (its last statistics block's <c>end: REASON</c>), or null.</summary>
    public string? EndReason { get; private set; }

    /// <summary>The next whole block, or an empty block at the end of the stream.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadBlockAsync(CancellationToken cancellation)
    {
        if (!await FillAsync(0, 8, atStart: true, cancellation))
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        var type = BinaryPrimitives.ReadUInt32LittleEndian(_block);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(_block.AsSpan(4));
        if (length < 12 || length % 4 != 0 || length > MaxBlockLength)
        {
            throw new InvalidDataException($"a pcapng block of type {type} claims {length} bytes");
        }
        if (_block.Length < length)
        {
            Array.Resize(ref _block, (int)Math.Max(length, (uint)_block.Length * 2));
        }
        await FillAsync(8, (int)length - 8, atStart: false, cancellation);
        var block = _block.AsSpan(0, (int)length);
        if (BinaryPrimitives.ReadUInt32LittleEndian(block[^4..]) != length)
        {
            throw new InvalidDataException($"a pcapng block of type {type}: its trailing length differs from its leading {length}");
        }
        if (type == SectionHeaderBlock && (length < 28 || BinaryPrimitives.ReadUInt32LittleEndian(block[8..]) != 0x1A2B3C4D))
        {
            throw new InvalidDataException("not a little-endian pcapng section");
        }
        if (type == InterfaceDescriptionBlock)
        {
            ReadInterface(block.Length >= 20 ? block : throw new InvalidDataException($"a pcapng interface block of {length} bytes"));
        }
        else if (type == InterfaceStatisticsBlock)
        {
            ReadStatistics(block.Length >= 24 ? block : throw new InvalidDataException($"a pcapng statistics block of {length} bytes"));
        }
        return _block.AsMemory(0, (int)length);
    }

    /// <summary>The frame in <paramref name="block"/> if it is an Enhanced Packet Block, else null.</summary>
    public CapturedFrame? Frame(ReadOnlySpan<byte> block)
    {
        if (BinaryPrimitives.ReadUInt32LittleEndian(block) != EnhancedPacketBlock || block.Length < 32)
        {
            return null;
        }
        var units = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(block[12..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(block[16..]);
        var captured = BinaryPrimitives.ReadUInt32LittleEndian(block[20..]);
        var original = BinaryPrimitives.ReadUInt32LittleEndian(block[24..]);
        if (captured > (uint)(block.Length - 32) || original > int.MaxValue)
        {
            throw new InvalidDataException($"a pcapng packet block of {block.Length} bytes claims {captured} captured bytes");
        }
        var padded = ((int)captured + 3) & ~3;
        var bytes = block.Slice(28, (int)captured).ToArray();
        var inbound = true;
        string? comment = null;
        foreach (var (code, value) in Options(block[(28 + padded)..^4]))
        {
            if (code == 1)
            {
                comment = Encoding.UTF8.GetString(value);
            }
            else if (code == 2 && value.Length == 4)
            {
                inbound = (BinaryPrimitives.ReadUInt32LittleEndian(value) & 3) != 2;
            }
        }
        var ticks = (Int128)units * TimeSpan.TicksPerSecond / _unitsPerSecond;
        if (ticks > DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks)
        {
            throw new InvalidDataException($"a pcapng packet block's time {units} is out of range");
        }
        return new CapturedFrame(new DateTimeOffset(DateTime.UnixEpoch.Ticks + (long)ticks, TimeSpan.Zero), inbound, (int)original, bytes, comment);
    }

    private void ReadInterface(ReadOnlySpan<byte> block)
    {
        foreach (var (code, value) in Options(block[16..^4]))
        {
            if (code == 9 && value.Length == 1)
            {
                var r = value[0];
                _unitsPerSecond = (r & 0x80) != 0 ? 1L << Math.Min(r & 0x7F, 62) : (long)Math.Pow(10, Math.Min((int)r, 18));
            }
        }
    }

    private void ReadStatistics(ReadOnlySpan<byte> block)
    {
        foreach (var (code, value) in Options(block[20..^4]))
        {
            if (code == 7 && value.Length == 8)
            {
                Lost = BinaryPrimitives.ReadInt64LittleEndian(value);
            }
            else if (code == 1 && Encoding.UTF8.GetString(value) is { } comment && comment.StartsWith("end: ", StringComparison.Ordinal))
            {
                EndReason = comment[5..];
            }
        }
    }

    /// <summary>The options of a block's option area, up to <c>opt_endofopt</c>.</summary>
    private static List<(ushort Code, byte[] Value)> Options(ReadOnlySpan<byte> area)
    {
        var options = new List<(ushort, byte[])>();
        while (area.Length >= 4)
        {
            var code = BinaryPrimitives.ReadUInt16LittleEndian(area);
            var length = BinaryPrimitives.ReadUInt16LittleEndian(area[2..]);
            if (code == 0)
            {
                break;
            }
            var padded = (length + 3) & ~3;
            if (4 + padded > area.Length)
            {
                throw new InvalidDataException($"a pcapng option {code} claims {length} bytes");
            }
            options.Add((code, area.Slice(4, length).ToArray()));
            area = area[(4 + padded)..];
        }
        return options;
    }

    private async ValueTask<bool> FillAsync(int offset, int count, bool atStart, CancellationToken cancellation)
    {
        var read = 0;
        while (read < count)
        {
            var n = await stream.ReadAsync(_block.AsMemory(offset + read, count - read), cancellation);
            if (n == 0)
            {
                if (atStart && read == 0)
                {
                    return false;
                }
                throw new InvalidDataException("the pcapng stream ended inside a block");
            }
            read += n;
        }
        return true;
    }
}
