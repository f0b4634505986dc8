using System.Buffers.Binary;
using System.Diagnostics;
using VSwitch.Packets.Offloads;
using static VSwitch.Packets.Tests.FrameBuilder;

namespace VSwitch.Packets.Tests;

/// <summary>
/// Software checksum completion and TCP segmentation, for receivers that cannot take partial checksums or GSO frames:
/// every result is checked by tshark's own checksum validation (an independent implementation), not only by ours.
/// </summary>
public sealed class OffloadTests
{
    [Fact]
    public void Checksum_Rfc1071Example()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Assert.Equal(0xddf2, InternetChecksum.Fold(InternetChecksum.Add(data)));
        Assert.Equal(0x220d, InternetChecksum.Finish(InternetChecksum.Add(data)));
        Assert.Equal(0xddf2 + 0x0100, InternetChecksum.Fold(InternetChecksum.Add([.. data, 0x01])));
    }

    [Fact]
    public void Complete_OutsideTheFrame_WritesNothing()
    {
        var frame = new byte[60];
        Assert.False(InternetChecksum.Complete(frame, 50, 9));
        Assert.False(InternetChecksum.Complete(frame, 61, 0));
        Assert.All(frame, b => Assert.Equal(0, b));
    }

    /// <summary>A frame with a partial checksum as Linux sends it: the pseudo-header's sum in the checksum field.</summary>
    private static byte[] Partial(bool ipv6, byte protocol, byte[] l4)
    {
        var frame = ipv6 ? Ipv6Frame(protocol, l4) : Ipv4Frame(protocol, l4);
        Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var p));
        var field = p.L4Offset + (protocol == IpProtocol.Tcp ? 16 : 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(field), InternetChecksum.Fold(InternetChecksum.PseudoHeader(in p, protocol, l4.Length)));
        return frame;
    }

    [Theory]
    [InlineData(false, IpProtocol.Tcp)]
    [InlineData(true, IpProtocol.Tcp)]
    [InlineData(false, IpProtocol.Udp)]
    [InlineData(true, IpProtocol.Udp)]
    public void Complete_PartialChecksums_AreValidForTshark(bool ipv6, byte protocol)
    {
        var payload = Enumerable.Range(0, 301).Select(i => (byte)(i * 7)).ToArray();
        var l4 = protocol == IpProtocol.Tcp ? Tcp(40000, 80, TcpFlags.Ack | TcpFlags.Psh, payload) : Udp(40000, 53, payload);
        var frame = Partial(ipv6, protocol, l4);
        PacketParser.Parse(frame, out var p);
        Assert.True(InternetChecksum.Complete(frame, p.L4Offset, protocol == IpProtocol.Tcp ? 16 : 6));
        Assert.Equal(["1"], ChecksumStatus([frame], protocol == IpProtocol.Tcp ? "tcp" : "udp"));
    }

    [Theory]
    [InlineData(false, 10_000, 1448)]
    [InlineData(true, 10_000, 1428)]
    [InlineData(false, 1448 * 3, 1448)]
    [InlineData(false, 100, 1448)]
    public void Segment_TcpSuperFrame_GivesValidSegmentsThatAddUpToIt(bool ipv6, int payloadLength, int mss)
    {
        var payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(i * 13)).ToArray();
        var flags = (byte)(TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin | TcpFlags.Cwr);
        var tcp = Tcp(40000, 80, flags, payload, dataOffsetWords: 8, sequence: 0xFFFF_F000);
        tcp[20] = 1; tcp[21] = 1; tcp[22] = 8; tcp[23] = 10; // NOP NOP timestamp (10 bytes) fills the 12 option bytes
        var frame = Partial(ipv6, IpProtocol.Tcp, tcp);
        var vnet = new VirtioNetHeader
        {
            Flags = VirtioNetHeader.NeedsChecksum,
            GsoType = ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
            GsoSize = (ushort)mss,
        };
        Assert.True(TcpSegmenter.Start(frame, in vnet, out var segmenter));
        var segments = new List<byte[]>();
        var buffer = new byte[65536];
        while (segmenter.HasNext)
        {
            var length = segmenter.Next(buffer);
            Assert.True(length > 0);
            segments.Add(buffer[..length]);
        }
        Assert.Equal((payloadLength + mss - 1) / mss, segments.Count);
        var joined = new List<byte>();
        for (var i = 0; i < segments.Count; i++)
        {
            Assert.Equal(ParseError.None, PacketParser.Parse(segments[i], out var s));
            Assert.True(segments[i].Length - s.PayloadOffset <= mss);
            Assert.Equal(unchecked(0xFFFF_F000u + (uint)(i * mss)), s.TcpSequence);
            var last = i == segments.Count - 1;
            Assert.Equal(last, (s.TcpFlags & TcpFlags.Fin) != 0);
            Assert.Equal(last, (s.TcpFlags & TcpFlags.Psh) != 0);
            Assert.Equal(i == 0, (s.TcpFlags & TcpFlags.Cwr) != 0);
            if (!ipv6)
            {
                Assert.Equal(0x1234 + i, BinaryPrimitives.ReadUInt16BigEndian(segments[i].AsSpan(s.L3Offset + 4)));
            }
            joined.AddRange(segments[i].AsSpan(s.PayloadOffset).ToArray());
        }
        Assert.Equal(payload, joined);
        Assert.Equal(Enumerable.Repeat("1", segments.Count), ChecksumStatus(segments, "tcp"));
        if (!ipv6)
        {
            Assert.Equal(Enumerable.Repeat("1", segments.Count), ChecksumStatus(segments, "ip"));
        }
    }

    [Fact]
    public void Segment_RefusesWhatItCannotCut()
    {
        var udp = Ipv4Frame(IpProtocol.Udp, Udp(1, 2, new byte[3000]));
        var v4 = new VirtioNetHeader { GsoType = VirtioNetHeader.GsoTcpV4, GsoSize = 1448 };
        Assert.False(TcpSegmenter.Start(udp, in v4, out _));
        var tcp6 = Ipv6Frame(IpProtocol.Tcp, Tcp(1, 2, TcpFlags.Ack, new byte[3000]));
        Assert.False(TcpSegmenter.Start(tcp6, in v4, out _));
        var ufo = new VirtioNetHeader { GsoType = VirtioNetHeader.GsoUdp, GsoSize = 1448 };
        Assert.False(TcpSegmenter.Start(udp, in ufo, out _));
        var tiny = v4 with { GsoSize = 0 };
        Assert.False(TcpSegmenter.Start(Ipv4Frame(IpProtocol.Tcp, Tcp(1, 2, TcpFlags.Ack, new byte[3000])), in tiny, out _));
    }

    /// <summary>tshark's verdict on each frame's checksum of <paramref name="layer"/> (1 good, 0 bad, 2 not checked).</summary>
    private static List<string> ChecksumStatus(IEnumerable<byte[]> frames, string layer)
    {
        var dir = Directory.CreateTempSubdirectory("vswitch-offload-");
        try
        {
            var pcap = Path.Combine(dir.FullName, "frames.pcap");
            WritePcap(pcap, frames);
            var psi = new ProcessStartInfo(Tshark.Executable()) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-r", pcap, "-n", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                "-o", "udp.check_checksum:TRUE", "-o", "ip.defragment:FALSE", "-T", "fields", "-e", $"{layer}.checksum.status" })
            {
                psi.ArgumentList.Add(a);
            }
            using var process = Process.Start(psi)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(60_000);
            return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim())];
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void WritePcap(string path, IEnumerable<byte[]> frames)
    {
        using var file = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header.Slice(4), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header.Slice(6), 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(16), 262144);
        BinaryPrimitives.WriteUInt32LittleEndian(header.Slice(20), 1);
        file.Write(header);
        Span<byte> record = stackalloc byte[16];
        foreach (var frame in frames)
        {
            record.Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(8), (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record.Slice(12), (uint)frame.Length);
            file.Write(record);
            file.Write(frame);
        }
    }
}
