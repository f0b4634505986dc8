using System.Runtime.InteropServices;

namespace VSwitch.Interop;

/// <summary><c>net/if.h</c>: interface names, indexes and flags.</summary>
public static unsafe partial class LibC
{
    /// <summary>Bytes of an interface name including the terminating NUL; names have at most 15 characters.</summary>
    public const int IFNAMSIZ = 16;

    // Device flags (ifi_flags, SIOCGIFFLAGS).
    public const int IFF_UP = 0x1;
    public const int IFF_BROADCAST = 0x2;
    public const int IFF_LOOPBACK = 0x8;
    public const int IFF_RUNNING = 0x40;
    public const int IFF_PROMISC = 0x100;

    /// <summary><c>if_nametoindex(3)</c>: 0 when no interface has that name in the calling thread's namespace.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    public static partial uint if_nametoindex(byte* ifname);

    /// <summary><c>if_indextoname(3)</c>: null when no interface has that index; <paramref name="ifname"/> holds IFNAMSIZ bytes.</summary>
    [LibraryImport(Libc, SetLastError = true)]
    public static partial byte* if_indextoname(uint ifindex, byte* ifname);
}

/// <summary><c>struct ifreq</c> (40 bytes): a name and one of several values in a union.</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
public unsafe struct ifreq
{
    [FieldOffset(0)] public fixed byte ifr_name[16];
    [FieldOffset(16)] public short ifr_flags;
    [FieldOffset(16)] public int ifr_ifindex;
    [FieldOffset(16)] public int ifr_mtu;
    [FieldOffset(16)] public void* ifr_data;
}
