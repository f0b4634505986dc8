using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>linux/rtnetlink.h</c> and <c>linux/if_link.h</c>: link messages and their attributes.</summary>
public static partial class LibC
{
    public const int RTM_NEWLINK = 16;
    public const int RTM_DELLINK = 17;
    public const int RTM_GETLINK = 18;
    public const int RTM_SETLINK = 19;

    public const int IFLA_UNSPEC = 0;
    public const int IFLA_ADDRESS = 1;
    public const int IFLA_BROADCAST = 2;
    public const int IFLA_IFNAME = 3;
    public const int IFLA_MTU = 4;
    public const int IFLA_LINK = 5;
    public const int IFLA_OPERSTATE = 16;
    public const int IFLA_LINKINFO = 18;
    public const int IFLA_NET_NS_PID = 19;
    public const int IFLA_NET_NS_FD = 28;

    public const int RTA_ALIGNTO = 4;

    /// <summary><c>RTA_ALIGN(len)</c>.</summary>
    public static int RTA_ALIGN(int len) => (len + RTA_ALIGNTO - 1) & ~(RTA_ALIGNTO - 1);
}

/// <summary><c>struct ifinfomsg</c>: the fixed part of RTM_*LINK messages.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ifinfomsg
{
    public byte ifi_family;
    public byte __ifi_pad;
    public ushort ifi_type;
    public int ifi_index;
    public uint ifi_flags;
    public uint ifi_change;
}

/// <summary><c>struct rtattr</c>: a type-length-value attribute header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct rtattr
{
    public ushort rta_len;
    public ushort rta_type;
}
