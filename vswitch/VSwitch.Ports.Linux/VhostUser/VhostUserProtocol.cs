using System.Runtime.InteropServices;

namespace VSwitch.Ports.Linux.VhostUser;

/// <summary>
/// The vhost-user protocol's numbers and message layouts (QEMU's <c>docs/interop/vhost-user.rst</c>), the part this
/// backend speaks: front-end requests 1-18 and 20 (no dirty-page logging, no backend channel, no config space).
/// </summary>
public static class VhostUserProtocol
{
    /// <summary>Bytes of a message header: request, flags, size (all u32, host order).</summary>
    public const int HeaderSize = 12;

    /// <summary>The largest payload accepted: a memory table of <see cref="MaxRegions"/> regions fits with room to spare.</summary>
    public const int MaxPayloadSize = 4096;

    /// <summary>File descriptors a message may carry (QEMU sends at most 8).</summary>
    public const int MaxFds = 8;

    /// <summary>Memory regions of a SET_MEM_TABLE (the protocol's baseline; more would need CONFIGURE_MEM_SLOTS).</summary>
    public const int MaxRegions = 8;

    /// <summary>The protocol version in the flags' low two bits.</summary>
    public const uint Version = 0x1;

    public const uint VersionMask = 0x3;

    /// <summary>Set on replies.</summary>
    public const uint ReplyFlag = 0x4;

    /// <summary>The front-end wants a u64 status reply (REPLY_ACK negotiated).</summary>
    public const uint NeedReplyFlag = 0x8;

    /// <summary>A ring index in the low byte of SET_VRING_KICK/CALL/ERR's u64.</summary>
    public const ulong VringIndexMask = 0xFF;

    /// <summary>SET_VRING_KICK/CALL/ERR carries no file descriptor (polling, or no interrupts).</summary>
    public const ulong VringNoFdFlag = 0x100;

    /// <summary>Feature bit 30 of GET_FEATURES: the back-end speaks protocol features.</summary>
    public const int FeatureProtocolFeatures = 30;

    /// <summary>Protocol feature bits (GET/SET_PROTOCOL_FEATURES).</summary>
    public const int ProtocolMq = 0;
    public const int ProtocolReplyAck = 3;
}

/// <summary>The front-end's requests this back-end knows.</summary>
public enum VhostUserRequest : uint
{
    GetFeatures = 1,
    SetFeatures = 2,
    SetOwner = 3,
    ResetOwner = 4,
    SetMemTable = 5,
    SetLogBase = 6,
    SetLogFd = 7,
    SetVringNum = 8,
    SetVringAddr = 9,
    SetVringBase = 10,
    GetVringBase = 11,
    SetVringKick = 12,
    SetVringCall = 13,
    SetVringErr = 14,
    GetProtocolFeatures = 15,
    SetProtocolFeatures = 16,
    GetQueueNum = 17,
    SetVringEnable = 18,
    SendRarp = 19,
    NetSetMtu = 20,
}

/// <summary>The message header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VhostUserHeader
{
    public uint Request;
    public uint Flags;
    public uint Size;
}

/// <summary>One region of SET_MEM_TABLE (after a u32 count and u32 padding).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VhostUserMemoryRegion
{
    /// <summary>Where the region starts in guest-physical addresses (what descriptors hold).</summary>
    public ulong GuestPhysAddr;

    public ulong MemorySize;

    /// <summary>Where the region starts in the front-end's virtual addresses (what SET_VRING_ADDR holds).</summary>
    public ulong UserspaceAddr;

    /// <summary>Where the region starts in the file descriptor sent with the message.</summary>
    public ulong MmapOffset;
}
