// PacketParserAllocationTests: the parser runs on the data path, which must not allocate (STYLE.md rule 2).

using System.Runtime.CompilerServices;
using VSwitch.Tests.Shared;

namespace VSwitch.Packets.Tests;

public sealed class PacketParserAllocationTests
{
    [Fact]
    public void Parse_AllGoldenFrames1000Times_AllocatesNothing()
    {
        var frames = GoldenCaptures.AllFrames;
        ParseAll(frames, 10); // warm-up: JIT and tiering

        long checksum = 0;
        var allocated = SteadyStateAllocation.MinimumBytes(_ => checksum += ParseAll(frames, 1), iterationsPerWindow: 1000);

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, checksum);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long ParseAll(byte[][] frames, int rounds)
    {
        long checksum = 0;
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < frames.Length; i++)
            {
                var error = PacketParser.Parse(frames[i], out var packet);
                checksum += (int)error + packet.SourcePort + packet.L4Offset + (int)packet.Flags;
            }
        }
        return checksum;
    }
}
