using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace VSwitch.Daemon.Capture;

/// <summary>
/// Writes a pcapng stream (draft-ietf-opsawg-pcapng): one section with one Ethernet interface, then a block per frame.
/// </summary>
/// <remarks>
/// <para><b>Why pcapng, not pcap.</b> A frame the switch dropped carries its reason as the packet's comment
/// (<c>opt_comment</c>, <c>frame.comment</c> in tshark), its direction in <c>epb_flags</c> (inbound: the switch received
/// it on the port; outbound: it sent it there), and the frames a full ring lost are reported in an Interface Statistics
/// Block, as <c>dumpcap</c> reports the kernel's drops; pcap has room for none of these. Every block is whole in the
/// buffer before it is sent, so a stream cut at any flush is still a valid file.</para>
/// <para><b>Byte order.</b> The host's little-endian: the section header's byte-order magic tells readers.</para>
/// </remarks>
public sealed class PcapNgWriter(IBufferWriter<byte> output)
{
    /// <summary>LINKTYPE_ETHERNET.</summary>
    private const ushort LinkTypeEthernet = 1;

    private const uint SectionHeaderBlock = 0x0A0D0D0A;
    private const uint InterfaceDescriptionBlock = 1;
    private const uint InterfaceStatisticsBlock = 5;
    private const uint EnhancedPacketBlock = 6;

    private const ushort OptEndOfOptions = 0;
    private const ushort OptComment = 1;
    private const ushort ShbUserApplication = 4;
    private const ushort IfName = 2;
    private const ushort IfDescription = 3;
    private const ushort IfTimestampResolution = 9;
    private const ushort EpbFlags = 2;
    private const ushort IsbStartTime = 2;
    private const ushort IsbEndTime = 3;
    private const ushort IsbOsDrop = 7;
    private const ushort IsbUserDelivered = 8;

    /// <summary><c>epb_flags</c> direction: inbound (the switch received the frame on the port).</summary>
    public const uint Inbound = 1;

    /// <summary><c>epb_flags</c> direction: outbound (the switch sent the frame, or was sending it, on the port).</summary>
    public const uint Outbound = 2;

    /// <summary>The section header and the one interface (nanosecond timestamps).</summary>
    public void WriteHeader(string application, string interfaceName, string interfaceDescription, int snapLength)
    {
        var shb = new Block(output, SectionHeaderBlock, 16 + OptionSize(application));
        shb.UInt32(0x1A2B3C4D);
        shb.UInt16(1);
        shb.UInt16(0);
        shb.Int64(-1);
        shb.Text(ShbUserApplication, application);
        shb.End();

        var idb = new Block(output, InterfaceDescriptionBlock, 8 + OptionSize(interfaceName) + OptionSize(interfaceDescription) + 8);
        idb.UInt16(LinkTypeEthernet);
        idb.UInt16(0);
        idb.UInt32((uint)snapLength);
        idb.Text(IfName, interfaceName);
        idb.Text(IfDescription, interfaceDescription);
        idb.Option(IfTimestampResolution, [9]);
        idb.End();
    }

    /// <summary>One frame: its time (ns since the epoch), the bytes kept, its length on the wire, its direction and an optional comment.</summary>
    public void WritePacket(long unixTimeNs, ReadOnlySpan<byte> bytes, int originalLength, uint direction, string? comment)
    {
        var block = new Block(output, EnhancedPacketBlock, 20 + Pad(bytes.Length) + 8 + (comment is null ? 0 : OptionSize(comment)));
        block.UInt32(0);
        block.Timestamp(unixTimeNs);
        block.UInt32((uint)bytes.Length);
        block.UInt32((uint)originalLength);
        block.Bytes(bytes);
        Span<byte> flags = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(flags, direction);
        block.Option(EpbFlags, flags);
        if (comment is not null)
        {
            block.Text(OptComment, comment);
        }
        block.End();
    }

    /// <summary>
    /// The interface's statistics at <paramref name="unixTimeNs"/>: frames delivered to the reader, frames the rings
    /// lost, and for the last block why the capture ended (<c>end: REASON</c> as its comment).
    /// </summary>
    public void WriteStatistics(long unixTimeNs, long startNs, long delivered, long lost, string? comment = null)
    {
        var block = new Block(output, InterfaceStatisticsBlock, 12 + (4 * 12) + (comment is null ? 0 : OptionSize(comment)));
        block.UInt32(0);
        block.Timestamp(unixTimeNs);
        if (comment is not null)
        {
            block.Text(OptComment, comment);
        }
        block.Timestamp(IsbStartTime, startNs);
        block.Timestamp(IsbEndTime, unixTimeNs);
        block.Counter(IsbOsDrop, lost);
        block.Counter(IsbUserDelivered, delivered);
        block.End();
    }

    private static int Pad(int length) => (length + 3) & ~3;

    private static int OptionSize(string text) => 4 + Pad(Encoding.UTF8.GetByteCount(text));

    /// <summary>One block being written: its header now, its body in order, the end-of-options and trailing length at <see cref="End"/>.</summary>
    private ref struct Block
    {
        private readonly Span<byte> _span;
        private readonly IBufferWriter<byte> _output;
        private readonly int _length;
        private int _at;

        /// <param name="output">Where the block goes (whole, at <see cref="End"/>).</param>
        /// <param name="type">The block type.</param>
        /// <param name="body">Bytes between the block's leading and trailing length, options included, end-of-options excluded.</param>
        public Block(IBufferWriter<byte> output, uint type, int body)
        {
            _output = output;
            _length = 12 + body + 4;
            _span = output.GetSpan(_length)[.._length];
            _span.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(_span, type);
            BinaryPrimitives.WriteUInt32LittleEndian(_span[4..], (uint)_length);
            _at = 8;
        }

        public void UInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_span[_at..], value);
            _at += 2;
        }

        public void UInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_span[_at..], value);
            _at += 4;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_span[_at..], value);
            _at += 8;
        }

        /// <summary>A 64-bit timestamp as pcapng splits it: high 32 bits, then low 32 bits.</summary>
        public void Timestamp(long unixTimeNs)
        {
            UInt32((uint)((ulong)unixTimeNs >> 32));
            UInt32((uint)unixTimeNs);
        }

        public void Bytes(scoped ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_span[_at..]);
            _at += Pad(bytes.Length);
        }

        public void Option(ushort code, scoped ReadOnlySpan<byte> value)
        {
            UInt16(code);
            UInt16((ushort)value.Length);
            Bytes(value);
        }

        public void Text(ushort code, string text)
        {
            var length = Encoding.UTF8.GetByteCount(text);
            UInt16(code);
            UInt16((ushort)length);
            Encoding.UTF8.GetBytes(text, _span[_at..]);
            _at += Pad(length);
        }

        public void Timestamp(ushort code, long unixTimeNs)
        {
            UInt16(code);
            UInt16(8);
            Timestamp(unixTimeNs);
        }

        public void Counter(ushort code, long value)
        {
            UInt16(code);
            UInt16(8);
            Int64(value);
        }

        /// <summary>Writes the end of options and the trailing length, and commits the block.</summary>
        public void End()
        {
            UInt16(OptEndOfOptions);
            UInt16(0);
            BinaryPrimitives.WriteUInt32LittleEndian(_span[_at..], (uint)_length);
            _at += 4;
            if (_at != _length)
            {
                throw new InvalidOperationException($"pcapng block of {_length} bytes written as {_at}");
            }
            _output.Advance(_length);
        }
    }
}
