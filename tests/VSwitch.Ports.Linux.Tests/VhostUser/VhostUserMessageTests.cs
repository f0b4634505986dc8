using System.Runtime.InteropServices;
using VSwitch.Interop;
using VSwitch.Ports.Linux.Tests.VhostUser.Frontend;
using TmdsLibC = Tmds.Linux.LibC;

namespace VSwitch.Ports.Linux.Tests.VhostUser;

/// <summary>The frontend's message encoding and decoding, byte for byte against vhost-user.rst, and fd passing over a socket.</summary>
public sealed unsafe class VhostUserMessageTests
{
    [Fact]
    public void Empty_IsATwelveByteHeaderWithVersionOne()
    {
        var bytes = VhostUserMessage.Empty(VhostUserRequest.GetFeatures).Encode();
        Assert.Equal(Convert.FromHexString("01000000" + "01000000" + "00000000"), bytes);
    }

    [Fact]
    public void U64_CarriesEightNativeEndianBytes()
    {
        var bytes = VhostUserMessage.U64(VhostUserRequest.SetFeatures, 0x0000000170408183UL).Encode();
        Assert.Equal(Convert.FromHexString("02000000" + "01000000" + "08000000" + "8381407001000000"), bytes);
    }

    [Fact]
    public void NeedReplyAndReply_AreBitsThreeAndTwoBesideTheVersion()
    {
        var request = VhostUserMessage.Empty(VhostUserRequest.SetOwner, VhostUserFlags.NeedReply);
        Assert.Equal(0x9u, MemoryMarshal.Read<uint>(request.Encode().AsSpan(4)));
        Assert.True(request.NeedsReply);
        Assert.False(request.IsReply);
        var reply = VhostUserMessage.U64(VhostUserRequest.SetOwner, 0, VhostUserFlags.Reply);
        Assert.Equal(0x5u, MemoryMarshal.Read<uint>(reply.Encode().AsSpan(4)));
        Assert.True(reply.IsReply);
        Assert.Equal(1u, reply.Version);
    }

    [Fact]
    public void VringState_IsIndexThenNum()
    {
        var bytes = VhostUserMessage.VringState(VhostUserRequest.SetVringNum, 3, 256).Encode();
        Assert.Equal(Convert.FromHexString("08000000" + "01000000" + "08000000" + "03000000" + "00010000"), bytes);
    }

    [Fact]
    public void VringAddress_IsIndexFlagsDescUsedAvailLog()
    {
        var address = new vhost_vring_addr
        {
            index = 1, flags = 0, desc_user_addr = 0x1111, used_user_addr = 0x2222, avail_user_addr = 0x3333, log_guest_addr = 0x4444,
        };
        var bytes = VhostUserMessage.VringAddress(address).Encode();
        Assert.Equal(12 + 40, bytes.Length);
        Assert.Equal(40u, MemoryMarshal.Read<uint>(bytes.AsSpan(8)));
        Assert.Equal(Convert.FromHexString(
            "01000000" + "00000000" + "1111000000000000" + "2222000000000000" + "3333000000000000" + "4444000000000000"), bytes[12..]);
        Assert.Equal(address, VhostUserMessage.Decode(bytes).ReadVringAddress());
    }

    [Fact]
    public void MemoryTable_IsCountPaddingThenGuestSizeUserOffsetPerRegion()
    {
        VhostUserMemoryRegion[] regions = [new(0x1_0000_0000, 0x100_0000, 0x5a5a_0060_0000, 0x1_0000), new(0x2_0010_0000, 0x2000, 0x5a6a_0080_0000, 0x2_0000)];
        var message = VhostUserMessage.MemoryTable(regions, [10, 11]);
        var bytes = message.Encode();
        Assert.Equal(12 + 8 + (2 * 32), bytes.Length);
        Assert.Equal(5u, MemoryMarshal.Read<uint>(bytes));
        Assert.Equal(72u, MemoryMarshal.Read<uint>(bytes.AsSpan(8)));
        Assert.Equal(2u, MemoryMarshal.Read<uint>(bytes.AsSpan(12)));
        Assert.Equal(0u, MemoryMarshal.Read<uint>(bytes.AsSpan(16)));
        Assert.Equal(0x1_0000_0000UL, MemoryMarshal.Read<ulong>(bytes.AsSpan(20)));
        Assert.Equal(0x100_0000UL, MemoryMarshal.Read<ulong>(bytes.AsSpan(28)));
        Assert.Equal(0x5a5a_0060_0000UL, MemoryMarshal.Read<ulong>(bytes.AsSpan(36)));
        Assert.Equal(0x1_0000UL, MemoryMarshal.Read<ulong>(bytes.AsSpan(44)));
        Assert.Equal(regions, VhostUserMessage.Decode(bytes).ReadMemoryTable());
        Assert.Equal([10, 11], message.Fds);
    }

