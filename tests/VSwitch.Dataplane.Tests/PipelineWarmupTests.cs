using VSwitch.Dataplane.Conntrack;
using VSwitch.Dataplane.Memory;
using VSwitch.Dataplane.Pipeline;

namespace VSwitch.Dataplane.Tests;

/// <summary>The start-up warm-up takes the paths it claims to, and the connection table's prefault keeps it working.</summary>
public sealed class PipelineWarmupTests
{
    [Fact]
    public void Warmup_ForwardsTracksAndDropsAlongEveryPathAVmsFirstPacketsTake()
    {
        var result = PipelineWarmup.Run();
        Assert.True(result.Transmitted > 20, $"{result.Transmitted} frames transmitted");
        Assert.True(result.Connections >= 8, $"{result.Connections} connections");
        Assert.True(result.FragmentsMatched >= 4, $"{result.FragmentsMatched} fragments matched");
        Assert.True(result.FragmentsHeld >= 2, $"{result.FragmentsHeld} fragments held");
        foreach (var reason in new[] { DropReason.SecurityGroup, DropReason.Spoofing, DropReason.Malformed, DropReason.Vlan, DropReason.Mtu })
        {
            Assert.True(result.Drops[reason] > 0, $"no {reason} drop: {string.Join(", ", result.Drops)}");
        }
    }

    [Fact]
    public void Prefault_CommitsTheFirstPages_AndTheTableStillWorks()
    {
        using var table = new ConnTable(new ConnTableOptions { MaxEntries = 1 << 16, ShardCount = 64 });
        table.Prefault();
        var frame = TestFrames.Udp(TestFrames.Mac(1), TestFrames.Mac(2));
        Packets.PacketParser.Parse(frame, out var p);
        Assert.Equal(ConnVerdict.New, table.Track(frame, in p, 0, 0).Verdict);
        Assert.Equal(ConnCommitResult.Created, table.Commit(frame, in p, 0, 0, new ConnAdmission(1, 0, 1, 0), out _));
        Assert.Equal(ConnVerdict.Established, table.Track(frame, in p, 0, 1).Verdict);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(100, 5000)]
    [InlineData(4095, 1)]
    [InlineData(0, 4 << 20)]
    public unsafe void Populate_AnyRangeInside_KeepsTheMemoryZero(long offset, long length)
    {
        var memory = new HugePageMemory(4 << 20);
        memory.Populate(offset, length);
        Assert.True(new ReadOnlySpan<byte>(memory.Start, (int)memory.Length).IndexOfAnyExcept((byte)0) < 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => memory.Populate(memory.Length, 1));
    }
}
