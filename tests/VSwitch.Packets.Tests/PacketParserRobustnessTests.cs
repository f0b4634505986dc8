// PacketParserRobustnessTests: hostile input. Every truncation of every golden frame and 100,000 seeded random
// mutations of golden frames must parse without an exception and, when they parse, give a self-consistent result
// whose offsets stay inside the bytes given.
//
// Why: a data path cannot afford an exception per frame, and a parser that reads past a lying length field is a
// security bug. Spans turn any such read into an exception, so "never throws" here also means "never reads outside".

using static VSwitch.Packets.Tests.FrameBuilder;

namespace VSwitch.Packets.Tests;

public sealed class PacketParserRobustnessTests
{
    private const int MutationCount = 100_000;
    private const int MutationSeed = 0x5EED_0001;

    /// <summary>Checks the invariants every successful parse of <paramref name="length"/> bytes must hold.</summary>
    private static void AssertConsistent(in ParsedPacket p, int length, string where)
    {
        Assert.True(p.L3Offset <= length, $"{where}: L3 offset {p.L3Offset} > {length}");
        Assert.True(p.L4Offset <= length, $"{where}: L4 offset {p.L4Offset} > {length}");
        Assert.True(p.PayloadOffset <= length, $"{where}: payload offset {p.PayloadOffset} > {length}");
        Assert.True(p.VlanCount <= 2, where);
        Assert.Equal(14 + (4 * p.VlanCount), p.L3Offset);
        Assert.False(p.IsIpv4 && p.IsIpv6, where);
        if (p.IsIp)
        {
            Assert.True(p.L3Offset + p.IpLength <= length, $"{where}: IP length {p.IpLength} beyond {length}");
        }
        if (p.L4Offset != 0)
        {
            Assert.True(p.IsIp, where);
            Assert.True(p.L4Offset >= p.L3Offset + 20, where);
            Assert.True(p.L4Offset <= p.L3Offset + p.IpLength, $"{where}: L4 offset outside the IP packet");
        }
        if (p.HasL4)
        {
            Assert.True(p.L4Offset != 0 && p.PayloadOffset > p.L4Offset, where);
            Assert.True(p.PayloadOffset <= p.L3Offset + p.IpLength, $"{where}: payload offset outside the IP packet");
        }
        else
        {
            Assert.Equal(0, p.PayloadOffset);
        }
        if ((p.Flags & PacketFlags.LaterFragment) != 0)
        {
            Assert.True((p.Flags & PacketFlags.Fragment) != 0 && !p.HasL4 && p.L4Offset == 0, where);
        }
    }

    [Fact]
    public void Parse_EveryTruncationOfGoldenFrames_ErrorOrConsistent()
    {
        var frames = GoldenCaptures.AllFrames;
        var parsed = 0;
        for (var f = 0; f < frames.Length; f++)
        {
            var frame = frames[f];
            Assert.Equal(ParseError.None, PacketParser.Parse(frame, out var full));
            // Bytes the parse depends on: everything up to the end of the IP packet (or ARP body, or L2 header).
            var needed = full.IsIp ? full.L3Offset + full.IpLength : full.IsArp ? full.L3Offset + 28 : full.L3Offset;
            for (var length = 0; length < frame.Length; length++)
            {
                var error = PacketParser.Parse(frame.AsSpan(0, length), out var p);
                var where = $"frame {f} cut to {length} of {frame.Length}";
                if (length < needed)
                {
                    Assert.True(error != ParseError.None, $"{where}: parsed although {needed} bytes are needed");
                    continue;
                }
                // Only Ethernet padding was cut: the result must not change.
                Assert.Equal(ParseError.None, error);
                AssertConsistent(p, length, where);
                Assert.Equal(full.Flags, p.Flags);
                Assert.Equal(full.L4Offset, p.L4Offset);
                Assert.Equal(full.PayloadOffset, p.PayloadOffset);
                Assert.Equal(full.SourcePort, p.SourcePort);
                Assert.Equal(full.DestinationPort, p.DestinationPort);
                parsed++;
            }
        }
        Assert.True(parsed > 0, "no truncation kept the bytes the parse needs");
    }

