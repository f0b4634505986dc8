using System.Buffers.Binary;

namespace VSwitch.Packets.Offloads;

/// <summary>
/// The Internet checksum (RFC 1071): the ones'-complement sum of 16-bit big-endian words, for completing the partial
/// checksums of frames (<see cref="VirtioNetHeader.NeedsChecksum"/>) a receiver cannot complete itself.
/// </summary>
/// <remarks>Allocation-free; 32 bits at a time into a 64-bit accumulator, so no carry is lost before the final fold.</remarks>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/>'s 16-bit big-endian words to <paramref name="sum"/> (an odd last byte is the high byte of a word).</summary>
    public static ulong Add(ReadOnlySpan<byte> data, ulong sum = 0)
    {
        var i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data.Slice(i));
        }
        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data.Slice(i));
            i += 2;
        }
        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }
        return sum;
    }

    /// <summary>Folds an accumulator to 16 bits with end-around carries (not complemented).</summary>
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum field's value for data whose words sum to <paramref name="sum"/>: the complement of the fold.</summary>
    public static ushort Finish(ulong sum) => (ushort)~Fold(sum);

    /// <summary>
    /// Completes a partial checksum as a virtio-net header describes it: the sum over <c>frame[start..]</c> (whose
    /// checksum field already holds the pseudo-header's sum, as the sender left it) is complemented and stored at
    /// <c>start + offset</c>. False, and nothing written, when the field lies outside the frame.
    /// </summary>
    public static bool Complete(Span<byte> frame, int start, int offset)
    {
        if (start < 0 || offset < 0 || start > frame.Length || start + offset + 2 > frame.Length)
        {
            return false;
        }
        var field = frame.Slice(start + offset, 2);
        var value = Finish(Add(frame.Slice(start)));
        BinaryPrimitives.WriteUInt16BigEndian(field, value);
        return true;
    }

    /// <summary>The sum of a TCP or UDP pseudo-header (RFC 793, RFC 8200 §8.1) for <paramref name="l4Length"/> bytes of L4.</summary>
    public static ulong PseudoHeader(in ParsedPacket packet, byte protocol, int l4Length)
    {
        ulong sum = protocol + (ulong)l4Length;
        if (packet.IsIpv4)
        {
            return sum + packet.IpSource.Ipv4 + packet.IpDestination.Ipv4;
        }
        return sum + Words(packet.IpSource.High) + Words(packet.IpSource.Low) + Words(packet.IpDestination.High) + Words(packet.IpDestination.Low);

        static ulong Words(ulong v) => (v >> 32) + (v & 0xFFFF_FFFF);
    }
}
