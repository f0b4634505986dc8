namespace VSwitch.Ports.Linux.Tests.VhostUser.Frontend;

/// <summary>
/// The front-end's request codes (QEMU docs/interop/vhost-user.rst, "Front-end message types"); the wire name of each
/// is <c>VHOST_USER_</c> followed by the member name in upper snake case.
/// </summary>
internal enum VhostUserRequest : uint
{
    None = 0,
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
    SetBackendReqFd = 21,
    IotlbMsg = 22,
    SetVringEndian = 23,
    GetConfig = 24,
    SetConfig = 25,
    CreateCryptoSession = 26,
    CloseCryptoSession = 27,
    PostcopyAdvise = 28,
    PostcopyListen = 29,
    PostcopyEnd = 30,
    GetInflightFd = 31,
    SetInflightFd = 32,
    GpuSetSocket = 33,
    ResetDevice = 34,
    VringKick = 35,
    GetMaxMemSlots = 36,
    AddMemReg = 37,
    RemMemReg = 38,
    SetStatus = 39,
    GetStatus = 40,
}

/// <summary>The header's flag bits and the protocol's fixed numbers (vhost-user.rst, "Header" and the payloads).</summary>
internal static class VhostUserFlags
{
    /// <summary>Bits 0-1 of <c>flags</c>: the protocol version, always 1.</summary>
    public const uint VersionMask = 0x3;

    public const uint Version = 0x1;

    /// <summary>Bit 2: set on every reply from the back-end.</summary>
    public const uint Reply = 0x4;

    /// <summary>Bit 3: the front-end asks for an acknowledgement (only with <see cref="VhostUserProtocolFeature.ReplyAck"/>).</summary>
    public const uint NeedReply = 0x8;

    /// <summary>Request, flags and size: three native-endian u32.</summary>
    public const int HeaderSize = 12;

    /// <summary>The most regions one <c>SET_MEM_TABLE</c> carries (and so the most fds one message carries).</summary>
    public const int MaxRegions = 8;

    /// <summary>Bits 0-7 of a <c>SET_VRING_KICK/CALL/ERR</c> payload: the ring index.</summary>
    public const ulong VringIndexMask = 0xff;

    /// <summary>Bit 8 of a <c>SET_VRING_KICK/CALL/ERR</c> payload: no fd travels with the message (poll instead).</summary>
    public const ulong VringNoFd = 0x100;

    /// <summary>Feature bit 30 of <c>GET_FEATURES</c>: the back-end speaks <c>GET/SET_PROTOCOL_FEATURES</c>.</summary>
    public const int ProtocolFeaturesBit = 30;
}

/// <summary>Protocol feature bits (vhost-user.rst, "Protocol features").</summary>
internal static class VhostUserProtocolFeature
{
    public const int Mq = 0;
    public const int LogShmfd = 1;
    public const int Rarp = 2;
    public const int ReplyAck = 3;
    public const int Mtu = 4;
    public const int BackendReq = 5;
    public const int CrossEndian = 6;
    public const int CryptoSession = 7;
    public const int Pagefault = 8;
    public const int Config = 9;
    public const int BackendSendFd = 10;
    public const int HostNotifier = 11;
    public const int InflightShmfd = 12;
    public const int ResetDevice = 13;
    public const int InbandNotifications = 14;
    public const int ConfigureMemSlots = 15;
    public const int Status = 16;
}