    [Fact]
    public void Parse_RandomMutationsOfGoldenFrames_NeverThrows()
    {
        var frames = GoldenCaptures.AllFrames;
        var random = new Random(MutationSeed);
        var buffer = new byte[frames.Max(f => f.Length)];
        var outcomes = new int[Enum.GetValues<ParseError>().Length];
        for (var i = 0; i < MutationCount; i++)
        {
            var frame = frames[random.Next(frames.Length)];
            frame.CopyTo(buffer, 0);
            var length = frame.Length;
            var mutations = random.Next(1, 5);
            for (var m = 0; m < mutations; m++)
            {
                // Mostly the headers (the first 128 bytes), sometimes anywhere.
                var position = random.Next(random.Next(10) == 0 ? length : Math.Min(length, 128));
                buffer[position] = random.Next(4) switch
                {
                    0 => (byte)(buffer[position] ^ (1 << random.Next(8))),
                    1 => (byte)random.Next(256),
                    2 => 0,
                    _ => 0xFF,
                };
            }
            if (random.Next(5) == 0)
            {
                length = random.Next(length + 1);
            }
            var error = PacketParser.Parse(buffer.AsSpan(0, length), out var p);
            outcomes[(int)error]++;
            if (error == ParseError.None)
            {
                AssertConsistent(p, length, $"mutation {i}");
            }
        }
        Assert.True(outcomes[(int)ParseError.None] > MutationCount / 10, "too few mutated frames parsed");
        Assert.True(MutationCount - outcomes[(int)ParseError.None] > MutationCount / 10, "too few mutated frames failed");
    }

    [Fact]
    public void Parse_RandomBytes_NeverThrows()
    {
        var random = new Random(MutationSeed + 1);
        var buffer = new byte[256];
        for (var i = 0; i < 20_000; i++)
        {
            random.NextBytes(buffer);
            var length = random.Next(buffer.Length + 1);
            // Steer half of them into the IP parsers.
            if (length >= 14 && random.Next(2) == 0)
            {
                buffer[12] = random.Next(2) == 0 ? (byte)0x08 : (byte)0x86;
                buffer[13] = buffer[12] == 0x08 ? (byte)0x00 : (byte)0xDD;
            }
            if (PacketParser.Parse(buffer.AsSpan(0, length), out var p) == ParseError.None)
            {
                AssertConsistent(p, length, $"random frame {i}");
            }
        }
    }

    [Fact]
    public void Parse_LyingLengthsAtEveryValue_ErrorOrConsistent()
    {
        // Sweep each length field over all 65,536 values in an otherwise valid frame.
        var udp4 = Ipv4Frame(IpProtocol.Udp, Udp(1, 2, new byte[32]));
        var tcp6 = Ipv6Frame(IpProtocol.Tcp, Tcp(1, 2, TcpFlags.Ack, new byte[32]));
        (byte[] Frame, int Offset)[] fields = [(udp4, 16), (udp4, 38), (tcp6, 18)];
        foreach (var (frame, offset) in fields)
        {
            var copy = (byte[])frame.Clone();
            for (var value = 0; value <= ushort.MaxValue; value++)
            {
                copy[offset] = (byte)(value >> 8);
                copy[offset + 1] = (byte)value;
                if (PacketParser.Parse(copy, out var p) == ParseError.None)
                {
                    AssertConsistent(p, copy.Length, $"length field at {offset} = {value}");
                }
            }
        }
        // TCP data offset: every value of the high nibble.
        var tcp = (byte[])tcp6.Clone();
        for (var words = 0; words < 16; words++)
        {
            tcp[14 + 40 + 12] = (byte)(words << 4);
            var error = PacketParser.Parse(tcp, out var p);
            Assert.Equal(words is >= 5 and <= 13 ? ParseError.None : ParseError.BadTcpHeader, error);
            if (error == ParseError.None)
            {
                Assert.Equal(14 + 40 + (words * 4), p.PayloadOffset);
            }
        }
    }
}
