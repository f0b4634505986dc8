using VSwitch.Interop;
using VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>The split virtqueue's driver side against a device played in this process: layout, chains, notifications, accounting.</summary>
public sealed class SplitRingDriverTests : IDisposable
{
    private readonly GuestMemoryView _memory = GuestMemoryView.Create(memoryMiB: 2, regions: 2);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void Layout_PartsAreAlignedAndTheirFrontendAddressesTranslateBack()
    {
        using var ring = new SplitRingDriver(_memory, index: 3, size: 8, eventIdx: false, indirect: false);
        Assert.Equal(0UL, ring.DescriptorTableAddress % 16);
        Assert.Equal(0UL, ring.AvailAddress % 2);
        Assert.Equal(0UL, ring.UsedAddress % 4);
        var address = ring.VringAddress;
        Assert.Equal(3u, address.index);
        Assert.Equal(ring.DescriptorTableAddress, _memory.GuestAddressOfUser(address.desc_user_addr));
        Assert.Equal(ring.AvailAddress, _memory.GuestAddressOfUser(address.avail_user_addr));
        Assert.Equal(ring.UsedAddress, _memory.GuestAddressOfUser(address.used_user_addr));
        Assert.Equal(0, ring.UsedFlags);
        Assert.Equal(8, ring.FreeDescriptors);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitRingDriver(_memory, 0, 6, false, false));
    }

    [Fact]
    public void TryPost_LinksTheChainAndPublishExposesItThenKicks()
    {
        using var ring = new SplitRingDriver(_memory, 0, 8, eventIdx: false, indirect: false);
        var device = new FakeDevice(_memory, ring);
        var a = _memory.Allocate(100);
        var b = _memory.Allocate(200);
        Assert.True(ring.TryPost([new(a, 12, false), new(a + 12, 88, false), new(b, 200, true)], indirect: false, tag: "t", out var chain));
        Assert.Equal(3, chain.Descriptors.Length);
        Assert.Equal(5, ring.FreeDescriptors);
        Assert.Equal(0, ring.AvailIdx);
        Assert.False(device.TryTake(out _, out _));

        Assert.True(ring.Publish());
        Assert.Equal(1, ring.AvailIdx);
        Assert.Equal(1, device.DrainKicks());
        Assert.True(device.TryTake(out var head, out var elements));
        Assert.Equal(chain.Head, head);
        Assert.Equal([new(a, 12, false), new(a + 12, 88, false), new BufferElement(b, 200, true)], elements);
        var d = ring.Descriptors;
        Assert.Equal(LibC.VRING_DESC_F_NEXT, d[chain.Descriptors[0]].flags);
        Assert.Equal(chain.Descriptors[1], d[chain.Descriptors[0]].next);
        Assert.Equal(LibC.VRING_DESC_F_WRITE, d[chain.Descriptors[2]].flags);

        device.Complete(head, 150);
        Assert.True(ring.TryTakeUsed(out var used));
        Assert.Same(chain, used.Chain);
        Assert.Equal(150u, used.Length);
        Assert.Equal("t", used.Chain.Tag);
        Assert.Equal(8, ring.FreeDescriptors);
        Assert.Equal(0, ring.Outstanding);
        Assert.False(ring.TryTakeUsed(out _));
    }

    [Fact]
    public void TryPost_RefusesWritableBeforeReadableTooLongAChainAndIndirectNotNegotiated()
    {
        using var ring = new SplitRingDriver(_memory, 0, 4, eventIdx: false, indirect: false);
        var a = _memory.Allocate(64);
        Assert.Throws<ArgumentException>(() => ring.TryPost([new(a, 8, true), new(a + 8, 8, false)], false, null, out _));
        Assert.Throws<ArgumentException>(() => ring.TryPost(Enumerable.Repeat(new BufferElement(a, 8, false), 5).ToArray(), false, null, out _));
        Assert.Throws<InvalidOperationException>(() => ring.TryPost([new(a, 8, false)], indirect: true, null, out _));
        Assert.True(ring.TryPost([new(a, 8, false), new(a, 8, false), new(a, 8, false)], false, null, out _));
        Assert.False(ring.TryPost([new(a, 8, false), new(a, 8, false)], false, null, out _), "only one descriptor is left");
        Assert.True(ring.TryPost([new(a, 8, false)], false, null, out _));
    }

    [Fact]
    public void Indirect_OneDescriptorPointsAtTheTableWhichIsFreedOnCompletion()
    {
        using var ring = new SplitRingDriver(_memory, 0, 4, eventIdx: false, indirect: true);
        var device = new FakeDevice(_memory, ring);
        var buffer = _memory.Allocate(3000);
        var free = _memory.BytesFree;
        BufferElement[] elements = [new(buffer, 12, false), new(buffer + 12, 1024, false), new(buffer + 1036, 476, false)];
        Assert.True(ring.TryPost(elements, indirect: true, null, out var chain));
        Assert.Single(chain.Descriptors);
        var d = ring.Descriptors[chain.Head];
        Assert.Equal(LibC.VRING_DESC_F_INDIRECT, d.flags);
        Assert.Equal(48u, d.len);
        Assert.Equal(chain.IndirectTable, d.addr);
        ring.Publish();
        Assert.True(device.TryTake(out var head, out var taken));
        Assert.Equal(elements, taken);
        device.Complete(head, 0);
        Assert.True(ring.TryTakeUsed(out _));
        Assert.Equal(free, _memory.BytesFree);
    }

    [Fact]
    public void NoNotifyFlag_SuppressesKicksWithoutEventIdx()
    {
        using var ring = new SplitRingDriver(_memory, 1, 8, eventIdx: false, indirect: false);
        var device = new FakeDevice(_memory, ring);
        var a = _memory.Allocate(64);
        device.SetUsedFlags(LibC.VRING_USED_F_NO_NOTIFY);
        ring.TryPost([new(a, 64, false)], false, null, out _);
        Assert.False(ring.Publish());
        Assert.Equal(0, device.DrainKicks());
        Assert.Equal(1, ring.SuppressedKicks);
        device.SetUsedFlags(0);
        ring.TryPost([new(a, 64, false)], false, null, out _);
        Assert.True(ring.Publish());
        Assert.Equal(1, device.DrainKicks());
    }

    [Fact]
    public void EventIdx_KicksOnlyWhenAvailIdxCrossesAvailEventAndIgnoresTheFlag()
    {
        using var ring = new SplitRingDriver(_memory, 1, 8, eventIdx: true, indirect: false);
        var device = new FakeDevice(_memory, ring);
        var a = _memory.Allocate(64);
        device.SetUsedFlags(LibC.VRING_USED_F_NO_NOTIFY);
        device.SetAvailEvent(2);
        var kicked = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            ring.TryPost([new(a, 64, false)], false, null, out _);
            kicked.Add(ring.Publish());
        }
        // Entries 0, 1, 2, 3: only placing entry 2 (idx 2 -> 3) crosses avail_event 2.
        Assert.Equal([false, false, true, false], kicked);
        Assert.Equal(1, device.DrainKicks());
    }

    [Theory]
    [InlineData(0, 1, 0, true)]
    [InlineData(0, 2, 1, false)]
    [InlineData(5, 8, 2, true)]
    [InlineData(8, 8, 2, false)]
    [InlineData(65535, 0, 65535, true)]
    [InlineData(65534, 1, 65533, true)]
    [InlineData(2, 1, 65533, false)]
    public void NeedEvent_IsVringNeedEvent(int eventIdx, int current, int old, bool expected) =>
        Assert.Equal(expected, SplitRingDriver.NeedEvent((ushort)eventIdx, (ushort)current, (ushort)old));

    [Fact]
    public void TakingUsed_WithEventIdxAsksForACallAtTheNextEntry()
    {
        using var ring = new SplitRingDriver(_memory, 0, 4, eventIdx: true, indirect: false);
        var device = new FakeDevice(_memory, ring);
        var a = _memory.Allocate(64);
        ring.TryPost([new(a, 64, true)], false, null, out _);
        ring.TryPost([new(a, 64, true)], false, null, out _);
        ring.Publish();
        device.TryTake(out var first, out _);
        device.TryTake(out var second, out _);
        device.Complete(second, 10);
        device.Complete(first, 20);
        Assert.True(ring.TryTakeUsed(out var u1));
        Assert.Equal(1, ring.UsedEvent);
        Assert.True(ring.TryTakeUsed(out var u2));
        Assert.Equal(2, ring.UsedEvent);
        Assert.Equal([second, first], new[] { u1.Chain.Head, u2.Chain.Head });
        Assert.Equal([10u, 20u], new[] { u1.Length, u2.Length });
    }

    [Fact]
    public void ManyCycles_AcrossTheSixteenBitWrap_KeepTheAccounting()
    {
        using var ring = new SplitRingDriver(_memory, 0, 4, eventIdx: true, indirect: false);
        var device = new FakeDevice(_memory, ring);
        var a = _memory.Allocate(64);
        for (var i = 0; i < 70_000; i++)
        {
            Assert.True(ring.TryPost([new(a, (uint)(i % 64) + 1, true)], false, i, out _));
            if (i % 3 == 0)
            {
                ring.Publish();
                while (device.TryTake(out var head, out var elements))
                {
                    device.Complete(head, elements[0].Length);
                }
                while (ring.TryTakeUsed(out _))
                {
                }
            }
            if (ring.FreeDescriptors == 0)
            {
                ring.Publish();
                while (device.TryTake(out var head, out _))
                {
                    device.Complete(head, 0);
                }
                while (ring.TryTakeUsed(out _))
                {
                }
            }
        }
        ring.Publish();
        while (device.TryTake(out var head, out _))
        {
            device.Complete(head, 0);
        }
        while (ring.TryTakeUsed(out _))
        {
        }
        Assert.Equal(4, ring.FreeDescriptors);
        Assert.Equal(0, ring.Outstanding);
        Assert.Equal(70_000 % 65_536, ring.AvailIdx);
        Assert.Equal(70_000 % 65_536, ring.LastUsedIdx);
    }

    [Fact]
    public void DeviceViolations_AreReportedNotAbsorbed()
    {
        using var ring = new SplitRingDriver(_memory, 0, 4, eventIdx: false, indirect: false);
        var device = new FakeDevice(_memory, ring);
        var a = _memory.Allocate(64);
        ring.TryPost([new(a, 64, true)], false, null, out var chain);
        ring.Publish();

        device.Complete(chain.Head + 1u, 0);
        Assert.Contains("not the head of a chain in flight", Assert.Throws<InvalidDataException>(() => ring.TryTakeUsed(out _)).Message);

        device.Complete(chain.Head, 65);
        Assert.Contains("holds 64", Assert.Throws<InvalidDataException>(() => ring.TryTakeUsed(out _)).Message);

        device.SetUsedIdx((ushort)(ring.LastUsedIdx + 5));
        Assert.Contains("more than the ring", Assert.Throws<InvalidDataException>(() => ring.TryTakeUsed(out _)).Message);
    }

    [Fact]
    public void LegacyTransmitRing_IgnoresTheUsedLength()
    {
        using var ring = new SplitRingDriver(_memory, 1, 4, eventIdx: false, indirect: false, checkUsedLength: false);
        var device = new FakeDevice(_memory, ring);
        ring.TryPost([new(_memory.Allocate(1512), 1512, false)], false, null, out var chain);
        ring.Publish();
        // Legacy devices put the descriptor length there although they wrote nothing (virtio 5.1.6.1).
        device.Complete(chain.Head, 1512);
        Assert.True(ring.TryTakeUsed(out var used));
        Assert.Equal(1512u, used.Length);
    }

    [Fact]
    public void RawPosts_MoveTheIndexAsToldAndTheirCompletionsAreKeptApart()
    {
        using var ring = new SplitRingDriver(_memory, 1, 4, eventIdx: false, indirect: false);
        var device = new FakeDevice(_memory, ring);
        var taken = ring.TakeDescriptors(1);
        ring.Descriptors[taken[0]] = new vring_desc { addr = _memory.AddressOutsideEveryRegion, len = 64 };
        ring.PostRaw(taken[0], advance: 9);
        Assert.Equal(9, ring.AvailIdx);
        Assert.Equal(taken[0], ring.AvailRing[0]);
        ring.Kick();
        Assert.Equal(1, device.DrainKicks());
        device.Complete(taken[0], 0);
        Assert.False(ring.TryTakeUsed(out _));
        Assert.Equal(taken[0], (ushort)Assert.Single(ring.RawCompletions).id);
    }

    [Fact]
    public void Calls_CountTheDevicesSignals()
    {
        using var ring = new SplitRingDriver(_memory, 0, 4, eventIdx: false, indirect: false);
        var device = new FakeDevice(_memory, ring);
        device.Call();
        device.Call();
        Assert.Equal(2, ring.DrainCalls());
        Assert.Equal(0, ring.DrainCalls());
        device.Call();
        Assert.False(ring.WaitForUsed(TimeSpan.FromMilliseconds(20)));
        Assert.Equal(3, ring.Calls);
    }
}
