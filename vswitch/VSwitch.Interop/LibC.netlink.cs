using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>linux/netlink.h</c>: message framing shared by every netlink family.</summary>
public static partial class LibC
{
    public const int NETLINK_ROUTE = 0;

    public const int NLM_F_REQUEST = 0x01;
    public const int NLM_F_MULTI = 0x02;
    public const int NLM_F_ACK = 0x04;
    public const int NLM_F_ROOT = 0x100;
    public const int NLM_F_MATCH = 0x200;
    public const int NLM_F_EXCL = 0x200;
    public const int NLM_F_CREATE = 0x400;

    public const int NLMSG_NOOP = 0x1;
    public const int NLMSG_ERROR = 0x2;
    public const int NLMSG_DONE = 0x3;

    public const int NLMSG_ALIGNTO = 4;

    /// <summary><c>NLMSG_ALIGN(len)</c>.</summary>
    public static int NLMSG_ALIGN(int len) => (len + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
}

/// <summary><c>struct sockaddr_nl</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct sockaddr_nl
{
    public ushort nl_family;
    public ushort nl_pad;
    public uint nl_pid;
    public uint nl_groups;
}

/// <summary><c>struct nlmsghdr</c>: every netlink message starts with one.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct nlmsghdr
{
    public uint nlmsg_len;
    public ushort nlmsg_type;
    public ushort nlmsg_flags;
    public uint nlmsg_seq;
    public uint nlmsg_pid;
}

/// <summary><c>struct nlmsgerr</c>: payload of <c>NLMSG_ERROR</c>; <see cref="error"/> is 0 for an ACK or -errno.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct nlmsgerr
{
    public int error;
    public nlmsghdr msg;
}
