namespace VSwitch.Interop;

/// <summary><c>linux/if_ether.h</c>: Ethernet protocol numbers (host order; sockets want them in network order).</summary>
public static partial class LibC
{
    public const int ETH_ALEN = 6;
    public const int ETH_HLEN = 14;
    public const int ETH_P_ALL = 0x0003;
    public const int ETH_P_IP = 0x0800;
    public const int ETH_P_ARP = 0x0806;
    public const int ETH_P_8021Q = 0x8100;
    public const int ETH_P_8021AD = 0x88A8;
    public const int ETH_P_IPV6 = 0x86DD;
}
