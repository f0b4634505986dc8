namespace VSwitch.Interop;

/// <summary>
/// <c>linux/if_tun.h</c>: ioctls and flags of <c>/dev/net/tun</c>.
/// </summary>
/// <remarks>
/// The ioctl numbers are the expanded <c>_IOW('T', n, int)</c> values for x86-64 (direction bit 30, size 4 at bit 16).
/// <see cref="TUNSETPERSIST"/> and <see cref="TUNSETOFFLOAD"/> take their argument by value; <see cref="TUNSETIFF"/>,
/// <see cref="TUNGETIFF"/> and <see cref="TUNSETQUEUE"/> take a pointer to an <see cref="ifreq"/>, and
/// <see cref="TUNSETVNETHDRSZ"/> a pointer to an int. <c>ioctl</c> comes from Tmds.LibC, which declares the request
/// as an <c>int</c> and widens it as an unsigned number: pass <c>unchecked((int)TUNSETIFF)</c>.
/// </remarks>
public static partial class LibC
{
    public const uint TUNSETIFF = 0x400454ca;
    public const uint TUNSETPERSIST = 0x400454cb;
    public const uint TUNGETFEATURES = 0x800454cf;
    public const uint TUNSETOFFLOAD = 0x400454d0;
    public const uint TUNGETIFF = 0x800454d2;
    public const uint TUNGETVNETHDRSZ = 0x800454d7;
    public const uint TUNSETVNETHDRSZ = 0x400454d8;
    public const uint TUNSETQUEUE = 0x400454d9;

    // TUNSETIFF flags (ifr_flags).
    public const int IFF_TUN = 0x0001;
    public const int IFF_TAP = 0x0002;
    public const int IFF_NAPI = 0x0010;
    public const int IFF_NO_PI = 0x1000;
    public const int IFF_VNET_HDR = 0x4000;
    public const int IFF_TUN_EXCL = 0x8000;
    public const int IFF_MULTI_QUEUE = 0x0100;
    public const int IFF_ATTACH_QUEUE = 0x0200;
    public const int IFF_DETACH_QUEUE = 0x0400;
    public const int IFF_PERSIST = 0x0800;

    // TUNSETOFFLOAD bits: what the reader can take from the device.
    public const uint TUN_F_CSUM = 0x01;
    public const uint TUN_F_TSO4 = 0x02;
    public const uint TUN_F_TSO6 = 0x04;
    public const uint TUN_F_TSO_ECN = 0x08;
    public const uint TUN_F_UFO = 0x10;
}
