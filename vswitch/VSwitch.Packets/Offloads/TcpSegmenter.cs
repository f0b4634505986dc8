using System.Buffers.Binary;

namespace VSwitch.Packets.Offloads;

/// <summary>
/// Cuts a TCP GSO super-frame (<see cref="VirtioNetHeader.GsoTcpV4"/>/<see cref="VirtioNetHeader.GsoTcpV6"/>) into the
/// segments a receiver that cannot take GSO frames needs, one at a time into a caller's buffer, with complete IP and TCP
/// checksums, as the kernel's <c>tcp_gso_segment</c> does.
/// </summary>
/// <remarks>
/// What: each segment is the super-frame's headers (Ethernet, VLAN tags, IP with its extension headers, TCP with its
/// options) and the next <see cref="VirtioNetHeader.GsoSize"/> bytes of payload; IPv4 total length, identification
/// (incremented per segment) and header checksum, IPv6 payload length, and TCP sequence number are rewritten; FIN and
/// PSH stay on the last segment only and CWR on the first only; the TCP checksum is computed in full.
/// Why: a vhost-user guest that did not negotiate <c>GUEST_TSO4/6</c> must never be handed a 64 KiB frame, and the TAP
/// and AF_PACKET ports that produce them leave segmentation to a kernel the guest does not have.
/// Allocation-free: a struct over the caller's spans. UDP fragmentation offload (UFO) is not done (<see cref="Start"/>
/// refuses it).
/// </remarks>
public ref struct TcpSegmenter
{
    private readonly ReadOnlySpan<byte> _frame;
    private readonly int _end;
    private readonly int _l3;
    private readonly int _l4;
    private readonly int _payload;
    private readonly int _mss;
    private readonly bool _ipv6;
    private readonly uint _sequence;
    private readonly ushort _ipId;
    private readonly byte _tcpFlags;
    private int _next;
    private int _index;

    private TcpSegmenter(ReadOnlySpan<byte> frame, ParsedPacket p, int mss)
    {
        _frame = frame;
        // The IP packet's own length, not the frame's: Ethernet padding is not payload.
        _end = Math.Min(frame.Length, p.L3Offset + p.IpLength);
        _l3 = p.L3Offset;
        _l4 = p.L4Offset;
        _payload = p.PayloadOffset;
        _mss = mss;
        _ipv6 = p.IsIpv6;
        _sequence = p.TcpSequence;
        _ipId = p.IsIpv4 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(_l3 + 4)) : (ushort)0;
        _tcpFlags = p.TcpFlags;
        _next = _payload;
        _index = 0;
    }

    /// <summary>Bytes of headers every segment repeats.</summary>
    public readonly int HeaderLength => _payload;

    /// <summary>
    /// Starts segmenting <paramref name="frame"/>, a TCP GSO super-frame described by <paramref name="vnet"/>. False when
    /// it is not one this can cut (not TCP over IPv4/IPv6, a fragment, no or too small a segment size, malformed).
    /// </summary>
    public static bool Start(ReadOnlySpan<byte> frame, in VirtioNetHeader vnet, out TcpSegmenter segmenter)
    {
        segmenter = default;
        var type = vnet.GsoType & ~VirtioNetHeader.GsoEcn;
        if ((type != VirtioNetHeader.GsoTcpV4 && type != VirtioNetHeader.GsoTcpV6) || vnet.GsoSize < 8)
        {
            return false;
        }
        if (PacketParser.Parse(frame, out var p) != ParseError.None || p.IpProtocol != IpProtocol.Tcp || !p.HasL4
            || (p.Flags & PacketFlags.Fragment) != 0 || p.IsIpv4 != (type == VirtioNetHeader.GsoTcpV4))
        {
            return false;
        }
        segmenter = new TcpSegmenter(frame, p, vnet.GsoSize);
        return true;
    }

    /// <summary>True while segments remain.</summary>
    public readonly bool HasNext => _next < _end || (_index == 0 && _next == _end);

    /// <summary>Writes the next segment into <paramref name="buffer"/> and returns its length (0 when none is left or it does not fit).</summary>
    public int Next(Span<byte> buffer)
    {
        if (!HasNext)
        {
            return 0;
        }
        var chunk = Math.Min(_mss, _end - _next);
        var length = _payload + chunk;
        if (length > buffer.Length)
        {
            return 0;
        }
        var first = _index == 0;
        var last = _next + chunk >= _end;
        _frame.Slice(0, _payload).CopyTo(buffer);
        _frame.Slice(_next, chunk).CopyTo(buffer.Slice(_payload));
        var segment = buffer.Slice(0, length);
        var ip = segment.Slice(_l3);
        var l4Length = length - _l4;
        if (_ipv6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)(length - _l3 - 40));
        }
        else
        {
            var ihl = (ip[0] & 0x0F) * 4;
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(2), (ushort)(length - _l3));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(4), (ushort)(_ipId + _index));
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), 0);
            BinaryPrimitives.WriteUInt16BigEndian(ip.Slice(10), InternetChecksum.Finish(InternetChecksum.Add(ip.Slice(0, ihl))));
        }
        var tcp = segment.Slice(_l4);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.Slice(4), _sequence + (uint)(_next - _payload));
        var flags = _tcpFlags;
        if (!last)
        {
            flags &= unchecked((byte)~(TcpFlags.Fin | TcpFlags.Psh));
        }
        if (!first)
        {
            flags &= unchecked((byte)~TcpFlags.Cwr);
        }
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.Slice(16), 0);
        PacketParser.Parse(segment, out var parsed);
        var sum = InternetChecksum.PseudoHeader(in parsed, IpProtocol.Tcp, l4Length);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.Slice(16), InternetChecksum.Finish(InternetChecksum.Add(tcp.Slice(0, l4Length), sum)));
        _next += chunk;
        _index++;
        if (chunk == 0)
        {
            _next = _end + 1;
        }
        return length;
    }
}
