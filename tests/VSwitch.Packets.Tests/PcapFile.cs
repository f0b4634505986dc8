// PcapFile: a tiny reader for classic pcap files (not pcapng) with Ethernet frames.
//
// What: reads the 24-byte global header (either byte order, microsecond or nanosecond magic), checks that the link
// type is LINKTYPE_ETHERNET (1), and returns every record's bytes in order.
// Why: no pcap library restores here (ENVIRONMENT.md: SharpPcap and PacketDotNet are unavailable), and the golden
// captures need nothing more. A capture on the `any` device would be LINKTYPE_LINUX_SLL (113) with a cooked header
// instead of Ethernet; it is refused rather than mis-parsed. A record shorter than the frame on the wire (a snap
// length cut) is refused too, because tshark would then disagree with the parser for a reason that is not a bug.

using System.Buffers.Binary;

namespace VSwitch.Packets.Tests;

internal static class PcapFile
{
    private const uint MagicMicroseconds = 0xA1B2C3D4;
    private const uint MagicNanoseconds = 0xA1B23C4D;
    private const uint LinkTypeEthernet = 1;
    private const int GlobalHeaderSize = 24;
    private const int RecordHeaderSize = 16;

    /// <summary>The frames of the capture at <paramref name="path"/>, in file order.</summary>
    public static List<byte[]> ReadFrames(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < GlobalHeaderSize)
        {
            throw new InvalidDataException($"{path}: shorter than a pcap header");
        }
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        bool bigEndian;
        if (magic is MagicMicroseconds or MagicNanoseconds)
        {
            bigEndian = false;
        }
        else if (BinaryPrimitives.ReverseEndianness(magic) is MagicMicroseconds or MagicNanoseconds)
        {
            bigEndian = true;
        }
        else
        {
            throw new InvalidDataException($"{path}: not a classic pcap file (magic 0x{magic:x8}; pcapng is not supported)");
        }

        uint ReadU32(int offset) => bigEndian
            ? BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset))
            : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));

        var linkType = ReadU32(20) & 0x0FFF_FFFF;
        if (linkType != LinkTypeEthernet)
        {
            throw new InvalidDataException($"{path}: link type {linkType}, expected Ethernet (1); capture with tcpdump -i <ethernet device>, not -i any");
        }

        var frames = new List<byte[]>();
        var offset = GlobalHeaderSize;
        while (offset < bytes.Length)
        {
            if (bytes.Length - offset < RecordHeaderSize)
            {
                throw new InvalidDataException($"{path}: record header cut off at byte {offset}");
            }
            var captured = (int)ReadU32(offset + 8);
            var original = (int)ReadU32(offset + 12);
            offset += RecordHeaderSize;
            if (captured < 0 || captured > bytes.Length - offset)
            {
                throw new InvalidDataException($"{path}: record of {captured} bytes at byte {offset} runs past the file");
            }
            if (captured != original)
            {
                throw new InvalidDataException($"{path}: frame {frames.Count + 1} was cut to {captured} of {original} bytes by the snap length");
            }
            frames.Add(bytes.AsSpan(offset, captured).ToArray());
            offset += captured;
        }
        return frames;
    }
}