    [Fact]
    public void MemoryTable_RefusesNoRegionsNineRegionsAndAMissingFd()
    {
        var one = new VhostUserMemoryRegion(0x1000, 0x1000, 0x2000, 0);
        Assert.Throws<ArgumentException>(() => VhostUserMessage.MemoryTable([], []));
        Assert.Throws<ArgumentException>(() => VhostUserMessage.MemoryTable(Enumerable.Repeat(one, 9).ToList(), new int[9]));
        Assert.Throws<ArgumentException>(() => VhostUserMessage.MemoryTable([one, one], [3]));
    }

    [Fact]
    public void Decode_RefusesAnOversizedOrShortPayload()
    {
        var header = new byte[12];
        VhostUserMessage.WriteHeader(header, VhostUserRequest.GetFeatures, VhostUserFlags.Version | VhostUserFlags.Reply, 5000);
        Assert.Throws<InvalidDataException>(() => VhostUserMessage.DecodeHeader(header));
        VhostUserMessage.WriteHeader(header, VhostUserRequest.GetFeatures, VhostUserFlags.Version | VhostUserFlags.Reply, 8);
        Assert.Throws<InvalidDataException>(() => VhostUserMessage.Decode([.. header, 1, 2, 3]));
        var fourBytes = VhostUserMessage.Decode([.. header[..8], 4, 0, 0, 0, 1, 2, 3, 4]);
        Assert.Throws<InvalidDataException>(() => fourBytes.ReadU64());
    }

    [Fact]
    public void Socket_CarriesAMessageAndItsFdsAsScmRights()
    {
        var (frontend, backend) = VhostUserSocket.Pair();
        using (frontend)
        using (backend)
        {
            var kick = Tmds.Linux.LibC.eventfd(0, Tmds.Linux.LibC.EFD_CLOEXEC | Tmds.Linux.LibC.EFD_NONBLOCK);
            var call = Tmds.Linux.LibC.eventfd(0, Tmds.Linux.LibC.EFD_CLOEXEC | Tmds.Linux.LibC.EFD_NONBLOCK);
            try
            {
                frontend.Send(VhostUserMessage.MemoryTable([new(0x1000, 0x1000, 0x9000, 0), new(0x3000, 0x1000, 0xb000, 0)], [kick, call]));
                var received = backend.Receive(TimeSpan.FromSeconds(2))!;
                Assert.Equal(VhostUserRequest.SetMemTable, received.Request);
                Assert.Equal(2, received.Fds.Length);
                Assert.DoesNotContain(kick, received.Fds);
                // The received descriptors are the same eventfds: what the sender writes, the receiver reads.
                ulong seven = 7;
                Assert.Equal(8, (int)LibC.write(kick, &seven, 8));
                ulong value;
                Assert.Equal(8, (int)LibC.read(received.Fds[0], &value, 8));
                Assert.Equal(7UL, value);
                foreach (var fd in received.Fds)
                {
                    _ = TmdsLibC.close(fd);
                }
            }
            finally
            {
                _ = TmdsLibC.close(kick);
                _ = TmdsLibC.close(call);
            }
        }
    }

    [Fact]
    public void Socket_ReceiveTellsPeerCloseFromABrokenMessageAndFromSilence()
    {
        var (a, b) = VhostUserSocket.Pair();
        using (a)
        using (b)
        {
            Assert.Throws<TimeoutException>(() => b.Receive(TimeSpan.FromMilliseconds(50)));
            var partial = VhostUserMessage.U64(VhostUserRequest.SetFeatures, 1).Encode()[..15];
            fixed (byte* p = partial)
            {
                Assert.Equal(15, (int)LibC.send(a.Fd, p, 15, LibC.MSG_NOSIGNAL));
            }
            a.Dispose();
            Assert.Throws<IOException>(() => b.Receive(TimeSpan.FromSeconds(1)));
        }
        (a, b) = VhostUserSocket.Pair();
        using (b)
        {
            a.Dispose();
            Assert.Null(b.Receive(TimeSpan.FromSeconds(1)));
            Assert.Throws<IOException>(() => b.Send(VhostUserMessage.Empty(VhostUserRequest.SetOwner)));
        }
    }

    [Fact]
    public void ListenerAndConnect_MeetAtAPathAndTheListenerRemovesItsFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"vswitch-vu-{Guid.NewGuid():N}.sock");
        using (var listener = VhostUserListener.Listen(path))
        {
            using var client = VhostUserSocket.Connect(path, TimeSpan.FromSeconds(1));
            using var server = listener.Accept(TimeSpan.FromSeconds(1));
            client.Send(VhostUserMessage.Empty(VhostUserRequest.GetFeatures));
            Assert.Equal(VhostUserRequest.GetFeatures, server.Receive(TimeSpan.FromSeconds(1))!.Request);
            Assert.Throws<TimeoutException>(() => listener.Accept(TimeSpan.FromMilliseconds(20)));
        }
        Assert.False(File.Exists(path));
        Assert.Throws<IOException>(() => VhostUserSocket.Connect(path, TimeSpan.FromMilliseconds(100)));
    }
}
